#!/bin/bash
# Runs under real systemd in the test-host VM (see systemd-guest.sh): installs the RPM the tests built, then
# for storage (LVM thin + LIO) and both (kernel-path attach) mode starts tether-agent.service as an operator
# would, then replaces it with the .deb (apt install, compute mode, an upgrade with a disk attached, remove,
# purge), and checks what issues 21 and 34 ask: systemctl start returns only when the API answers, the
# mode's work succeeds inside the unit's hardening, kill -9 and SIGSTOP are restarted, stop ends inactive with
# Result=success, and the journal holds no token or CHAP secret. One SYSTEMD-OK / SYSTEMD-FAIL line per check,
# SYSTEMD-DONE at the end; the outer test reads them from the console.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
HERE=$(dirname "$(readlink -f "$0")")
ROOT=$(cd "$HERE/../../.." && pwd)
# which package flow the outer test asked for: "rpm" (SystemdUnitIT: the RPM in every mode) or "deb"
# (SystemdDebIT: the RPM in storage and both mode, then the .deb installed, upgraded, removed, purged)
FLOW=$(cat "$ROOT/target/testhost/flow" 2>/dev/null || echo rpm)
FAILED=0
ok() { echo "SYSTEMD-OK: $*"; }
bad() { echo "SYSTEMD-FAIL: $*"; FAILED=1; }
step() { echo "SYSTEMD: $*"; }
journal() { journalctl -u tether-agent --no-pager -n "${1:-25}" -o cat | cut -c1-300 | sed 's/^/SYSTEMD-JOURNAL: /'; }
finish() {
  echo "SYSTEMD-DONE failed=$FAILED"
  systemctl poweroff --no-block
  exit 0
}
fatal() { bad "$*"; journal 40; finish; }

# --- the host around the agent: kernel pieces, LVM, iscsid, libvirtd -------------------------------------
# every host step bounded and announced: a stall says where it stalled, and ends the check instead of hanging it
step "host: modules"
for m in dm_mod dm_thin_pool dm_snapshot iscsi_tcp target_core_mod iscsi_target_mod target_core_iblock \
         target_core_file loop sd_mod configfs; do
  timeout 60 modprobe "$m" || fatal "module $m"
done
mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config || fatal "configfs"
ip link set lo up
step "host: VG"
truncate -s 6G /var/lib/tether-pv.img
PV=$(timeout 60 losetup -f --show /var/lib/tether-pv.img) || fatal "loop device"
timeout 120 pvcreate -q "$PV" >/dev/null && timeout 120 vgcreate -q cinder-volumes "$PV" >/dev/null \
  || fatal "VG on $PV"
step "host: iscsid, libvirtd"
mkdir -p /etc/iscsi /var/lib/iscsi /run/lock/iscsi
timeout 60 iscsid || fatal "iscsid"
mkdir -p /var/log/libvirt /var/run/libvirt
rm -f /usr/bin/qemu-system-i386
virtlogd -d && libvirtd -d || fatal "libvirtd"
for _ in $(seq 1 100); do timeout 10 virsh -q -c qemu:///system version >/dev/null 2>&1 && break; sleep 0.2; done
step "host: test domain"
cat > /run/testdom.xml <<XML
<domain type='qemu'><name>testdom</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>
<devices><controller type='scsi' index='0' model='virtio-scsi'/></devices></domain>
XML
timeout 120 virsh -q -c qemu:///system define /run/testdom.xml >/dev/null \
  && timeout 180 virsh -q -c qemu:///system start testdom >/dev/null || fatal "test domain"
step "host ready: VG on $PV, iscsid, libvirtd, domain testdom"

# --- the package, as an operator installs it ----------------------------------------------------------
RPM=$(ls "$ROOT"/target/testhost/rpm/RPMS/noarch/tether-agent-*.rpm 2>/dev/null | head -1)
[ -n "$RPM" ] || fatal "no RPM under target/testhost/rpm (the outer test builds it there)"
rpm --initdb && rpm -i --nodeps "$RPM" >/dev/null 2>&1 || fatal "rpm -i $RPM"
cmp -s /usr/lib/systemd/system/tether-agent.service "$ROOT/systemd/tether-agent.service" \
  && ok "the installed unit is the one in systemd/ (no test override)" || bad "installed unit differs from systemd/"
[ -z "$(systemctl show -p DropInPaths --value tether-agent)" ] && ok "no drop-in changes the unit" \
  || bad "drop-ins: $(systemctl show -p DropInPaths --value tether-agent)"
[ -s /etc/tether/api-token ] && [ -s /etc/tether/tls/agent.crt ] && [ "$(stat -c %a /etc/tether/tls/agent.key)" = 600 ] \
  && ok "install made the API token and the TLS certificate (key 0600)" || bad "token or TLS files missing"
TOKEN=$(cat /etc/tether/api-token)
INITIATOR=$(sed -n 's/^InitiatorName=//p' /etc/iscsi/initiatorname.iscsi)
cp /etc/tether/agent.properties /run/agent.properties.rpm

# api METHOD PATH [JSON]: prints the status code; the body is in /run/body
api() {
  local args=(-s --max-time 120 --cacert /etc/tether/tls/agent.crt -H "Authorization: Bearer $TOKEN" -o /run/body
              -w '%{http_code}' -X "$1")
  [ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json' -d "$3")
  curl "${args[@]}" "https://127.0.0.1:8443$2"
}
expect() { # expect WHAT CODE METHOD PATH [JSON]
  local what=$1 want=$2 got; shift 2
  got=$(api "$@")
  if [ "$got" = "$want" ]; then ok "$what"; else bad "$what: $1 $2 answered $got: $(head -c 600 /run/body)"; fi
}

configure() { # the operator's settings for one mode, after the package's own
  cp /run/agent.properties.rpm /etc/tether/agent.properties
  cat >> /etc/tether/agent.properties <<PROPS
tether.mode=$1
tether.storage.backend=lvm
tether.storage.lvm.vg=cinder-volumes
tether.storage.lvm.pvs=$PV
tether.storage.lvm.thin-pool-size=2g
tether.storage.target.driver=lio
tether.storage.target.portals=127.0.0.1:3260
tether.attach.default-path=kernel
tether.iscsi.device-timeout=30s
tether.instances.virt-type=qemu
tether.connector.ip=127.0.0.1
PROPS
}

start() { # systemctl start returns only when the API answers
  local t0=$SECONDS
  systemctl start tether-agent || { fatal "$1: systemctl start tether-agent failed"; }
  local code rc
  # a refused connection fails at once (curl exit 7); under TCG the JVM may be slow to answer, not absent
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 --cacert /etc/tether/tls/agent.crt \
         https://127.0.0.1:8443/q/health/live); rc=$?
  [ "$code" = 200 ] && ok "$1: the API answered the first request after systemctl start returned ($((SECONDS - t0)) s)" \
    || bad "$1: first request after systemctl start answered '$code' (curl exit $rc)"
  code=$(curl -s -o /run/body -w '%{http_code}' --max-time 30 --cacert /etc/tether/tls/agent.crt \
         https://127.0.0.1:8443/q/health/ready)
  [ "$code" = 200 ] && ok "$1: ready" || bad "$1: readiness $code: $(head -c 600 /run/body)"
}

stop() { # a stop is a success, not a failure
  systemctl stop tether-agent
  local state result
  state=$(systemctl is-active tether-agent)
  result=$(systemctl show -p Result --value tether-agent)
  [ "$state" = inactive ] && [ "$result" = success ] && ok "$1: systemctl stop leaves it inactive, Result=success" \
    || bad "$1: after stop: $state, Result=$result, ExecMainStatus=$(systemctl show -p ExecMainStatus --value tether-agent)"
}

await_restart() { # await_restart WHAT OLDPID SECONDS
  local pid
  for _ in $(seq 1 "$3"); do
    pid=$(systemctl show -p MainPID --value tether-agent)
    if [ "$pid" != 0 ] && [ "$pid" != "$2" ] && [ "$(systemctl is-active tether-agent)" = active ]; then
      ok "$1: systemd restarted it (pid $2 -> $pid)"
      return 0
    fi
    sleep 1
  done
  bad "$1: not restarted within $3 s ($(systemctl is-active tether-agent), MainPID=$pid)"
}

# --- storage: LVM thin + LIO inside the hardening -----------------------------------------------------
configure storage
start storage
VOL=$(cat /proc/sys/kernel/random/uuid)
expect "storage: thin volume created inside the unit" 201 POST /v1/volumes "{\"id\":\"$VOL\",\"size_gb\":1,\"thin\":true}"
if grep -q storage_backend_failed /run/body; then # what the unit's sandbox denies lvm, for the record
  PID=$(systemctl show -p MainPID --value tether-agent)
  step "diag: dm-event.socket $(systemctl is-active dm-event.socket); $(ls -l /run/dmeventd-* 2>&1 | tr '\n' ' ')"
  nsenter -t "$PID" -m -- lvcreate -vvvv --type thin-pool -L 1g -n diagpool cinder-volumes > /run/diag.log 2>&1
  step "diag: in the unit's mount namespace lvcreate exited $?; outside:"
  grep -n -iE 'error|fail|denied|read-only|not permitted|cannot|unable|abort|refus|EROFS|errno' /run/diag.log | head -30 \
    | cut -c1-220 | sed 's/^/SYSTEMD-DIAG: /'
  tail -30 /run/diag.log | cut -c1-220 | sed 's/^/SYSTEMD-DIAG-TAIL: /'
  lvcreate --type thin-pool -L 1g -n diagpool2 cinder-volumes > /run/diag2.log 2>&1
  step "diag: outside the unit lvcreate exited $?: $(tail -2 /run/diag2.log | tr '\n' ' ')"
  lvremove -y cinder-volumes/diagpool2 >/dev/null 2>&1
  journalctl --no-pager -o cat -n 200 | grep -iE 'lvm|dmeventd|audit|denied' | tail -15 | sed 's/^/SYSTEMD-DIAG-J: /'
fi
expect "storage: thin volume extended (lvextend)" 200 POST "/v1/volumes/$VOL/extend" '{"new_size_gb":2}'
SNAP=$(cat /proc/sys/kernel/random/uuid)
expect "storage: thin snapshot" 201 POST "/v1/volumes/$VOL/snapshots" "{\"id\":\"$SNAP\"}"
expect "storage: snapshot deleted" 204 DELETE "/v1/snapshots/$SNAP"
THICK=$(cat /proc/sys/kernel/random/uuid)
expect "storage: thick volume created" 201 POST /v1/volumes "{\"id\":\"$THICK\",\"size_gb\":1,\"thin\":false}"
expect "storage: thick volume deleted (wiped)" 204 DELETE "/v1/volumes/$THICK"
expect "storage: LIO export (configfs)" 200 PUT "/v1/volumes/$VOL/exports/$INITIATOR" \
  "{\"initiator\":\"$INITIATOR\"}"
[ ! -e /etc/target/saveconfig.json ] && ok "storage: saveconfig.json left to targetcli" || bad "storage: the agent wrote /etc/target/saveconfig.json"
expect "storage: unexport" 204 DELETE "/v1/volumes/$VOL/exports/$INITIATOR"
expect "storage: volume deleted" 204 DELETE "/v1/volumes/$VOL"
stop storage

# --- both: export and a kernel-path attach in one agent; kill -9 and a hung JVM are restarted ----------------
configure both
start both
VOL=$(cat /proc/sys/kernel/random/uuid)
expect "both: volume created" 201 POST /v1/volumes "{\"id\":\"$VOL\",\"size_gb\":1,\"thin\":true}"
expect "both: exported to this host" 200 PUT "/v1/volumes/$VOL/exports/$INITIATOR" "{\"initiator\":\"$INITIATOR\"}"
cp /run/body /run/connection_info.json
CHAP=$(sed -n 's/.*"auth_password":"\([^"]*\)".*/\1/p' /run/connection_info.json)
expect "both: kernel-path attach (iscsiadm, sysfs scan, libvirt) inside the unit" 200 PUT \
  "/v1/instances/testdom/volumes/$VOL" "{\"connection_info\":$(cat /run/connection_info.json),\"bus\":\"scsi\"}"
# tetherctl as root with no flags: the agent's own configuration gives the address, the token and the certificate
if out=$(tetherctl -o value attachments 2>&1) && echo "$out" | grep -q "^$VOL testdom attached "; then
  ok "both: tetherctl attachments with no flags (the agent's address, token and certificate from its configuration)"
else
  bad "both: tetherctl attachments: $out"
fi
if out=$(tetherctl status 2>&1); then ok "both: tetherctl status: UP"; else bad "both: tetherctl status: $out"; fi
expect "both: detach and logout" 204 DELETE "/v1/instances/testdom/volumes/$VOL"
PID=$(systemctl show -p MainPID --value tether-agent)
kill -9 "$PID"
await_restart "both: kill -9" "$PID" 150
systemctl start tether-agent # returns once it is ready again
PID=$(systemctl show -p MainPID --value tether-agent)
kill -STOP "$PID"
step "JVM $PID stopped; waiting for the watchdog"
await_restart "both: a hung JVM (SIGSTOP) missed its watchdog pings" "$PID" 200
systemctl start tether-agent
stop both

RPM_TOKEN=$TOKEN
if [ "$FLOW" = rpm ]; then
# --- compute: the kernel path against the export left by the storage side ----------------------------
configure compute
start compute
expect "compute: kernel-path attach" 200 PUT "/v1/instances/testdom/volumes/$VOL" \
  "{\"connection_info\":$(cat /run/connection_info.json),\"bus\":\"scsi\"}"
expect "compute: detach" 204 DELETE "/v1/instances/testdom/volumes/$VOL"
stop compute

else
# --- the .deb: installed on a host as an operator does (apt), compute mode, an upgrade with a disk attached,
# remove, purge ---------------------------------------------------------------------------------------------
step "deb: the RPM removed; the state of a fresh host"
rpm -e --nodeps tether-agent >/dev/null 2>&1 || bad "deb: rpm -e tether-agent"
rm -rf /etc/tether /var/lib/tether
# this machine's image is a container's, whose policy-rc.d forbids packages to start services; a host has none
rm -f /usr/sbin/policy-rc.d
DEB1=$(ls "$ROOT"/target/testhost/deb/tether-agent_*-1_all.deb 2>/dev/null | head -1)
DEB2=$(ls "$ROOT"/target/testhost/deb/tether-agent_*-2_all.deb 2>/dev/null | head -1)
[ -n "$DEB1" ] && [ -n "$DEB2" ] || fatal "no .deb builds 1 and 2 under target/testhost/deb (the outer test builds them there)"
# apt against what is installed alone: this machine's package lists (tens of MB) would be parsed at every call,
# minutes under TCG, and the VM has no network to use them; every dependency is installed here
APT=(apt-get -y -q -o Dir::State::Lists=/run/apt-lists -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
     -o Dpkg::Options::=--force-confold)
mkdir -p /run/apt-lists/partial
apt_install() {
  DEBIAN_FRONTEND=noninteractive timeout 900 "${APT[@]}" install --no-install-recommends "$1" > /run/apt.log 2>&1
}
# the operator's settings in place before the package, as configuration management puts them: the agent
# starts in compute mode at its first start (the package's own file is kept beside, as .dpkg-dist)
install -d -m 0750 /etc/tether
configure compute
if apt_install "$DEB1"; then ok "deb: apt install ./$(basename "$DEB1")"; else fatal "deb: apt install: $(tail -5 /run/apt.log | tr '\n' ' ')"; fi
[ "$(systemctl is-enabled tether-agent)" = enabled ] && [ "$(systemctl is-active tether-agent)" = active ] \
  && ok "deb: postinst enabled and started the unit" \
  || bad "deb: after install: $(systemctl is-enabled tether-agent), $(systemctl is-active tether-agent)"
[ -s /etc/tether/api-token ] && [ -s /etc/tether/tls/agent.crt ] && [ "$(stat -c %a /etc/tether/tls/agent.key)" = 600 ] \
  && ok "deb: postinst made the API token and the TLS certificate (key 0600)" || bad "deb: token or TLS files missing"
TOKEN=$(cat /etc/tether/api-token)
if out=$(tetherctl status 2>&1); then ok "deb: tetherctl status with no flags: UP"; else bad "deb: tetherctl status: $out"; fi
grep -q '^tether.mode=compute' /etc/tether/agent.properties && ok "deb: the operator's settings in place before kept" \
  || bad "deb: the install replaced /etc/tether/agent.properties"
expect "compute: kernel-path attach" 200 PUT "/v1/instances/testdom/volumes/$VOL" \
  "{\"connection_info\":$(cat /run/connection_info.json),\"bus\":\"scsi\"}"
BEFORE=$(systemctl show -p MainPID --value tether-agent)
step "deb: upgrading with the disk attached"
if apt_install "$DEB2"; then ok "deb: upgraded to $(dpkg-query -W -f='${Version}' tether-agent)"; else bad "deb: upgrade: $(tail -5 /run/apt.log | tr '\n' ' ')"; fi
AFTER=$(systemctl show -p MainPID --value tether-agent)
[ "$(systemctl is-active tether-agent)" = active ] && [ "$AFTER" != "$BEFORE" ] \
  && ok "deb: the upgrade stopped the old agent and started the new one" \
  || bad "deb: after the upgrade: $(systemctl is-active tether-agent), pid $BEFORE -> $AFTER"
grep -q '^tether.mode=compute' /etc/tether/agent.properties && ok "deb: the operator's settings kept (conffile)" \
  || bad "deb: the upgrade replaced /etc/tether/agent.properties"
if out=$(tetherctl -o value attachments 2>&1) && echo "$out" | grep -q "^$VOL testdom attached "; then
  ok "deb: after the upgrade the disk is still attached and the agent has its record"
else
  bad "deb: attachments after the upgrade: $out"
fi
timeout 60 virsh -q -c qemu:///system domblklist testdom | grep -q '^ *sd' \
  && ok "deb: the domain still has the disk" || bad "deb: the domain lost its disk: $(virsh -q -c qemu:///system domblklist testdom | tr '\n' ' ')"
expect "deb: a reconciliation after the upgrade finds no drift" 200 POST /v1/reconciliation
grep -q '"drift":{}' /run/body || bad "deb: drift after the upgrade: $(head -c 400 /run/body)"
expect "compute: detach" 204 DELETE "/v1/instances/testdom/volumes/$VOL"
stop compute
step "deb: remove, then purge"
DEBIAN_FRONTEND=noninteractive timeout 300 "${APT[@]}" remove tether-agent > /run/apt.log 2>&1 || bad "deb: apt remove"
[ ! -e /lib/systemd/system/tether-agent.service ] && [ ! -e /usr/bin/tetherctl ] && [ ! -e /usr/lib/tether-agent ] \
  && [ -e /etc/tether/agent.properties ] && ok "deb: remove took the program and kept the configuration" \
  || bad "deb: after remove: $(ls -d /lib/systemd/system/tether-agent.service /usr/bin/tetherctl /usr/lib/tether-agent /etc/tether/agent.properties 2>&1 | tr '\n' ' ')"
DEBIAN_FRONTEND=noninteractive timeout 300 "${APT[@]}" purge tether-agent > /run/apt.log 2>&1 || bad "deb: apt purge"
[ ! -e /etc/tether ] && ok "deb: purge removed /etc/tether (settings, token, certificate)" || bad "deb: /etc/tether after purge"
if [ -z "$(find /var/lib/tether -type f -name '*.json' 2>/dev/null | head -1)" ] && [ ! -e /var/lib/tether ]; then
  ok "deb: purge removed the state directory, which held no record"
else
  bad "deb: after purge: $(find /var/lib/tether 2>&1 | head -5 | tr '\n' ' ')"
fi
case "$(dpkg-query -W -f='${db:Status-Status}' tether-agent 2>/dev/null)" in
  ""|not-installed) ok "deb: dpkg knows it no more" ;;
  *) bad "deb: dpkg status after purge: $(dpkg-query -W -f='${db:Status-Status}' tether-agent)" ;;
esac

fi

# --- what the journal kept -----------------------------------------------------------------------------
if journalctl -u tether-agent --no-pager -o cat | grep -qF -e "$TOKEN" -e "$RPM_TOKEN" ${CHAP:+-e "$CHAP"}; then
  bad "the journal holds the API token or a CHAP secret"
else
  ok "the journal holds neither the API token nor the CHAP secret"
fi
[ "$FAILED" = 0 ] || journal 40
finish
