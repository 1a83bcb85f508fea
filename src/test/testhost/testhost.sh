#!/usr/bin/env bash
# The test host: a throwaway QEMU (TCG) VM booted from Debian's own kernel package, with this machine's root
# filesystem shared read-only over 9p under a tmpfs overlay. It has what this machine's kernel lacks:
# device-mapper (LVM thin), LIO (configfs) and iscsi_tcp (open-iscsi).
#
#   testhost.sh prepare                         fetch the kernel (cached), build the module tree and initramfs
#   testhost.sh boot GUEST_SCRIPT CONSOLE_LOG HOSTFWD...
#                                               boot; GUEST_SCRIPT runs as the VM's init; each HOSTFWD is
#                                               HOSTPORT:GUESTPORT, forwarded from 127.0.0.1 only
# Run as root. Exit codes: 0 ok, 2 a prerequisite is missing (the message says which).
set -euo pipefail

CACHE=${TETHER_TESTHOST_CACHE:-/var/cache/tether-testhost}
say() { printf '[testhost] %s\n' "$*" >&2; }
need() { say "$*"; exit 2; }

kernel_version() {
  apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: linux-image-\(.*\)$/\1/p' | head -1
}

prepare() {
  mkdir -p "$CACHE"
  local kver deb
  kver=$(cat "$CACHE/kver" 2>/dev/null || true)
  if [ -z "$kver" ] || [ ! -f "$CACHE/vmlinuz" ] || [ ! -f "$CACHE/initrd.gz" ]; then
    kver=$(kernel_version)
    [ -n "$kver" ] || { apt-get update -q >/dev/null 2>&1; kver=$(kernel_version); }
    [ -n "$kver" ] || need "no linux-image-amd64 in apt's lists (run apt-get update)"
    say "fetching linux-image-$kver"
    (cd "$CACHE" && apt-get download -q "linux-image-$kver" >/dev/null 2>&1) \
      || need "apt-get download linux-image-$kver failed"
    deb=$(ls "$CACHE"/linux-image-"$kver"_*.deb | head -1)
    rm -rf "$CACHE/kernel" "$CACHE/modroot"
    dpkg -x "$deb" "$CACHE/kernel"
    mkdir -p "$CACHE/modroot/lib/modules"
    mv "$CACHE/kernel/lib/modules/$kver" "$CACHE/modroot/lib/modules/"
    depmod -b "$CACHE/modroot" "$kver"
    cp "$CACHE/kernel/boot/vmlinuz-$kver" "$CACHE/vmlinuz"
    rm -rf "$CACHE/kernel"
    build_initrd "$kver"
    echo "$kver" > "$CACHE/kver"
  fi
  say "ready: kernel $kver"
}

build_initrd() {
  local kver=$1 root="$CACHE/initrd-root" m
  command -v cpio >/dev/null || need "cpio is not installed"
  [ -x /bin/busybox ] || need "busybox-static is not installed"
  rm -rf "$root"
  mkdir -p "$root"/{bin,dev,proc,sys,ro,rw,newroot,modules}
  cp /bin/busybox "$root/bin/busybox"
  for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache \
           9pnet 9pnet_virtio 9p overlay; do
    find "$CACHE/modroot/lib/modules/$kver" -name "$m.ko" -exec cp {} "$root/modules/" \;
  done
  cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache 9pnet \
         9pnet_virtio 9p overlay; do
  [ -f /modules/$m.ko ] && insmod /modules/$m.ko
done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostroot /ro || { echo "TESTHOST-FAIL: 9p root"; poweroff -f; }
mount -t tmpfs -o size=1536m tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/ro,upperdir=/rw/upper,workdir=/rw/work /newroot \
  || { echo "TESTHOST-FAIL: overlay"; poweroff -f; }
mkdir -p /newroot/lib/modules
mount -t 9p -o trans=virtio,version=9p2000.L,ro modroot /newroot/lib/modules
guest=$(sed -n 's/.*tether.guest=\([^ ]*\).*/\1/p' /proc/cmdline)
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /bin/bash "$guest"
INIT
  chmod +x "$root/init"
  (cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1 > "$CACHE/initrd.gz")
  rm -rf "$root"
}

boot() {
  local guest=$1 log=$2; shift 2
  local fwd="" p
  for p in "$@"; do fwd="$fwd,hostfwd=tcp:127.0.0.1:${p%%:*}-:${p##*:}"; done
  # TESTHOST_PROFILE: default, or multipath (two portals, multipathd, the agent with tether.iscsi.multipath)
  # TESTHOST_DISKS: raw images that outlive the VM (vda, vdb, ...), for tests that reboot it
  local disks=() d
  for d in ${TESTHOST_DISKS:-}; do disks+=(-drive "file=$d,if=virtio,format=raw"); done
  command -v qemu-system-x86_64 >/dev/null || need "qemu-system-x86 is not installed"
  # ahead of the host's own work (the suite runs the host's test classes beside this VM): a TCG vCPU thread that
  # loses its core stalls the other one (a lock holder preempted): under one core of load MultipathIT took 1.98x
  # its time alone here, 1.26x at this priority (TESTHOST_SMP=1: ~1.4x slower alone, little slower under load).
  # nice without root only warns.
  exec nice -n "${TESTHOST_NICE:--10}" qemu-system-x86_64 -accel tcg -m 3072 -smp "${TESTHOST_SMP:-2}" \
    -nographic -nodefaults -no-reboot \
    -serial "file:$log" -monitor none \
    -kernel "$CACHE/vmlinuz" -initrd "$CACHE/initrd.gz" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=passthrough,readonly=on,multidevs=remap \
    -virtfs "local,path=$CACHE/modroot/lib/modules,mount_tag=modroot,security_model=passthrough,readonly=on" \
    -nic "user,model=virtio-net-pci$fwd" \
    "${disks[@]}" \
    -append "console=ttyS0 quiet panic=-1 tether.guest=$guest tether.profile=${TESTHOST_PROFILE:-default}"
}

case "${1:-}" in
  # one prepare at a time (a test run beside another's)
  prepare) mkdir -p "$CACHE"; exec 9>"$CACHE/.prepare.lock"; flock 9; prepare ;;
  boot) shift; boot "$@" ;;
  *) echo "usage: testhost.sh prepare | boot GUEST_SCRIPT CONSOLE_LOG HOSTPORT:GUESTPORT..." >&2; exit 64 ;;
esac
