#!/usr/bin/env bash
# Live migration against its floor on this machine: a second libvirtd as host B (lab/host-b.sh), two packaged
# agents; virsh migrate --live --p2p of the same domain with the same disk prepared by hand on B, beside Tether's
# migration from a keep-alive client; then the destination's prepare of 1 and of 8 volumes. Run as root; ~2
# minutes (BENCH_ROUNDS rounds, 7 by default). The output goes to target/bench-migration.log.
set -euo pipefail
cd "$(dirname "$0")/.."
bash lab/host-setup.sh
mvn -B -q -ntp -Dstyle.color=never -DskipTests package
mvn -B -ntp -Dstyle.color=never failsafe:integration-test failsafe:verify \
    -Dit.test='LiveMigrationIT#bench*' -Dit.excludedGroups= -Dfailsafe.failIfNoSpecifiedTests=false \
    -Dbench.rounds="${BENCH_ROUNDS:-7}" \
  | tee target/bench-migration.log \
  | grep -E '^(live migration|  |destination prepare)'
