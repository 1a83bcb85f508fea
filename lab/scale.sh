#!/usr/bin/env bash
# How cost grows with the work (issue 19): sets up the host, builds the agent, installs gnuplot for the picture,
# runs lab/scale.py (CSV and PNG in target/scale). Run as root; about 20 minutes at the default steps.
set -euo pipefail
cd "$(dirname "$0")/.."
bash lab/host-setup.sh
if ! command -v gnuplot >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gnuplot-nox >/dev/null
fi
mvn -B -q -ntp -Dstyle.color=never -DskipTests package
exec python3 lab/scale.py "$@"
