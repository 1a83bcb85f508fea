#!/usr/bin/env bash
# TETHER_DEMO=openstack bash lab/demo.sh: a standalone Cinder cloud with no Nova and no fake anywhere. Debian's
# own Keystone, Cinder 21.3 and Glance (lab/openstack.sh, on a one-node Ceph), Cinder's cinder-volume loading
# Tether's volume driver (integrations/cinder) in front of a Tether storage agent (file pool, tgtd), and a Tether
# compute agent. A real Linux image goes into Glance, becomes a Tether volume through Cinder, and boots in a
# domain through a Cinder attachment; then everything is detached and deleted. Run as root on Debian 12 (about
# three minutes the first time, for the packages). Everything it creates is removed when it exits.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '   %s\n' "$*"; }
die() { printf '\033[31mFAILED: %s\033[0m\n' "$*" >&2; exit 1; }

bash lab/host-setup.sh
bash lab/openstack.sh install

WORK=$(mktemp -d /var/tmp/tether-demo-openstack.XXXXXX)
chmod 0700 "$WORK"
STORAGE_PORT=${TETHER_DEMO_STORAGE_PORT:-18110}
COMPUTE_PORT=${TETHER_DEMO_COMPUTE_PORT:-18111}
STORAGE="http://127.0.0.1:$STORAGE_PORT"
COMPUTE="http://127.0.0.1:$COMPUTE_PORT"
LINE="tether-standalone-cinder-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
DOMAIN="tether-demo-os-${LINE##*-}"
PIDS=()

cleanup() {
  set +e
  virsh -q -c qemu:///system destroy "$DOMAIN" >/dev/null 2>&1
  virsh -q -c qemu:///system undefine "$DOMAIN" --nvram >/dev/null 2>&1
  [ -d "$WORK/openstack" ] && bash lab/openstack.sh stop-backend "$WORK/openstack" tether
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  [ -d "$WORK/openstack" ] && bash lab/openstack.sh stop "$WORK/openstack"
  [ -f "$WORK/openstack/env" ] && virsh -q -c qemu:///system secret-undefine \
    "$(sed -n 's/^RBD_SECRET_UUID=//p' "$WORK/openstack/env")" >/dev/null 2>&1
  [ -d "$WORK/ceph" ] && bash lab/ceph-cluster.sh stop "$WORK/ceph"
  tgtadm --lld iscsi --op show --mode target 2>/dev/null | sed -n 's/^Target \([0-9]*\): .*tether-demo-os.*$/\1/p' |
    while read -r tid; do tgtadm --lld iscsi --op delete --mode target --tid "$tid" --force; done
  rm -rf "$WORK"
}
trap cleanup EXIT

step "Building the agent (mvn package)"
mvn -B -q -ntp -Dstyle.color=never -DskipTests package

step "A one-node Ceph, then Keystone, Cinder, Glance and Barbican from Debian's packages, on 127.0.0.1"
START=$(date +%s)
CEPH_MEMSTORE_BYTES=$((2 << 30)) bash lab/ceph-cluster.sh start "$WORK/ceph" 6794 >/dev/null
bash lab/openstack.sh start "$WORK/openstack" "$WORK/ceph" >/dev/null
set -a; . "$WORK/openstack/env"; set +a
say "up in $(( $(date +%s) - START )) s: Keystone $OS_AUTH_URL, Cinder $CINDER_URL, Glance $GLANCE_URL"
os() { env -u OS_CLOUD OS_USERNAME=admin OS_PASSWORD="$ADMIN_PASSWORD" OS_PROJECT_NAME=admin \
  OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_IDENTITY_API_VERSION=3 PATH=/usr/bin:/bin \
  openstack "$@"; }
TOKEN=$(os token issue -f value -c id)
PROJECT=$(os token issue -f value -c project_id)
cinder() { local m=$1 p=$2; shift 2
  curl -fsS -X "$m" -H "X-Auth-Token: $TOKEN" -H "OpenStack-API-Version: volume 3.44" \
    -H 'Content-Type: application/json' "$CINDER_URL/$PROJECT$p" "$@"; }

step "A Tether storage agent on $STORAGE: pool gold (files, exported by tgtd), its API behind a token"
(umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$WORK/storage.token"
 printf '%s' "$TETHER_PASSWORD" > "$WORK/tether.password")
java -XX:+UseSerialGC -Xmx128m -XX:TieredStopAtLevel=1 -Dquarkus.http.host=127.0.0.1 \
  -Dquarkus.http.port="$STORAGE_PORT" -Dtether.mode=storage -Dtether.state-dir="$WORK/storage-state" \
  -Dtether.api.token-file="$WORK/storage.token" -Dtether.api.audit-file="$WORK/storage-audit.jsonl" \
  -Dtether.storage.pools.gold.backend=file -Dtether.storage.pools.gold.dir="$WORK/gold" \
  -Dtether.storage.pools.gold.volume-backend-name=tether-gold \
  -Dtether.storage.target.driver=tgt -Dtether.storage.target.portals=127.0.0.1:3260 \
  -Dtether.storage.target.tgt-conf-dir="$WORK/tgt-conf.d" -Dtether.storage.images.scratch-dir="$WORK/scratch" \
  -Dtether.storage.images.scratch-reserve-mb=16 -Dtether.cinder.auth-url="$OS_AUTH_URL" \
  -Dtether.cinder.username=tether -Dtether.cinder.password-file="$WORK/tether.password" \
  -Dtether.cinder.project-name=service -jar target/quarkus-app/quarkus-run.jar >"$WORK/storage.log" 2>&1 &
PIDS+=($!)
say "its pools: $(for _ in $(seq 1 150); do curl -fs -H "Authorization: Bearer $(cat "$WORK/storage.token")" \
  "$STORAGE/v1/pools" && break; sleep 0.2; done | jq -c '[.[] | {name, free_capacity_gb: .capabilities.free_capacity_gb}]')"

step "cinder-volume with Tether's driver (tether_cinder.driver.TetherDriver) for backend 'tether'"
cat > "$WORK/cinder-tether.conf" <<CONF
[tether]
volume_driver = tether_cinder.driver.TetherDriver
volume_backend_name = tether
tether_url = $STORAGE
tether_token_file = $WORK/storage.token
CONF
sed 's/^/   /' "$WORK/cinder-tether.conf"
bash lab/openstack.sh start-backend "$WORK/openstack" tether "$WORK/cinder-tether.conf"
say "Cinder's scheduler sees: $(cinder GET '/scheduler-stats/get_pools?detail=true' | jq -c '[.pools[] |
  select(.name | contains("@tether")) | {name, free_capacity_gb: .capabilities.free_capacity_gb}]')"

step "A Tether compute agent on $COMPUTE (qemu attach path)"
java -XX:+UseSerialGC -Xmx128m -XX:TieredStopAtLevel=1 -Dquarkus.http.host=127.0.0.1 \
  -Dquarkus.http.port="$COMPUTE_PORT" -Dtether.mode=compute -Dtether.state-dir="$WORK/compute-state" \
  -Dtether.api.allow-unauthenticated=true -Dtether.api.audit-file="$WORK/compute-audit.jsonl" \
  -Dtether.attach.default-path=qemu -Dtether.instances.virt-type=qemu \
  -Dtether.cinder.auth-url="$OS_AUTH_URL" -Dtether.cinder.username=tether \
  -Dtether.cinder.password-file="$WORK/tether.password" -Dtether.cinder.project-name=service \
  -jar target/quarkus-app/quarkus-run.jar >"$WORK/compute.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 150); do curl -fs "$COMPUTE/q/health/ready" >/dev/null 2>&1 && break; sleep 0.2; done
CONNECTOR=$(curl -fsS "$COMPUTE/v1/connector")
say "its connector: $(echo "$CONNECTOR" | jq -c '{initiator, host, ip}')"

step "A Linux image (lab/os-image.sh) into Glance with openstack image create"
bash lab/os-image.sh "$WORK/os.qcow2" "$LINE" >/dev/null
IMAGE=$(os image create --disk-format qcow2 --container-format bare --file "$WORK/os.qcow2" -f value -c id tether-demo-linux)
say "image $IMAGE: $(os image show -f value -c status -c size "$IMAGE" | tr '\n' ' ')"

step "openstack volume create --type tether-gold --image ...: Cinder asks the driver, the agent imports it"
os volume type create --property volume_backend_name=tether-gold tether-gold -f value -c id >/dev/null
START=$(date +%s)
VOL=$(os volume create --size 1 --type tether-gold --image "$IMAGE" -f value -c id tether-demo-boot)
for _ in $(seq 1 600); do
  STATUS=$(os volume show -f value -c status "$VOL")
  [ "$STATUS" = available ] && break
  case "$STATUS" in error*) die "volume $VOL is $STATUS (see $WORK/openstack/log/cinder-volume-tether.log)" ;; esac
  sleep 0.5
done
[ "$STATUS" = available ] || die "volume $VOL is $STATUS"
say "available in $(( $(date +%s) - START )) s on $(os volume show -f value -c os-vol-host-attr:host "$VOL"), bootable $(os volume show -f value -c bootable "$VOL")"
say "the storage agent's record: $(curl -fs -H "Authorization: Bearer $(cat "$WORK/storage.token")" "$STORAGE/v1/volumes/$VOL" \
  | jq -c '{pool, size_gb, bootable, image: .volume_image_metadata.image_id}')"

step "Nova's boot from volume, played here: reserve, the compute host's connector, boot, complete"
SERVICE_TOKEN=$(env OS_USERNAME=tether OS_PASSWORD="$TETHER_PASSWORD" OS_PROJECT_NAME=service OS_USER_DOMAIN_NAME=Default \
  OS_PROJECT_DOMAIN_NAME=Default OS_IDENTITY_API_VERSION=3 PATH=/usr/bin:/bin openstack token issue -f value -c id)
INSTANCE=$(cat /proc/sys/kernel/random/uuid)
ATTACHMENT=$(cinder POST /attachments -d "{\"attachment\": {\"volume_uuid\": \"$VOL\", \"instance_uuid\": \"$INSTANCE\"}}" \
  | jq -r .attachment.id)
INFO=$(cinder PUT "/attachments/$ATTACHMENT" -d "{\"attachment\": {\"connector\": $CONNECTOR}}" | jq -c .attachment.connection_info)
say "connection_info from the driver's export (password not shown):"
echo "$INFO" | jq -c '.auth_password = "***" | {driver_volume_type, target_iqn, target_portal, auth_method, auth_password}' | sed 's/^/   /'
BOOTED=$(curl -fsS -X POST -H 'Content-Type: application/json' "$COMPUTE/v1/instances" -d "{\"name\": \"$DOMAIN\",
  \"vcpus\": 1, \"memory_mb\": 256, \"boot_volume\": {\"volume_id\": \"$VOL\", \"connection_info\": $INFO,
  \"attach_path\": \"qemu\"}}") || die "boot failed (see $WORK/compute.log)"
cinder POST "/attachments/$ATTACHMENT/action" -d '{"os-complete": null}' -o /dev/null
say "domain $DOMAIN started; Cinder says the volume is $(os volume show -f value -c status "$VOL")"
CONSOLE=$(echo "$BOOTED" | jq -r .console_log)
for _ in $(seq 1 600); do grep -q "$LINE" "$CONSOLE" 2>/dev/null && break; sleep 0.5; done
grep -q "$LINE" "$CONSOLE" || die "no '$LINE' on the console ($CONSOLE)"
say "the guest's init printed on the serial console: $(grep -a -o "$LINE.*" "$CONSOLE" | head -1)"

step "Shutting down: the domain, Cinder's attachment (with the service token), the volume, the image"
curl -fsS -X DELETE "$COMPUTE/v1/instances/$DOMAIN" -o /dev/null -w '   DELETE /v1/instances: %{http_code}\n'
curl -fsS -X DELETE -H "X-Auth-Token: $TOKEN" -H "X-Service-Token: $SERVICE_TOKEN" \
  -H "OpenStack-API-Version: volume 3.44" "$CINDER_URL/$PROJECT/attachments/$ATTACHMENT" -o /dev/null \
  -w '   DELETE attachment: %{http_code}\n'
say "the volume is $(os volume show -f value -c status "$VOL"); the agent's exports of it: $(curl -fs \
  -H "Authorization: Bearer $(cat "$WORK/storage.token")" "$STORAGE/v1/volumes/$VOL" | jq -c .exports)"
os volume delete "$VOL"
for _ in $(seq 1 100); do os volume show "$VOL" >/dev/null 2>&1 || break; sleep 0.3; done
[ -e "$WORK/gold/volume-$VOL" ] && die "the volume's file is still there"
say "volume deleted by Cinder, and its file gone from the agent's pool"
os image delete "$IMAGE"
os volume type delete tether-gold

step "Done: Glance -> Cinder -> Tether storage -> iSCSI -> Tether compute -> a booted Linux, no Nova and no fake"
