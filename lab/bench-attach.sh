#!/usr/bin/env bash
# Rerunnable: the qemu attach path against its libvirt floor (lab/bench-attach.py). Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash lab/host-setup.sh
/usr/bin/python3 -c 'import libvirt' 2>/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-libvirt
mvn -B -q -ntp -Dstyle.color=never -DskipTests package
exec /usr/bin/python3 lab/bench-attach.py "$@"
