#!/usr/bin/env bash
# Tether's main job, end to end on this machine: a volume exported by a local iSCSI target is attached
# through the agent's REST API to a running QEMU domain, its live disk XML and QoS are shown, bytes
# written through QEMU are read back from the target's backing file, and it is detached.
# Run as root on Debian 12. Everything it creates is removed when it exits.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '   %s\n' "$*"; }
die() { printf '\033[31mFAILED: %s\033[0m\n' "$*" >&2; exit 1; }

bash lab/host-setup.sh

PORT=${TETHER_DEMO_PORT:-18080}
API="http://127.0.0.1:$PORT"
WORK=$(mktemp -d /var/tmp/tether-demo.XXXXXX)
VOL=$(cat /proc/sys/kernel/random/uuid)
IQN="iqn.2010-10.org.openstack:volume-$VOL"
DOMAIN="tether-demo-${VOL:0:8}"
TID=$(( (RANDOM % 800) + 100 ))
CHAP_USER=$(head -c 15 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)
CHAP_PASS=$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 16)
AGENT_PID=

cleanup() {
  set +e
  [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
  virsh -q -c qemu:///system destroy "$DOMAIN" >/dev/null 2>&1
  virsh -q -c qemu:///system undefine "$DOMAIN" >/dev/null 2>&1
  tgtadm --lld iscsi --op delete --mode target --tid "$TID" --force >/dev/null 2>&1
  tgtadm --lld iscsi --op delete --mode account --user "$CHAP_USER" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

step "Building the agent (mvn package)"
mvn -B -q -ntp -DskipTests package
say "built target/quarkus-app/quarkus-run.jar"

step "Starting the agent on $API (compute mode, qemu attach path)"
java -XX:+UseSerialGC -Xms32m -Xmx96m -XX:TieredStopAtLevel=1 -Dtether.state-dir="$WORK/state" -Dtether.attach.default-path=qemu \
     -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$PORT" \
     -jar target/quarkus-app/quarkus-run.jar >"$WORK/agent.log" 2>&1 &
AGENT_PID=$!
for _ in $(seq 1 100); do
  curl -fs "$API/q/health/ready" >/dev/null 2>&1 && break
  kill -0 "$AGENT_PID" 2>/dev/null || { cat "$WORK/agent.log"; die "agent exited"; }
  sleep 0.1
done
curl -fs "$API/q/health/ready" | jq -c '.checks[] | {name, status}'

step "GET /v1/connector: this host as os-brick would describe it"
curl -fs "$API/v1/connector" | jq .

step "Exporting volume $VOL from tgtd on 127.0.0.1:3260 (1 GiB sparse file, CHAP)"
truncate -s 1G "$WORK/volume-$VOL.img"
tgtadm --lld iscsi --op new --mode target --tid "$TID" -T "$IQN"
tgtadm --lld iscsi --op new --mode logicalunit --tid "$TID" --lun 1 -b "$WORK/volume-$VOL.img"
tgtadm --lld iscsi --op bind --mode target --tid "$TID" --initiator-name "$(sed -n "s/^InitiatorName=//p" /etc/iscsi/initiatorname.iscsi)"
tgtadm --lld iscsi --op new --mode account --user "$CHAP_USER" --password "$CHAP_PASS"
tgtadm --lld iscsi --op bind --mode account --tid "$TID" --user "$CHAP_USER"
say "target $IQN, LUN 1"

step "Starting demo domain $DOMAIN (QEMU TCG, no OS, virtio-scsi controller)"
cat >"$WORK/domain.xml" <<XML
<domain type='qemu'><name>$DOMAIN</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>
<devices><controller type='scsi' index='0' model='virtio-scsi'/></devices></domain>
XML
virsh -q -c qemu:///system define "$WORK/domain.xml" >/dev/null
virsh -q -c qemu:///system start "$DOMAIN" >/dev/null
virsh -c qemu:///system domstate "$DOMAIN" | sed 's/^/   /'

BODY=$(jq -n --arg iqn "$IQN" --arg vol "$VOL" --arg u "$CHAP_USER" --arg p "$CHAP_PASS" '{
  connection_info: {driver_volume_type: "iscsi", data: {
    target_discovered: false, target_portal: "127.0.0.1:3260", target_iqn: $iqn, target_lun: 1,
    volume_id: $vol, auth_method: "CHAP", auth_username: $u, auth_password: $p,
    encrypted: false, access_mode: "rw", discard: true,
    qos_specs: {total_iops_sec: "800", total_iops_sec_max: "1600", total_iops_sec_max_length: "10",
                read_bytes_sec: "52428800", consumer: "front-end"}}},
  bus: "scsi", attach_path: "qemu"}')

step "PUT /v1/instances/$DOMAIN/volumes/$VOL (Cinder connection_info, password not shown)"
echo "$BODY" | jq '.connection_info.data.auth_password = "***"' | sed 's/^/   /'
START=$(date +%s%N)
RESPONSE=$(curl -fsS -X PUT -H 'Content-Type: application/json' --data-binary "$BODY" "$API/v1/instances/$DOMAIN/volumes/$VOL") \
  || die "attach failed"
say "answered in $(( ($(date +%s%N) - START) / 1000000 )) ms:"
echo "$RESPONSE" | jq 'del(.disk_xml)' | sed 's/^/   /'
DEVICE=$(echo "$RESPONSE" | jq -r .device)
echo "$RESPONSE" | grep -q "$CHAP_PASS" && die "the response echoed the CHAP password"

step "Live disk XML of $DEVICE, as libvirt reports it (virsh dumpxml)"
virsh -c qemu:///system dumpxml "$DOMAIN" | sed -n "/<disk/,/<\/disk>/p"

step "QoS as QEMU applies it (virsh blkdeviotune $DOMAIN $DEVICE)"
virsh -c qemu:///system blkdeviotune "$DOMAIN" "$DEVICE" | grep -v ': 0$' | grep -v '^$' | sed 's/^/   /'

step "Writing 64 KiB of 0xc7 at offset 2 MiB through QEMU's iSCSI client (qemu-io in the monitor)"
virsh -c qemu:///system qemu-monitor-command "$DOMAIN" --hmp \
  "qemu-io -d ua-$VOL \"write -P 0xc7 2097152 65536\"" | sed 's/^/   /'

step "Reading the same bytes back from the target's backing file"
od -A d -t x1 -j 2097152 -N 65536 "$WORK/volume-$VOL.img" | head -3 | sed 's/^/   /'
COUNT=$(od -An -v -t x1 -j 2097152 -N 65536 "$WORK/volume-$VOL.img" | tr -s ' ' '\n' | grep -c '^c7$' || true)
[ "$COUNT" -eq 65536 ] || die "expected 65536 bytes of c7 in the backing file, found $COUNT"
say "all 65536 bytes are 0xc7: the data went guest device -> QEMU -> iSCSI -> tgtd -> file"

step "DELETE /v1/instances/$DOMAIN/volumes/$VOL"
START=$(date +%s%N)
CODE=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$API/v1/instances/$DOMAIN/volumes/$VOL")
[ "$CODE" = 204 ] || die "detach answered $CODE"
say "204 in $(( ($(date +%s%N) - START) / 1000000 )) ms"

step "After detach"
LEFT=$(virsh -c qemu:///system dumpxml "$DOMAIN" | grep -c "$VOL" || true)
say "disks of $VOL in the live domain: $LEFT"
say "libvirt secrets for it: $(virsh -c qemu:///system secret-list | grep -c "$VOL" || true)"
say "GET /v1/attachments: $(curl -fs "$API/v1/attachments")"
[ "$LEFT" -eq 0 ] || die "the disk is still in the domain"
grep -q "$CHAP_PASS" "$WORK/agent.log" && die "the agent log contains the CHAP password"
say "the agent log does not contain the CHAP password"

step "Done: attach, QoS, data path and detach all worked; cleaning up"
