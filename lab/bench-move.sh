#!/usr/bin/env bash
# Moving an attached volume against its floor on this machine: virsh blockcopy --reuse-external --transient-job
# --wait --pivot of the same 256 MiB disk onto the same prepared target, beside Tether's move (POST to the
# operation's end), iSCSI onto iSCSI and onto RBD (a one-node lab Ceph). Run as root; ~3 minutes (BENCH_ROUNDS
# rounds, 7 by default). The output goes to target/bench-move.log.
set -euo pipefail
cd "$(dirname "$0")/.."
bash lab/host-setup.sh
mvn -B -q -ntp -Dstyle.color=never -DskipTests package
mvn -B -ntp -Dstyle.color=never test-compile failsafe:integration-test failsafe:verify \
    -Dit.test='AttachedMoveIT#bench*' -Dit.excludedGroups= -Dfailsafe.failIfNoSpecifiedTests=false \
    -Dbench.rounds="${BENCH_ROUNDS:-7}" \
  | tee target/bench-move.log \
  | grep -E '^(move of|  )'
