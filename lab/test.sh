#!/usr/bin/env bash
# The whole test suite: installs what is missing, starts libvirtd, virtlogd and tgtd on loopback, then runs
# unit and integration tests (Maven Surefire). Run as root on Debian 12. .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash lab/host-setup.sh
mvn -B -ntp -Dstyle.color=never clean verify "$@"
