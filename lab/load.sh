#!/usr/bin/env bash
# Rerunnable load test (issue 7): host setup, package, then lab/load.py (200 clients, 60 s). Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash lab/host-setup.sh
mvn -B -q -ntp -Dstyle.color=never -DskipTests package
exec python3 lab/load.py "$@"
