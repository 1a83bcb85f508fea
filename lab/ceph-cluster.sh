#!/usr/bin/env bash
# A single-node Ceph cluster on loopback for the RBD tests and demo: one ceph-mon, one ceph-mgr (for pool
# statistics: "ceph df"), one ceph-osd on the memstore object store (RAM only: no disk, no device-mapper),
# cephx on, a pool "volumes" of size 1 and a client.cinder user with "profile rbd" on it, as the Ceph docs
# give it to Cinder. Nothing goes to /etc/ceph; everything lives under DIR.
#
#   lab/ceph-cluster.sh start DIR [MON_PORT]   prints the settings (CEPH_CONF=..., CEPH_KEY=..., ...);
#                                               CEPH_MEMSTORE_BYTES sets the OSD's RAM store (1 GiB)
#   lab/ceph-cluster.sh stop DIR               kills what start started (memstore data goes with it)
#   lab/ceph-cluster.sh stop-mon DIR | start-mon DIR   for monitor outage tests (the OSD keeps its objects)
#   lab/ceph-cluster.sh start-rgw DIR PORT     a RADOS Gateway (S3) on 127.0.0.1:PORT and a user; prints
#                                               S3_ENDPOINT=..., S3_ACCESS_KEY=..., S3_SECRET_KEY=...
#   lab/ceph-cluster.sh stop-rgw DIR           kills it (its pools and objects stay)
#   lab/ceph-cluster.sh backup-pool DIR        a pool "backups" and a client.cinder-backup user with
#                                               "profile rbd" on it alone (as the Ceph docs give it to
#                                               cinder-backup); prints BACKUP_KEYRING=...
set -euo pipefail

cmd=${1:?start|stop|stop-mon|start-mon}
C=${2:?work directory}
PORT=${3:-6789}

ceph_() { timeout 30 ceph -c "$C/ceph.conf" "$@"; }

wait_for() { # seconds, description, command...
  local n=$(( $1 * 5 )) what=$2; shift 2
  for _ in $(seq 1 "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "ceph-cluster: $what did not happen" >&2; return 1
}

start_mon() {
  ceph-mon -c "$C/ceph.conf" -i a --pid-file "$C/mon.pid"
  wait_for 30 "monitor answering" ceph_ mon stat
}

case "$cmd" in
start)
  mkdir -p "$C"/{mon,mgr,osd0,run,log}
  chmod 0700 "$C"
  fsid=$(cat /proc/sys/kernel/random/uuid)
  cat > "$C/ceph.conf" <<CONF
[global]
fsid = $fsid
mon initial members = a
mon host = 127.0.0.1:$PORT
public network = 127.0.0.0/8
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon allow pool delete = true
osd crush chooseleaf type = 0
run dir = $C/run
log file = $C/log/\$name.log
admin socket = $C/run/\$name.asok
[mon]
mon data = $C/mon
# each pool change otherwise waits ~1 s for the monitor (RGW's first start makes 7 pools)
paxos propose interval = 0.1
keyring = $C/mon/keyring
[mgr]
mgr data = $C/mgr
keyring = $C/mgr/keyring
[osd]
osd data = $C/osd0
keyring = $C/osd0/keyring
osd objectstore = memstore
memstore device bytes = ${CEPH_MEMSTORE_BYTES:-1073741824}
[client.admin]
keyring = $C/admin.keyring
[client.rgw.a]
keyring = $C/rgw.keyring
rgw data = $C/rgw
osd pool default pg num = 8
osd pool default pgp num = 8
# deleted data past an object's first 4 MiB otherwise waits 2 h for the garbage collector
rgw gc obj min wait = 30
rgw gc processor period = 30
CONF
  ceph-authtool --create-keyring "$C/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool --create-keyring "$C/admin.keyring" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool "$C/mon.keyring" --import-keyring "$C/admin.keyring" >/dev/null
  monmaptool --create --add a "127.0.0.1:$PORT" --fsid "$fsid" "$C/monmap" >/dev/null
  ceph-mon -c "$C/ceph.conf" --mkfs -i a --monmap "$C/monmap" --keyring "$C/mon.keyring" 2>/dev/null
  start_mon
  ceph_ auth get-or-create mgr.x mon 'allow profile mgr' osd 'allow *' -o "$C/mgr/keyring" >/dev/null 2>&1
  ceph-mgr -c "$C/ceph.conf" -i x --pid-file "$C/mgr.pid" 2>/dev/null
  id=$(ceph_ osd create)
  ceph-osd -c "$C/ceph.conf" --no-mon-config -i "$id" --mkfs --mkkey \
    --osd-uuid "$(cat /proc/sys/kernel/random/uuid)" >/dev/null 2>&1
  ceph_ auth add "osd.$id" osd 'allow *' mon 'allow profile osd' -i "$C/osd0/keyring" >/dev/null 2>&1
  ceph_ osd crush add-bucket localhost host >/dev/null 2>&1
  ceph_ osd crush move localhost root=default >/dev/null 2>&1
  ceph_ osd crush add "osd.$id" 1.0 host=localhost >/dev/null 2>&1
  ceph-osd -c "$C/ceph.conf" -i "$id" --pid-file "$C/osd.pid" 2>/dev/null
  wait_for 60 "OSD up" sh -c "timeout 10 ceph -c '$C/ceph.conf' osd stat | grep -q '1 up'"
  ceph_ osd pool create volumes 8 >/dev/null 2>&1
  ceph_ osd pool set volumes size 1 --yes-i-really-mean-it >/dev/null 2>&1
  ceph_ osd pool application enable volumes rbd >/dev/null 2>&1
  ceph_ auth get-or-create client.cinder mon 'profile rbd' osd 'profile rbd pool=volumes' \
    mgr 'profile rbd pool=volumes' \
    -o "$C/client.cinder.keyring" >/dev/null 2>&1
  chmod 0600 "$C/client.cinder.keyring"
  key=$(ceph_ auth get-key client.cinder)
  printf '%s' "$key" > "$C/client.cinder.key"
  chmod 0600 "$C/client.cinder.key"
  echo "CEPH_CONF=$C/ceph.conf"
  echo "CEPH_MON=127.0.0.1:$PORT"
  echo "CEPH_KEYRING=$C/client.cinder.keyring"
  echo "CEPH_KEY_FILE=$C/client.cinder.key"
  ;;
stop)
  for p in rgw osd mgr mon; do
    if [ -s "$C/$p.pid" ]; then kill -9 "$(cat "$C/$p.pid")" 2>/dev/null || true; rm -f "$C/$p.pid"; fi
  done
  ;;
start-rgw)
  mkdir -p "$C/rgw"
  ceph_ auth get-or-create client.rgw.a mon 'allow rw' osd 'allow rwx' -o "$C/rgw.keyring" >/dev/null 2>&1
  sed -i "/^rgw frontends/d" "$C/ceph.conf"
  sed -i "/^\[client.rgw.a\]/a rgw frontends = beast endpoint=127.0.0.1:$PORT" "$C/ceph.conf"
  radosgw -c "$C/ceph.conf" -n client.rgw.a -f >"$C/log/rgw.out" 2>&1 &
  echo $! > "$C/rgw.pid"
  wait_for 60 "RADOS Gateway answering" curl -sf "http://127.0.0.1:$PORT/"
  if [ ! -s "$C/rgw.user" ]; then
    timeout 60 radosgw-admin -c "$C/ceph.conf" -n client.admin user create --uid=tether \
      --display-name="Tether backups" > "$C/rgw.user"
    chmod 0600 "$C/rgw.user"
  fi
  python3 - "$C/rgw.user" "$PORT" <<'PY'
import json, sys
k = json.load(open(sys.argv[1]))["keys"][0]
print(f"S3_ENDPOINT=http://127.0.0.1:{sys.argv[2]}")
print(f"S3_ACCESS_KEY={k['access_key']}")
print(f"S3_SECRET_KEY={k['secret_key']}")
PY
  ;;
stop-rgw)
  if [ -s "$C/rgw.pid" ]; then kill -9 "$(cat "$C/rgw.pid")" 2>/dev/null || true; rm -f "$C/rgw.pid"; fi
  ;;
backup-pool)
  if [ ! -s "$C/client.cinder-backup.keyring" ]; then
    ceph_ osd pool create backups 8 >/dev/null 2>&1
    ceph_ osd pool set backups size 1 --yes-i-really-mean-it >/dev/null 2>&1
    ceph_ osd pool application enable backups rbd >/dev/null 2>&1
    ceph_ auth get-or-create client.cinder-backup mon 'profile rbd' osd 'profile rbd pool=backups' \
      -o "$C/client.cinder-backup.keyring" >/dev/null 2>&1
    chmod 0600 "$C/client.cinder-backup.keyring"
  fi
  echo "BACKUP_KEYRING=$C/client.cinder-backup.keyring"
  ;;
stop-mon)
  [ -s "$C/mon.pid" ] && kill -9 "$(cat "$C/mon.pid")" 2>/dev/null || true
  rm -f "$C/mon.pid"
  ;;
start-mon)
  start_mon
  ;;
*) echo "usage: $0 start|stop|stop-mon|start-mon|start-rgw|stop-rgw|backup-pool DIR [PORT]" >&2; exit 2 ;;
esac
