#!/usr/bin/env bash
# Rerunnable benchmark: sets up the host, builds the agent, runs lab/bench.py. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash lab/host-setup.sh
mvn -B -q -ntp -Dstyle.color=never -DskipTests package
exec python3 lab/bench.py "$@"
