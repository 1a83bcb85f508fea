#!/usr/bin/env bash
# Builds the Debian package from target/quarkus-app (run `mvn package` first) with the same unit, tmpfiles,
# configuration, host-certificate script, tetherctl launcher, man page and docs as the RPM (rpm/), and the
# maintainer scripts of lab/debian. No debhelper: the tree is laid out here and packed by dpkg-deb, as root
# owns every file. Output: target/deb/tether-agent_VERSION_all.deb, or under $DEB_OUT when set.
#   lab/build-deb.sh [VERSION]      (default: the RPM's Version-Release, e.g. 0.1.0-1)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/quarkus-app/quarkus-run.jar ] || { echo "build-deb.sh: no target/quarkus-app; run mvn package" >&2; exit 1; }
VERSION=${1:-$(sed -n 's/^Version: *//p' rpm/tether-agent.spec)-$(sed -n 's/^Release: *//p' rpm/tether-agent.spec)}
OUT=${DEB_OUT:-target/deb}
ROOT=$OUT/root
rm -rf "$ROOT" "$OUT/tether-agent_${VERSION}_all.deb" # other versions stay: an upgrade test installs two
mkdir -p "$ROOT/DEBIAN"
umask 022

install -d "$ROOT/usr/lib/tether-agent" "$ROOT/lib/systemd/system" "$ROOT/usr/lib/tmpfiles.d" \
  "$ROOT/usr/bin" "$ROOT/usr/share/man/man1" "$ROOT/usr/share/bash-completion/completions" \
  "$ROOT/usr/share/doc/tether-agent/docs" "$ROOT/usr/share/lintian/overrides"
install -d -m 0750 "$ROOT/etc/tether"
install -d -m 0700 "$ROOT/var/lib/tether"
cp -a target/quarkus-app/. "$ROOT/usr/lib/tether-agent/"
# a class-data archive a test build made holds only for the JDK that made it: not shipped
rm -f "$ROOT/usr/lib/tether-agent/app-cds.jsa" "$ROOT/usr/lib/tether-agent/tetherctl.jsa"
find "$ROOT/usr/lib/tether-agent" -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
install -m 0755 rpm/make-host-cert.sh "$ROOT/usr/lib/tether-agent/make-host-cert.sh"
install -m 0644 systemd/tether-agent.service "$ROOT/lib/systemd/system/tether-agent.service"
install -m 0644 systemd/tether-agent.tmpfiles "$ROOT/usr/lib/tmpfiles.d/tether-agent.conf"
install -m 0600 rpm/agent.properties "$ROOT/etc/tether/agent.properties"
install -m 0755 rpm/tetherctl "$ROOT/usr/bin/tetherctl"
gzip -9n -c docs/tetherctl.1 > "$ROOT/usr/share/man/man1/tetherctl.1.gz"
# a completion file is sourced, not run: no #! line
TETHER_HOME=target/quarkus-app rpm/tetherctl generate-completion | sed "1{/^#!/d}" \
  > "$ROOT/usr/share/bash-completion/completions/tetherctl"
chmod 0644 "$ROOT/usr/share/bash-completion/completions/tetherctl"
install -m 0644 README.md "$ROOT/usr/share/doc/tether-agent/README.md"
install -m 0644 docs/*.md docs/grafana-dashboard.json "$ROOT/usr/share/doc/tether-agent/docs/"
install -m 0644 lab/debian/copyright "$ROOT/usr/share/doc/tether-agent/copyright"
printf 'tether-agent (%s) unstable; urgency=medium\n\n  * Built from the Tether checkout by lab/build-deb.sh.\n\n -- Tether developers <tether@example.org>  %s\n' \
  "$VERSION" "$(date -R -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")" \
  | gzip -9n > "$ROOT/usr/share/doc/tether-agent/changelog.Debian.gz"
install -m 0644 lab/debian/lintian-overrides "$ROOT/usr/share/lintian/overrides/tether-agent"

for s in postinst prerm postrm; do install -m 0755 "lab/debian/$s" "$ROOT/DEBIAN/$s"; done
echo /etc/tether/agent.properties > "$ROOT/DEBIAN/conffiles"
SIZE=$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@SIZE@/$SIZE/" lab/debian/control.in > "$ROOT/DEBIAN/control"
(cd "$ROOT" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) \
  > "$ROOT/DEBIAN/md5sums"
chmod 0644 "$ROOT/DEBIAN/control" "$ROOT/DEBIAN/conffiles" "$ROOT/DEBIAN/md5sums"
dpkg-deb --root-owner-group -Zxz --build "$ROOT" "$OUT/tether-agent_${VERSION}_all.deb" >/dev/null
rm -rf "$ROOT"
ls "$OUT"/tether-agent_"${VERSION}"_all.deb
