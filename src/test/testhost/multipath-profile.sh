#!/bin/bash
# The multipath profile of the test-host VM: guest.sh runs it at a boot with tether.profile=multipath, and the
# probe (what=profile&name=multipath) on a running VM, which MultipathIT takes over from KernelPathsIT instead of
# booting one. agent.sh reads /run/profile at the agent's next start (both portals, tether.iscsi.multipath).
# Prints "profile multipath" when done; anything else is why not (exit 1).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
# two portals (127.0.0.1 and 10.0.2.15) of one LIO target: two sessions, one dm-multipath map per LUN
# LIO reports ALUA; multipath-tools then asks for the alua hardware handler, which must be loaded
for m in dm_multipath dm_round_robin dm_service_time scsi_dh_alua; do modprobe "$m" || { echo "module $m"; exit 1; }; done
mkdir -p /etc/multipath
cat > /etc/multipath.conf <<'CONF'
defaults {
  user_friendly_names no
  find_multipaths no
}
blacklist {
  devnode "^vd[a-z]"
}
# multipath-tools' table gives LIO-ORG the alua handler, but these LUNs report no TPGS in INQUIRY, so the
# kernel refuses the handler (-ENODEV) and no map is made: plain multibus over both paths instead
devices {
  device {
      vendor "LIO-ORG"
      product ".*"
      hardware_handler "0"
      path_grouping_policy "multibus"
      prio "const"
      path_checker "tur"
  }
}
CONF
command -v multipathd >/dev/null || { echo "multipath-tools is not installed on the outer host"; exit 1; }
setsid multipathd -d -v3 < /dev/null > /run/multipathd.log 2>&1 &
for _ in $(seq 1 50); do multipathd show daemon >/dev/null 2>&1 && break; sleep 0.2; done
multipathd show daemon >/dev/null 2>&1 || { echo "multipathd does not answer"; exit 1; }
echo multipath > /run/profile
echo "profile multipath"
