#!/usr/bin/env bash
# Tether under the real OpenStack lab (lab/openstack.sh on a single-node Ceph with a 4 GiB RAM store): the
# attachment flow through Cinder 21.3 (the call's time and the host's share of it), and a volume from a 1 GiB
# raw image, cloned from Glance's RBD store against downloaded from its file store. Run as root; ~3 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash lab/host-setup.sh
bash lab/openstack.sh install
mvn -B -q -ntp -Dstyle.color=never -DskipTests package
mvn -B -ntp -Dstyle.color=never failsafe:integration-test -Dit.test=OpenStackBenchIT \
    -Dit.excludedGroups= -Dfailsafe.failIfNoSpecifiedTests=false \
  | sed -n '/^attachment flow through/,/^}/p; /^a 1 GiB raw image/,/^}/p'
