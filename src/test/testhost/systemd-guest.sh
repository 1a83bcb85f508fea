#!/bin/bash
# init of the test-host VM for the packaged service: hands PID 1 to this machine's own systemd, which boots
# (journald, udevd, dm-event, ...) straight into one oneshot unit running systemd-check.sh, whose lines go to
# the serial console. Nothing here touches the agent's own unit: it comes from the RPM, as on a real host.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
HERE=$(dirname "$(readlink -f "$0")")
mkdir -p /etc/systemd/system
cat > /etc/systemd/system/tether-systemd-check.service <<UNIT
[Unit]
Description=Tether packaged-service check
Wants=systemd-udevd.service systemd-journald.service
After=systemd-udevd.service systemd-journald.service systemd-tmpfiles-setup.service

[Service]
Type=oneshot
ExecStart=/bin/bash $HERE/systemd-check.sh
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
TimeoutStartSec=0
UNIT
# the VM's root is this machine's, and the checkout (this script's own directory) may be under /tmp: Debian's
# tmpfiles.d/tmp.conf ("D /tmp") would empty /tmp at boot, before the check runs
mkdir -p /etc/tmpfiles.d
ln -sf /dev/null /etc/tmpfiles.d/tmp.conf
for u in systemd-remount-fs systemd-fsck-root serial-getty@ttyS0 getty@tty1; do
  ln -sf /dev/null "/etc/systemd/system/$u.service"
done
if [ ! -s /etc/machine-id ]; then
  head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > /etc/machine-id
fi
echo "SYSTEMD: handing PID 1 to systemd"
exec /lib/systemd/systemd --unit=tether-systemd-check.service --show-status=0
