#!/usr/bin/env bash
# Soak with faults (issue 13): host setup, package, then lab/soak.py (default 20 minutes; --minutes N).
# Run as root. Bounded: it stops by itself and cleans up what it made.
set -euo pipefail
cd "$(dirname "$0")/.."
bash lab/host-setup.sh
mvn -B -q -ntp -Dstyle.color=never -DskipTests package
exec python3 lab/soak.py "$@"
