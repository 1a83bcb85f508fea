#!/usr/bin/env bash
# Brings a fresh Debian 12 machine to the state Tether's demo and tests need:
# packages installed, libvirtd + virtlogd + tgtd running, tgtd bound to loopback only.
# Idempotent: every step checks before it acts. Must run as root.
set -euo pipefail

log() { printf '[host-setup] %s\n' "$*"; }

[ "$(id -u)" -eq 0 ] || { echo "host-setup: run as root" >&2; exit 1; }

PACKAGES=(openjdk-17-jdk-headless maven curl
          libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
          qemu-system-x86 qemu-block-extra qemu-utils
          tgt libiscsi-bin open-iscsi jq
          # packaging checks: rpmbuild for the RPM, systemd-analyze for the unit
          rpm systemd openssl
          # the test-host VM (src/test/testhost): its kernel's modules and tools come from this root
          lvm2 thin-provisioning-tools busybox-static cpio kmod udev iproute2 e2fsprogs python3-os-brick
          multipath-tools
          # LUKS volumes opened and formatted as os-brick does it (cryptsetup), beside QEMU's own LUKS
          cryptsetup-bin
          # NVMe over TCP in the test-host VM: the host side (nvme connect/disconnect)
          nvme-cli
          # a bootable Linux image built by the tests (volumes from images that boot)
          syslinux syslinux-common syslinux-efi mtools dosfstools ovmf
          # a file pool on XFS (reflink: image-cache clones that share extents) in the benchmark
          xfsprogs
          # a single-node Ceph for the RBD tests (started by the tests themselves, on loopback)
          ceph-mon ceph-mgr ceph-osd ceph-common
          # an S3 object store for the backup tests: Ceph's RADOS Gateway on that cluster; the zstd program for
          # the backup benchmark's floor
          radosgw zstd
          # the man page checked by PackagingIT (groff -ww); the .deb built and checked by DebPackageIT
          groff-base lintian)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get update -q >/dev/null
  # packages must not start their daemons here (multipathd, iscsid: this kernel has no dm or iscsi_tcp);
  # this script starts what the tests need itself
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

getent group kvm >/dev/null || groupadd -r kvm
if ! id libvirt-qemu >/dev/null 2>&1; then
  getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
  useradd -r -g libvirt-qemu -G kvm -s /usr/sbin/nologin libvirt-qemu
fi
mkdir -p /var/log/libvirt /var/run/libvirt /etc/libvirt

# No systemd and no cgroup delegation here: QEMU runs as root without a security driver.
if ! grep -q '^# tether-lab' /etc/libvirt/qemu.conf 2>/dev/null; then
  cat >> /etc/libvirt/qemu.conf <<'CONF'
# tether-lab
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
cgroup_controllers = [ ]
CONF
fi

pgrep -x virtlogd >/dev/null || { log "starting virtlogd"; virtlogd -d; }
pgrep -x libvirtd >/dev/null || { log "starting libvirtd"; libvirtd -d; }
for _ in $(seq 1 50); do
  virsh -q -c qemu:///system version >/dev/null 2>&1 && break
  sleep 0.2
done
virsh -q -c qemu:///system version >/dev/null || { echo "host-setup: libvirtd does not answer" >&2; exit 1; }

if ! pgrep -x tgtd >/dev/null; then
  log "starting tgtd on 127.0.0.1:3260"
  tgtd --iscsi portal=127.0.0.1:3260
fi
for _ in $(seq 1 50); do
  tgtadm --lld iscsi --op show --mode sys >/dev/null 2>&1 && break
  sleep 0.2
done
tgtadm --lld iscsi --op show --mode sys >/dev/null || { echo "host-setup: tgtd does not answer" >&2; exit 1; }
log "ready: $(virsh -c qemu:///system version | grep -i hypervisor | head -1 | sed "s/^ *//"), tgtd on 127.0.0.1:3260"
