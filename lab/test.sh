#!/usr/bin/env bash
# The whole test suite: installs what is missing, starts libvirtd, virtlogd and tgtd on loopback (the tests start
# Ceph and the OpenStack services themselves, on loopback too), then runs
# unit and integration tests (Maven Surefire). Run as root on Debian 12. .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash lab/host-setup.sh
# Keystone, Cinder, Glance, Barbican and RabbitMQ from Debian (~2.5 min the first time); OpenStackLabIT starts them
bash lab/openstack.sh install
# the Cinder driver's own tests, with Debian's cinder package (3 s); CinderDriverIT runs it in cinder-volume
(cd integrations/cinder && PYTHONPATH=. PATH=/usr/bin:/bin timeout 120 python3 -m unittest tests.test_driver)
# (the test-host VM's agent gets its class-data archive from a training start the VM tests make: AgentClassArchive)
mvn -B -ntp -Dstyle.color=never clean verify "$@"
