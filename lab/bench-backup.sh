#!/usr/bin/env bash
# Backups to S3 against their floors, on a single-node Ceph with RADOS Gateway (lab/ceph-cluster.sh): a 4 GiB
# volume holding 1 GiB, full backup, incremental after 1 % changed, restore, and the agent's memory meanwhile.
# The agent runs with the JVM options of systemd/tether-agent.service; BENCH_JIT=-XX:+TieredCompilation lets C2
# compile too, BENCH_CHUNK_BYTES changes the chunk size. Run as root; ~3 minutes. The whole output goes to
# target/bench-backup.log, the agent's log to target/bench-backup-agent.log.
set -euo pipefail
cd "$(dirname "$0")/.."
bash lab/host-setup.sh
mvn -B -q -ntp -Dstyle.color=never -DskipTests package
mvn -B -ntp -Dstyle.color=never failsafe:integration-test failsafe:verify -Dit.test=BackupBenchIT \
    -Dit.excludedGroups= -Dfailsafe.failIfNoSpecifiedTests=false \
  | tee target/bench-backup.log \
  | sed -n '/^backup of a 4 GiB /,/^}/p'
