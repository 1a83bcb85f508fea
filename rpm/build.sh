#!/usr/bin/env bash
# Builds the noarch RPM from target/quarkus-app (run `mvn package` first). Output: target/rpm/RPMS/noarch/.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/quarkus-app/quarkus-run.jar ] || { echo "rpm/build.sh: no target/quarkus-app; run mvn package" >&2; exit 1; }
command -v rpmbuild >/dev/null || { echo "rpm/build.sh: rpmbuild missing (Debian package rpm)" >&2; exit 1; }
rm -rf target/rpm
rpmbuild -bb --quiet rpm/tether-agent.spec --define "_topdir $PWD/target/rpm" --define "_sourcedir $PWD" \
    --define "_build_id_links none"
ls target/rpm/RPMS/noarch/*.rpm
