#!/usr/bin/env bash
# Moving an attached volume against its floor on this machine: virsh blockcopy --reuse-external --transient-job
# --wait --pivot of the same 256 MiB disk onto the same prepared target, beside Tether's move (POST to the
# operation's end), iSCSI onto iSCSI and onto RBD (a one-node lab Ceph); then the storage-driven move of an exported
# 1 GiB volume in use (POST /v1/volumes/{id}/migrate to the other pool: the copy made and exported, the guest
# moved, the old copy and its target gone) against virsh blockcopy onto a target exported by hand. Run as root;
# ~6 minutes (BENCH_ROUNDS rounds: 7 and 5 by default). The output goes to target/bench-move.log.
set -euo pipefail
cd "$(dirname "$0")/.."
bash lab/host-setup.sh
mvn -B -q -ntp -Dstyle.color=never -DskipTests package
mvn -B -ntp -Dstyle.color=never test-compile failsafe:integration-test failsafe:verify \
    -Dit.test='AttachedMoveIT#bench*,InUseVolumeMoveIT#bench*' -Dit.excludedGroups= \
    -Dfailsafe.failIfNoSpecifiedTests=false ${BENCH_ROUNDS:+-Dbench.rounds=$BENCH_ROUNDS} \
  | tee target/bench-move.log \
  | grep -E '^(move of|storage-driven move|  )'
