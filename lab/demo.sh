#!/usr/bin/env bash
# Tether's main job, end to end on this machine, all in one agent (tether.mode=both): the storage API
# creates a volume (file backend) and exports it through tgtd to this host's own initiator; the returned
# Cinder connection_info goes unchanged to the compute API, which hot-plugs the volume into a running QEMU
# domain with QoS; bytes written through QEMU are read back from the volume; then detach, unexport, delete.
# TETHER_DEMO_BACKEND=rbd tells the same story on Ceph RBD: a single-node Ceph on loopback, RBD images,
# Cinder's RBD connection_info and QEMU's own librbd, the key in the host's libvirt secret.
# TETHER_DEMO=openstack runs lab/demo-openstack.sh instead: a standalone Cinder with Tether's driver and agents.
# Run as root on Debian 12. Everything it creates is removed when it exits.
set -euo pipefail
cd "$(dirname "$0")/.."
# TETHER_DEMO=openstack: the same agent under a standalone Cinder (its driver, Glance, Keystone), booting Linux
[ "${TETHER_DEMO:-}" = openstack ] && exec bash lab/demo-openstack.sh

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '   %s\n' "$*"; }
die() { printf '\033[31mFAILED: %s\033[0m\n' "$*" >&2; exit 1; }

bash lab/host-setup.sh

BACKEND=${TETHER_DEMO_BACKEND:-iscsi}
case "$BACKEND" in iscsi|rbd) ;; *) die "TETHER_DEMO_BACKEND must be iscsi or rbd" ;; esac
PORT=${TETHER_DEMO_PORT:-18080}
API="http://127.0.0.1:$PORT"
WORK=$(mktemp -d /var/tmp/tether-demo.XXXXXX)
VOL=$(cat /proc/sys/kernel/random/uuid)
DOMAIN="tether-demo-${VOL:0:8}"
INITIATOR=$(sed -n 's/^InitiatorName=//p' /etc/iscsi/initiatorname.iscsi)
AGENT_PID=

CEPH_SECRET=$(cat /proc/sys/kernel/random/uuid)

cleanup() {
  set +e
  [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
  if [ "$BACKEND" = rbd ]; then
    bash lab/ceph-cluster.sh stop "$WORK/ceph"
    virsh -q -c qemu:///system secret-undefine "$CEPH_SECRET" >/dev/null 2>&1
  fi
  virsh -q -c qemu:///system destroy "$DOMAIN" >/dev/null 2>&1
  virsh -q -c qemu:///system undefine "$DOMAIN" >/dev/null 2>&1
  if [ -n "$AGENT_PID" ] && [ -f "$WORK/state/volumes/$VOL.json" ]; then
    # the agent stopped before the demo's own unexport/delete: remove its target by hand
    tgtadm --lld iscsi --op show --mode target | sed -n "s/^Target \([0-9]*\): .*volume-$VOL\$/\1/p" |
      while read -r tid; do tgtadm --lld iscsi --op delete --mode target --tid "$tid" --force; done
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

step "Building the agent (mvn package)"
mvn -B -q -ntp -Dstyle.color=never -DskipTests package
say "built target/quarkus-app/quarkus-run.jar"

if [ "$BACKEND" = rbd ]; then
  step "Starting a single-node Ceph on 127.0.0.1:6795 (mon, mgr, memstore OSD, cephx, pool volumes, client.cinder)"
  START=$(date +%s)
  bash lab/ceph-cluster.sh start "$WORK/ceph" 6795 | sed 's/^/   /'
  say "ready in $(( $(date +%s) - START )) s"
  STORAGE_ARGS=(-Dtether.storage.backend=rbd -Dtether.storage.rbd.conf="$WORK/ceph/ceph.conf"
                -Dtether.storage.rbd.keyring="$WORK/ceph/client.cinder.keyring"
                -Dtether.storage.rbd.secret-uuid="$CEPH_SECRET"
                -Dtether.ceph.secret-uuid="$CEPH_SECRET" -Dtether.ceph.key-file="$WORK/ceph/client.cinder.key")
  WHAT="rbd backend; compute through QEMU's librbd, the key in libvirt secret $CEPH_SECRET"
else
  STORAGE_ARGS=(-Dtether.storage.backend=file -Dtether.storage.file.dir="$WORK/files"
                -Dtether.storage.target.driver=tgt -Dtether.storage.target.portals=127.0.0.1:3260)
  WHAT="file backend + tgt; compute on the qemu attach path"
fi

step "Starting the agent on $API (mode both: $WHAT)"
# every /v1 call carries the API token the agent reads from a 0600 file
(umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$WORK/api-token")
acurl() { curl -H "Authorization: Bearer $(cat "$WORK/api-token")" "$@"; }
java -XX:+UseSerialGC -Xms32m -Xmx96m -XX:TieredStopAtLevel=1 -Dtether.state-dir="$WORK/state" \
     -Dtether.mode=both "${STORAGE_ARGS[@]}" \
     -Dtether.attach.default-path=qemu -Dtether.api.token-file="$WORK/api-token" \
     -Dtether.api.audit-file="$WORK/audit.jsonl" \
     -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$PORT" \
     -jar target/quarkus-app/quarkus-run.jar >"$WORK/agent.log" 2>&1 &
AGENT_PID=$!
for _ in $(seq 1 100); do
  acurl -fs "$API/q/health/ready" >/dev/null 2>&1 && break
  kill -0 "$AGENT_PID" 2>/dev/null || { cat "$WORK/agent.log"; die "agent exited"; }
  sleep 0.1
done
acurl -fs "$API/q/health/ready" | jq -c '.checks[] | {name, status}'

step "GET /v1/connector: this host as os-brick would describe it"
acurl -fs "$API/v1/connector" | jq .

step "POST /v1/volumes: a 1 GiB volume with front-end QoS"
acurl -fsS -X POST -H 'Content-Type: application/json' "$API/v1/volumes" -d "{\"id\": \"$VOL\", \"size_gb\": 1,
  \"qos_specs\": {\"total_iops_sec\": \"800\", \"total_iops_sec_max\": \"1600\", \"total_iops_sec_max_length\": \"10\",
                \"read_bytes_sec\": \"52428800\", \"consumer\": \"front-end\"}}" | jq . | sed 's/^/   /'

step "PUT /v1/volumes/$VOL/exports/$INITIATOR with this host's connector"
CONNECTOR=$(acurl -fs "$API/v1/connector")
CONNECTION_INFO=$(acurl -fsS -X PUT -H 'Content-Type: application/json' --data-binary "$CONNECTOR" \
  "$API/v1/volumes/$VOL/exports/$INITIATOR") || die "export failed"
if [ "$BACKEND" = rbd ]; then
  CHAP_PASS=$(cat "$WORK/ceph/client.cinder.key")   # the secret that must not leak here is the cephx key
  say "Cinder's RBD connection_info (no key in it: compute hosts hold it in libvirt secret $CEPH_SECRET):"
  echo "$CONNECTION_INFO" | jq . | sed 's/^/   /'
  say "Ceph has: $(rbd -c "$WORK/ceph/ceph.conf" --id cinder --keyring="$WORK/ceph/client.cinder.keyring" info volumes/volume-$VOL --format json | jq -c '{name, size, features}')"
else
  CHAP_PASS=$(echo "$CONNECTION_INFO" | jq -r .data.auth_password)
  say "Cinder connection_info (password not shown):"
  echo "$CONNECTION_INFO" | jq '.data.auth_password = "***"' | sed 's/^/   /'
  say "tgtd now has: $(tgtadm --lld iscsi --op show --mode target | grep -c "volume-$VOL") target for it, admitting $INITIATOR"
fi

step "Starting demo domain $DOMAIN (QEMU TCG, no OS, virtio-scsi controller)"
cat >"$WORK/domain.xml" <<XML
<domain type='qemu'><name>$DOMAIN</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>
<devices><controller type='scsi' index='0' model='virtio-scsi'/></devices></domain>
XML
virsh -q -c qemu:///system define "$WORK/domain.xml" >/dev/null
virsh -q -c qemu:///system start "$DOMAIN" >/dev/null
virsh -c qemu:///system domstate "$DOMAIN" | sed 's/^/   /'

BODY=$(jq -n --argjson ci "$CONNECTION_INFO" '{connection_info: $ci, bus: "scsi", attach_path: "qemu"}')

step "PUT /v1/instances/$DOMAIN/volumes/$VOL with that connection_info, unchanged"
START=$(date +%s%N)
RESPONSE=$(acurl -fsS -X PUT -H 'Content-Type: application/json' --data-binary "$BODY" "$API/v1/instances/$DOMAIN/volumes/$VOL") \
  || die "attach failed"
say "answered in $(( ($(date +%s%N) - START) / 1000000 )) ms:"
echo "$RESPONSE" | jq 'del(.disk_xml)' | sed 's/^/   /'
DEVICE=$(echo "$RESPONSE" | jq -r .device)
echo "$RESPONSE" | grep -q "$CHAP_PASS" && die "the response echoed the CHAP password"

step "Live disk XML of $DEVICE, as libvirt reports it (virsh dumpxml)"
virsh -c qemu:///system dumpxml "$DOMAIN" | sed -n "/<disk/,/<\/disk>/p"

step "QoS as QEMU applies it (virsh blkdeviotune $DOMAIN $DEVICE)"
virsh -c qemu:///system blkdeviotune "$DOMAIN" "$DEVICE" | grep -v ': 0$' | grep -v '^$' | sed 's/^/   /'

step "Writing 64 KiB of 0xc7 at offset 2 MiB through QEMU's own $([ "$BACKEND" = rbd ] && echo librbd || echo iSCSI) client (qemu-io in the monitor)"
virsh -c qemu:///system qemu-monitor-command "$DOMAIN" --hmp \
  "qemu-io -d ua-$VOL \"write -P 0xc7 2097152 65536\"" | sed 's/^/   /'

if [ "$BACKEND" = rbd ]; then
  step "Reading the same bytes back from Ceph (rbd export, not through QEMU)"
  rbd -c "$WORK/ceph/ceph.conf" --id cinder --keyring="$WORK/ceph/client.cinder.keyring" export --no-progress \
    "volumes/volume-$VOL" "$WORK/readback.img"
  READBACK="$WORK/readback.img"
  PATH_TEXT="guest device -> QEMU -> librbd (cephx) -> OSD -> image"
else
  step "Reading the same bytes back from the volume (the file tgtd exports)"
  READBACK="$WORK/files/volume-$VOL"
  PATH_TEXT="guest device -> QEMU -> iSCSI (CHAP) -> tgtd -> volume"
fi
od -A d -t x1 -j 2097152 -N 65536 "$READBACK" | head -3 | sed 's/^/   /'
COUNT=$(od -An -v -t x1 -j 2097152 -N 65536 "$READBACK" | tr -s ' ' '\n' | grep -c '^c7$' || true)
[ "$COUNT" -eq 65536 ] || die "expected 65536 bytes of c7 in the volume, found $COUNT"
say "all 65536 bytes are 0xc7: the data went $PATH_TEXT"

step "DELETE /v1/instances/$DOMAIN/volumes/$VOL"
START=$(date +%s%N)
CODE=$(acurl -s -o /dev/null -w '%{http_code}' -X DELETE "$API/v1/instances/$DOMAIN/volumes/$VOL")
[ "$CODE" = 204 ] || die "detach answered $CODE"
say "204 in $(( ($(date +%s%N) - START) / 1000000 )) ms"

step "After detach"
LEFT=$(virsh -c qemu:///system dumpxml "$DOMAIN" | grep -c "$VOL" || true)
say "disks of $VOL in the live domain: $LEFT"
say "libvirt secrets for it: $(virsh -c qemu:///system secret-list | grep -c "$VOL" || true)"
say "GET /v1/attachments: $(acurl -fs "$API/v1/attachments")"
[ "$LEFT" -eq 0 ] || die "the disk is still in the domain"
grep -qF "$CHAP_PASS" "$WORK/agent.log" && die "the agent log contains the secret"
say "the agent log does not contain the $([ "$BACKEND" = rbd ] && echo "cephx key" || echo "CHAP password")"

step "DELETE /v1/volumes/$VOL/exports/$INITIATOR, then DELETE /v1/volumes/$VOL"
acurl -fsS -X DELETE "$API/v1/volumes/$VOL/exports/$INITIATOR" -o /dev/null -w '   unexport: %{http_code}\n'
[ "$BACKEND" = iscsi ] && say "tgtd targets left for it: $(tgtadm --lld iscsi --op show --mode target | grep -c "volume-$VOL" || true)"
acurl -fsS -X DELETE "$API/v1/volumes/$VOL" -o /dev/null -w '   delete: %{http_code}\n'
if [ "$BACKEND" = rbd ]; then
  rbd -c "$WORK/ceph/ceph.conf" --id cinder --keyring="$WORK/ceph/client.cinder.keyring" ls volumes | grep -q "$VOL" \
    && die "the image is still in Ceph"
  say "the image is gone from pool volumes; GET /v1/volumes: $(acurl -fs "$API/v1/volumes")"
else
  [ -e "$WORK/files/volume-$VOL" ] && die "the volume file is still there"
  say "the volume file is gone; GET /v1/volumes: $(acurl -fs "$API/v1/volumes")"
fi

step "Done: create, export, attach, QoS, data path, detach, unexport and delete all worked; cleaning up"
