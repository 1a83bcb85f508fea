#!/usr/bin/env bash
# Builds the noarch RPM from target/quarkus-app (run `mvn package` first). Output: target/rpm/RPMS/noarch/, or
# RPMS/noarch/ under $RPM_TOPDIR when set (a test building its own while another builds the default one).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/quarkus-app/quarkus-run.jar ] || { echo "rpm/build.sh: no target/quarkus-app; run mvn package" >&2; exit 1; }
command -v rpmbuild >/dev/null || { echo "rpm/build.sh: rpmbuild missing (Debian package rpm)" >&2; exit 1; }
TOP=$(realpath -m "${RPM_TOPDIR:-target/rpm}")
rm -rf "$TOP"
rpmbuild -bb --quiet rpm/tether-agent.spec --define "_topdir $TOP" --define "_sourcedir $PWD" \
    --define "_build_id_links none"
ls "$TOP"/RPMS/noarch/*.rpm
