#!/usr/bin/env bash
# Builds a small disk image that boots a real Linux under BIOS and UEFI alike: a FAT "superfloppy" with SYSLINUX
# (its BIOS boot sector, and its EFI loader as \EFI\BOOT\BOOTX64.EFI), the Debian kernel the test host already
# fetched, and an initramfs whose /init prints LINE on the serial console and powers off.
#
#   os-image.sh OUT.qcow2 LINE        (root; run src/test/testhost/testhost.sh prepare first, or it is run here)
#
# Needs syslinux, syslinux-common, syslinux-efi, mtools, dosfstools, busybox-static, cpio, qemu-utils (lab/host-setup.sh).
# No loop device, mount or root-only tool touches the image. Exit codes: 0 ok, 2 a prerequisite is missing.
set -euo pipefail

out=${1:?usage: os-image.sh OUT.qcow2 LINE}
line=${2:?usage: os-image.sh OUT.qcow2 LINE}
here=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${TETHER_TESTHOST_CACHE:-/var/cache/tether-testhost}
need() { printf '[os-image] %s\n' "$*" >&2; exit 2; }

for tool in syslinux mcopy mkfs.vfat cpio qemu-img; do
  command -v "$tool" >/dev/null || need "$tool is not installed (lab/host-setup.sh)"
done
[ -x /bin/busybox ] || need "busybox-static is not installed"
efi=/usr/lib/SYSLINUX.EFI/efi64/syslinux.efi
[ -f "$efi" ] || need "syslinux-efi is not installed"
[ -f "$CACHE/vmlinuz" ] || bash "$here/src/test/testhost/testhost.sh" prepare
[ -f "$CACHE/vmlinuz" ] || need "no kernel in $CACHE"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/bin" "$work/root/proc" "$work/root/dev"
cp /bin/busybox "$work/root/bin/busybox"
for l in sh mount cat poweroff sleep; do ln -s busybox "$work/root/bin/$l"; done
# the line is data for printf, never code: it is passed as an argument to the init, not spliced into it
printf '%s\n' "$line" > "$work/root/line"
cat > "$work/root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t devtmpfs dev /dev 2>/dev/null
cat /line > /dev/ttyS0
poweroff -f
INIT
chmod 0755 "$work/root/init"
(cd "$work/root" && find . | cpio -o -H newc --quiet | gzip -9) > "$work/initrd.gz"

cat > "$work/syslinux.cfg" <<'CFG'
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL vmlinuz
  INITRD initrd.gz
  APPEND console=ttyS0 quiet panic=-1
CFG
mkfs.vfat -C "$work/os.img" 40960 >/dev/null
syslinux --install "$work/os.img"
cp "$CACHE/vmlinuz" "$work/vmlinuz"
mcopy -i "$work/os.img" "$work/vmlinuz" "$work/initrd.gz" "$work/syslinux.cfg" ::
# UEFI: SYSLINUX's EFI loader reads the configuration beside it; the kernel and initramfs are shared
sed -e 's|KERNEL vmlinuz|KERNEL /vmlinuz|' -e 's|INITRD initrd.gz|INITRD /initrd.gz|' "$work/syslinux.cfg" > "$work/efi.cfg"
mmd -i "$work/os.img" ::/EFI ::/EFI/BOOT
mcopy -i "$work/os.img" "$efi" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$work/os.img" /usr/lib/syslinux/modules/efi64/ldlinux.e64 ::/EFI/BOOT/ldlinux.e64
mcopy -i "$work/os.img" "$work/efi.cfg" ::/EFI/BOOT/syslinux.cfg
qemu-img convert -f raw -O qcow2 "$work/os.img" "$out"
