#!/usr/bin/env bash
# The packages under real systemd in the test-host VM, beyond what lab/test.sh runs: the .deb installed with
# apt, upgraded with a disk attached, removed and purged (SystemdDebIT, ~17 minutes under TCG), and the
# static checks of both packages. Run as root after lab/host-setup.sh; the whole output goes to
# target/test-packages.log.
set -euo pipefail
cd "$(dirname "$0")/.."
bash lab/host-setup.sh
mvn -B -q -ntp -Dstyle.color=never -DskipTests package
mvn -B -ntp -Dstyle.color=never failsafe:integration-test failsafe:verify \
    -Dit.test='SystemdDebIT,DebPackageIT,PackagingIT' -Dit.excludedGroups=benchmark \
    -Dfailsafe.failIfNoSpecifiedTests=false | tee target/test-packages.log | grep -E 'SYSTEMD-|Tests run|FAIL|BUILD'
