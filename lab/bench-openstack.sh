#!/usr/bin/env bash
# Tether under the real OpenStack lab (lab/openstack.sh on a single-node Ceph with a 4 GiB RAM store): the
# attachment flow through Cinder 21.3 (the call's time and the host's share of it), and a volume from a 1 GiB
# raw image, cloned from Glance's RBD store against downloaded from its file store, and back to Glance (copied
# inside Ceph against streamed); Cinder's volume create through Tether's driver against Cinder's RBD driver, one
# at a time and 20 at once. Run as root; ~6 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash lab/host-setup.sh
bash lab/openstack.sh install
mvn -B -q -ntp -Dstyle.color=never -DskipTests package
mvn -B -ntp -Dstyle.color=never failsafe:integration-test failsafe:verify -Dit.test=OpenStackBenchIT \
    -Dit.excludedGroups= -Dfailsafe.failIfNoSpecifiedTests=false \
  | tee target/bench-openstack.log \
  | sed -n '/^attachment flow through/,/^}/p; /^a 1 GiB raw image/,/^}/p; /^Cinder volume create/,/^}/p'
