#!/bin/bash
# init of the test-host VM: brings up the kernel pieces (device-mapper, LIO, iscsi_tcp), udev, iscsid, an LVM
# VG on a loop device, libvirtd with one TCG domain, a read-only probe server, and the agent under test.
# Every failure prints one TESTHOST-FAIL line saying why, then powers off.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
HERE=$(dirname "$(readlink -f "$0")")
ROOT=$(cd "$HERE/../../.." && pwd)
fail() { echo "TESTHOST-FAIL: $*"; echo o > /proc/sysrq-trigger; sleep 10; }
step() { echo "TESTHOST: $*"; }

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs tmpfs /run
# the outer host's own agent state is not this host's: start from none (the overlay hides it, the host keeps it)
rm -rf /var/lib/tether
mkdir -p /dev/pts /dev/shm /run/lock /var/lib/tether
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
hostname testhost
step "kernel $(uname -r)"

for m in dm_mod dm_thin_pool dm_snapshot iscsi_tcp target_core_mod iscsi_target_mod target_core_iblock \
         target_core_file loop sd_mod configfs virtio_net dm_crypt nvme_core nvme_fabrics nvme_tcp nvmet \
         nvmet_tcp; do
  modprobe "$m" || fail "module $m"
done
mount -t configfs none /sys/kernel/config || fail "configfs"
mkdir -p /sys/kernel/config/target/iscsi 2>/dev/null
# no /etc/nvme here (nvme gen-hostnqn would give an all-zero uuid in this VM): the agent makes the host NQN
rm -rf /etc/nvme

ip link set lo up
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2 || fail "network"

/lib/systemd/systemd-udevd --daemon || fail "udevd"
udevadm trigger --action=add && udevadm settle

mkdir -p /etc/iscsi /var/lib/iscsi /run/lock/iscsi
iscsid || fail "iscsid"

# the profile the outer test asked for on the kernel command line; agent.sh reads it too
PROFILE=$(sed -n 's/.*tether.profile=\([a-z]*\).*/\1/p' /proc/cmdline)
echo "${PROFILE:-default}" > /run/profile
if [ "$PROFILE" = multipath ]; then
  bash "$HERE/multipath-profile.sh" || fail "multipath profile"
  step "multipathd up"
fi

if [ -b /dev/vda ] && [ -b /dev/vdb ]; then
  # persistent mode (reboot tests): vda is the PV, vdb holds what a real host keeps on disk across a reboot:
  # the agent's state, open-iscsi's node records, the LIO saveconfig, libvirt's domain definitions and secrets,
  # the NVMe host NQN; vdc, when given, is the PV of the pool exported over NVMe/TCP, vdd that of the thick pool
  PV=/dev/vda
  blkid /dev/vdb >/dev/null 2>&1 || mkfs.ext4 -q /dev/vdb || fail "mkfs on vdb"
  mkdir -p /persist && mount /dev/vdb /persist || fail "mount vdb"
  for d in /var/lib/tether /etc/iscsi /var/lib/iscsi /etc/target /etc/libvirt/qemu /etc/libvirt/secrets /etc/nvme; do
    keep="/persist/${d//\//_}"
    if [ ! -d "$keep" ]; then
      # first boot on this disk: seeded whole or not at all (a boot cut short here, then booted again, must not
      # find a kept directory that lacks, say, the initiator name)
      rm -rf "$keep.new" && mkdir -p "$keep.new" "$d" && cp -a "$d/." "$keep.new/" && sync -f "$keep.new" \
        && mv "$keep.new" "$keep" && sync -f /persist || fail "seed $keep from $d"
    fi
    mkdir -p "$d" && mount --bind "$keep" "$d" || fail "persist $d"
  done
  # a VG on a disk that outlives the VM: activated when a boot before made it, else made
  disk_vg() { # disk_vg VG DEVICE
    if vgs "$1" >/dev/null 2>&1; then
      vgchange -q -ay "$1" >/dev/null || { fail "activate VG $1 on $2"; return 1; }
      step "VG $1 on $2 (found, activated)"
    else
      pvcreate -q "$2" && vgcreate -q "$1" "$2" >/dev/null || { fail "LVM VG $1 on $2"; return 1; }
      step "VG $1 on $2 (new)"
    fi
  }
  disk_vg cinder-volumes "$PV"
  if [ -b /dev/vdc ]; then disk_vg cinder-nvme /dev/vdc && echo /dev/vdc > /run/pv3; fi
  if [ -b /dev/vdd ]; then disk_vg cinder-thick /dev/vdd && echo /dev/vdd > /run/pv2; fi
else
  truncate -s 8G /var/lib/tether-pv.img
  PV=$(losetup -f --show /var/lib/tether-pv.img) || fail "loop device"
  pvcreate -q "$PV" && vgcreate -q cinder-volumes "$PV" >/dev/null || fail "LVM VG on $PV"
  step "VG cinder-volumes on $PV"
  # a second pool for moves between pools: thick volumes on a VG of their own
  truncate -s 3G /var/lib/tether-pv2.img
  PV2=$(losetup -f --show /var/lib/tether-pv2.img) || fail "loop device"
  pvcreate -q "$PV2" && vgcreate -q cinder-thick "$PV2" >/dev/null || fail "LVM VG on $PV2"
  echo "$PV2" > /run/pv2
  step "VG cinder-thick on $PV2"
  # a third for the pool exported over NVMe/TCP (nvmet)
  truncate -s 3G /var/lib/tether-pv3.img
  PV3=$(losetup -f --show /var/lib/tether-pv3.img) || fail "loop device"
  pvcreate -q "$PV3" && vgcreate -q cinder-nvme "$PV3" >/dev/null || fail "LVM VG on $PV3"
  echo "$PV3" > /run/pv3
  step "VG cinder-nvme on $PV3"
fi

# the probe first: a guest stuck further on can still be looked into
busybox httpd -p 8081 -h "$HERE/probe" || fail "probe server"

mkdir -p /var/log/libvirt /var/run/libvirt
# libvirtd probes every QEMU binary at start; under TCG the i386 one is only cost and risk here
rm -f /usr/bin/qemu-system-i386
VIRSH="timeout 120 virsh -q -c qemu:///system"
# libvirtd and virtlogd up and answering for the qemu driver (not only the daemon): true when they do
start_libvirtd() {
  timeout 30 virtlogd -d && LIBVIRT_LOG_OUTPUTS="3:file:/var/log/libvirt/libvirtd.log" timeout 30 libvirtd -d || return 1
  local end=$((SECONDS + 90))
  while [ $SECONDS -lt $end ]; do
    timeout 15 virsh -q -c qemu:///system list --all >/dev/null 2>&1 && return 0
    sleep 0.3
  done
  return 1
}
if ! start_libvirtd; then
  # seen now and then under TCG: a libvirtd that never answers. Say what it was doing, then start it again
  step "libvirtd does not answer after 90 s; restarting it: $(ps -eo pid,stat,etime,wchan:20,args \
    | grep -e '[l]ibvirt' -e '[q]emu' -e '[v]irt' | cut -c1-160 | tr '\n' ';')"
  tail -n 30 /var/log/libvirt/libvirtd.log 2>/dev/null
  pkill -9 -x libvirtd; pkill -9 -x virtlogd; sleep 1
  start_libvirtd || fail "libvirtd does not answer, twice"
fi
cat > /run/testdom.xml <<XML
<domain type='qemu'><name>testdom</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>
<devices><controller type='scsi' index='0' model='virtio-scsi'/></devices></domain>
XML
if $VIRSH list --all --name | grep -qx testdom; then
  # defined before a reboot: left shut off, as a host leaves its domains; its disks need their sessions first
  step "libvirtd up, domain testdom kept from before the reboot"
else
  $VIRSH define /run/testdom.xml >/dev/null && $VIRSH start testdom >/dev/null || fail "test domain"
  # a shut-off domain: attaching to it edits its config only, so timing it times the host connect
  sed 's/testdom/benchdom/' /run/testdom.xml > /run/benchdom.xml
  $VIRSH define /run/benchdom.xml >/dev/null || fail "bench domain"
  step "libvirtd and domain testdom up"
fi

echo "$PV" > /run/pv
bash "$HERE/agent.sh" start || fail "agent"
step "agent starting"
while :; do sleep 3600; done
