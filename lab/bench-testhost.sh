#!/usr/bin/env bash
# os-brick (the library Nova uses) against Tether's kernel path, side by side in the test-host VM on the same
# LIO targets: 20 sequential connect+disconnect cycles each, and 8 volumes in parallel; then volumes from a
# 1 GiB image on LVM thin, first and from the cache, against blank thin volumes; then exports under load on
# LIO and on tgt in the same VM (16 clients, 45 s each). Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash lab/host-setup.sh
mvn -B -q -ntp -Dstyle.color=never -DskipTests package
mvn -B -ntp -Dstyle.color=never test-compile failsafe:integration-test -Dit.test=OsBrickComparisonIT \
    -Dit.excludedGroups= -Dfailsafe.failIfNoSpecifiedTests=false | sed -n '/os-brick vs Tether/,/^}/p'
mvn -B -ntp -Dstyle.color=never failsafe:integration-test -Dit.test=ImageCacheBenchIT \
    -Dit.excludedGroups= -Dfailsafe.failIfNoSpecifiedTests=false | grep 'image cache on LVM thin'
mvn -B -ntp -Dstyle.color=never failsafe:integration-test -Dit.test=TargetLoadIT \
    -Dit.excludedGroups= -Dfailsafe.failIfNoSpecifiedTests=false | sed -n '/exports under load/,/^}/p'
