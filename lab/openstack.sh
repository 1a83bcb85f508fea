#!/usr/bin/env bash
# Real OpenStack services on loopback for the tests and the demo: RabbitMQ, Keystone, Cinder (its RBD driver on
# the lab Ceph of lab/ceph-cluster.sh), Glance (RBD store, pool "images", on the same Ceph) and Barbican, from
# Debian 12's packages, as root, without systemd, everything under one work directory. Glance has a second
# store, "local" (files), for images that live outside the cluster. SQLite in WAL mode;
# Keystone and Barbican under uwsgi with one worker.
#
#   lab/openstack.sh install                  installs the packages (idempotent; none of their daemons started)
#   lab/openstack.sh start DIR CEPH_DIR       prints the settings (OS_AUTH_URL=..., CINDER_URL=..., ...)
#   lab/openstack.sh stop DIR                 kills what start started
#   lab/openstack.sh stop-cinder-volume DIR | start-cinder-volume DIR
#   lab/openstack.sh start-backend DIR NAME FILE   one more cinder-volume, for backend NAME only, with the
#                                             settings of FILE (a [NAME] section) and this checkout's
#                                             integrations/cinder on its PYTHONPATH (Tether's driver);
#                                             returns once NAME reports a pool with free capacity
#   lab/openstack.sh stop-backend DIR NAME
set -euo pipefail

PACKAGES=(keystone cinder-api cinder-scheduler cinder-volume glance-api barbican-api rabbitmq-server
          python3-openstackclient uwsgi-core uwsgi-plugin-python3 sqlite3)

log() { printf '[openstack] %s\n' "$*" >&2; }

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  # the packages' own configuration (database, rabbit, Keystone registration) is done here, not by debconf
  local q
  for q in keystone/configure_db keystone/create-admin-tenant keystone/register-endpoint \
           cinder/configure_db cinder/configure_rabbit cinder/configure_ksat cinder/configure_api-endpoint \
           glance/configure_db glance/configure_rabbit glance/configure_ksat glance/configure_api-endpoint \
           barbican/configure_db barbican/configure_rabbit barbican/configure_ksat barbican/configure_api-endpoint; do
    echo "${q%%/*} $q boolean false"
  done | debconf-set-selections
  # no daemon starts from a postinst (cinder-volume's would restart tgtd, rabbitmq's would take port 5672)
  local own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  [ "$own_policy" -eq 1 ] && rm -f /usr/sbin/policy-rc.d
  # a package's own daemons, if any started anyway, are not ours
  pkill -f '^/usr/lib/erlang.*rabbit' 2>/dev/null || true
  return 0
}


# ports on 127.0.0.1; the AMQP, distribution and epmd ports are RabbitMQ's own, moved off the defaults
KEYSTONE_PORT=${KEYSTONE_PORT:-5001}
CINDER_PORT=${CINDER_PORT:-8786}
GLANCE_PORT=${GLANCE_PORT:-9302}
BARBICAN_PORT=${BARBICAN_PORT:-9321}
RABBIT_PORT=${RABBIT_PORT:-5682}

wait_http() { # seconds url what
  local n=$(( $1 * 5 ))
  for _ in $(seq 1 "$n"); do
    curl -s -o /dev/null --max-time 2 "$2" && return 0
    sleep 0.2
  done
  log "$3 did not answer at $2 within $1 s; its log:"; tail -20 "$4" >&2 || true; return 1
}

pw() { head -c 18 /dev/urandom | base64 | tr -d '/+='; }

# spawn NAME LOG command...: in the background, in its own session, its pid in $D/NAME.pid
spawn() {
  local name=$1 logf=$2; shift 2
  setsid "$@" >>"$logf" 2>&1 < /dev/null &
  echo $! > "$D/$name.pid"
}

wal() { sqlite3 "$1" 'PRAGMA journal_mode=WAL;' >/dev/null; }

authtoken() { # service user password
  cat <<CONF
[keystone_authtoken]
www_authenticate_uri = http://127.0.0.1:$KEYSTONE_PORT
auth_url = http://127.0.0.1:$KEYSTONE_PORT
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $2
service_token_roles_required = true
CONF
}

start_rabbit() {
  mkdir -p "$D/rabbit/mnesia" "$D/rabbit/log"
  cat > "$D/rabbit/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$RABBIT_PORT
loopback_users.guest = true
CONF
  cat > "$D/rabbit/advanced.config" <<'CONF'
[{kernel, [{inet_dist_use_interface, {127,0,0,1}}]}].
CONF
  spawn rabbit "$D/log/rabbit.out" env RABBITMQ_NODENAME=tether-lab@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$RABBIT_PORT" RABBITMQ_DIST_PORT=$((RABBIT_PORT + 20000)) ERL_EPMD_PORT=$((RABBIT_PORT - 1300)) \
    ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_CONFIG_FILE="$D/rabbit/rabbitmq" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$D/rabbit/advanced.config" RABBITMQ_MNESIA_BASE="$D/rabbit/mnesia" \
    RABBITMQ_LOG_BASE="$D/rabbit/log" RABBITMQ_ENABLED_PLUGINS_FILE="$D/rabbit/enabled_plugins" \
    HOME="$D/rabbit" /usr/lib/rabbitmq/bin/rabbitmq-server
}

start_keystone() {
  mkdir -p "$D/keystone/fernet-keys" "$D/keystone/credential-keys"
  cat > "$D/keystone/keystone.conf" <<CONF
[DEFAULT]
log_dir = $D/log
[database]
connection = sqlite:///$D/keystone/keystone.db?timeout=60
[token]
provider = fernet
[fernet_tokens]
key_repository = $D/keystone/fernet-keys
[credential]
key_repository = $D/keystone/credential-keys
[cache]
enabled = true
backend = dogpile.cache.memory
[identity]
password_hash_rounds = 4
CONF
  km() { keystone-manage --config-file "$D/keystone/keystone.conf" "$@" >>"$D/log/keystone-manage.out" 2>&1; }
  km db_sync
  wal "$D/keystone/keystone.db"
  km fernet_setup --keystone-user root --keystone-group root
  km credential_setup --keystone-user root --keystone-group root
  km bootstrap --bootstrap-password "$ADMIN_PW" --bootstrap-region-id RegionOne \
    --bootstrap-admin-url "http://127.0.0.1:$KEYSTONE_PORT/v3" \
    --bootstrap-public-url "http://127.0.0.1:$KEYSTONE_PORT/v3" \
    --bootstrap-internal-url "http://127.0.0.1:$KEYSTONE_PORT/v3"
  # one process, one thread (SQLite); uwsgi's http-socket does not keep connections, so it says so
  spawn keystone "$D/log/keystone.out" env OS_KEYSTONE_CONFIG_DIR="$D/keystone" uwsgi --plugin python3 \
    --http-socket "127.0.0.1:$KEYSTONE_PORT" --wsgi-file /usr/bin/keystone-wsgi-public --processes 1 \
    --threads 1 --add-header "Connection: close" --die-on-term --need-app
  wait_http 60 "http://127.0.0.1:$KEYSTONE_PORT/v3" Keystone "$D/log/keystone.out"
}

# users, roles, services and endpoints in one Python process (the openstack CLI takes ~1.5 s a call)
register() {
  /usr/bin/python3 - "$KEYSTONE_PORT" "$CINDER_PORT" "$GLANCE_PORT" "$BARBICAN_PORT" <<'PY'
import os, sys
from keystoneauth1 import session
from keystoneauth1.identity import v3
from keystoneclient.v3 import client
ks, cinder, glance, barbican = sys.argv[1:5]
auth = v3.Password(auth_url=f"http://127.0.0.1:{ks}/v3", username="admin", password=os.environ["ADMIN_PW"],
                   project_name="admin", user_domain_id="default", project_domain_id="default")
c = client.Client(session=session.Session(auth=auth))
roles = {r.name: r for r in c.roles.list()}
for name in ("service", "member", "reader"):
    if name not in roles:
        roles[name] = c.roles.create(name)
service = c.projects.create("service", "default")
demo = c.projects.create("demo", "default")
def user(name, project, *role_names):
    u = c.users.create(name, domain="default", password=os.environ[name.upper().replace("-", "_") + "_PW"],
                       default_project=project)
    for r in role_names:
        c.roles.grant(roles[r], user=u, project=project)
for svc in ("cinder", "glance", "barbican"):
    user(svc, service, "admin", "service")
user("tether", service, "admin", "service")
user("tether-member", service, "member")
user("demo", demo, "member", "reader")
def endpoint(kind, name, url):
    s = c.services.create(name, type=kind)
    for iface in ("public", "internal", "admin"):
        c.endpoints.create(s, url, interface=iface, region="RegionOne")
endpoint("block-storage", "cinder", f"http://127.0.0.1:{cinder}/v3/%(project_id)s")
endpoint("volumev3", "cinderv3", f"http://127.0.0.1:{cinder}/v3/%(project_id)s")
endpoint("image", "glance", f"http://127.0.0.1:{glance}")
endpoint("key-manager", "barbican", f"http://127.0.0.1:{barbican}")
print(f"DEMO_PROJECT_ID={demo.id}")
print(f"SERVICE_PROJECT_ID={service.id}")
PY
}

ceph_clients() { # the images pool and Glance's user on the lab Ceph; a ceph.conf naming each client's keyring
  local c=(timeout 30 ceph -c "$CEPH_DIR/ceph.conf")
  "${c[@]}" osd pool create images 8 >/dev/null 2>&1
  "${c[@]}" osd pool set images size 1 --yes-i-really-mean-it >/dev/null 2>&1
  "${c[@]}" osd pool application enable images rbd >/dev/null 2>&1
  "${c[@]}" auth get-or-create client.glance mon 'profile rbd' osd 'profile rbd pool=images' \
    mgr 'profile rbd pool=images' -o "$D/client.glance.keyring" >/dev/null 2>&1
  # Cinder may read images to clone them (Glance and Cinder on one Ceph)
  "${c[@]}" auth caps client.cinder mon 'profile rbd' osd 'profile rbd pool=volumes, profile rbd-read-only pool=images' \
    mgr 'profile rbd pool=volumes' >/dev/null 2>&1
  sed -n '/^\[client.admin\]/q;p' "$CEPH_DIR/ceph.conf" > "$D/ceph.conf"
  cat >> "$D/ceph.conf" <<CONF
[client.admin]
keyring = $CEPH_DIR/admin.keyring
[client.cinder]
keyring = $CEPH_DIR/client.cinder.keyring
[client.glance]
keyring = $D/client.glance.keyring
CONF
}

start_cinder() {
  mkdir -p "$D/cinder/state" "$D/cinder/lock"
  { cat <<CONF
[DEFAULT]
log_dir = $D/log
state_path = $D/cinder/state
my_ip = 127.0.0.1
host = tether-lab
auth_strategy = keystone
transport_url = rabbit://guest:guest@127.0.0.1:$RABBIT_PORT/
osapi_volume_listen = 127.0.0.1
osapi_volume_listen_port = $CINDER_PORT
osapi_volume_workers = 1
# fewer heartbeats written into SQLite by the scheduler and the volume service (the default is every 10 s)
report_interval = 30
service_down_time = 180
enabled_backends = ceph
default_volume_type = __DEFAULT__
glance_api_servers = http://127.0.0.1:$GLANCE_PORT
[database]
connection = sqlite:///$D/cinder/cinder.db?timeout=60
[oslo_concurrency]
lock_path = $D/cinder/lock
[oslo_messaging_notifications]
driver = noop
[key_manager]
backend = barbican
[barbican]
barbican_endpoint = http://127.0.0.1:$BARBICAN_PORT
auth_endpoint = http://127.0.0.1:$KEYSTONE_PORT/v3
[ceph]
volume_driver = cinder.volume.drivers.rbd.RBDDriver
volume_backend_name = ceph
rbd_pool = volumes
rbd_ceph_conf = $D/ceph.conf
rbd_user = cinder
rbd_secret_uuid = $RBD_SECRET_UUID
rbd_flatten_volume_from_snapshot = false
rbd_max_clone_depth = 5
CONF
    authtoken cinder "$CINDER_PW"; } > "$D/cinder/cinder.conf"
  cinder-manage --config-file "$D/cinder/cinder.conf" db sync >>"$D/log/cinder-manage.out" 2>&1
  wal "$D/cinder/cinder.db"
  local svc
  for svc in cinder-api cinder-scheduler cinder-volume; do
    spawn "$svc" "$D/log/$svc.out" "$svc" --config-file "$D/cinder/cinder.conf"
  done
}

start_glance() {
  mkdir -p "$D/glance/staging" "$D/glance/tasks" "$D/glance/images"
  { cat <<CONF
[DEFAULT]
log_dir = $D/log
bind_host = 127.0.0.1
bind_port = $GLANCE_PORT
workers = 1
show_image_direct_url = true
show_multiple_locations = true
enabled_backends = ceph:rbd, local:file
[database]
connection = sqlite:///$D/glance/glance.db?timeout=60
[paste_deploy]
flavor = keystone
[glance_store]
default_backend = ceph
[ceph]
rbd_store_pool = images
rbd_store_user = glance
rbd_store_ceph_conf = $D/ceph.conf
rbd_store_chunk_size = 8
rbd_thin_provisioning = true
[local]
filesystem_store_datadir = $D/glance/images
[os_glance_staging_store]
filesystem_store_datadir = $D/glance/staging
[os_glance_tasks_store]
filesystem_store_datadir = $D/glance/tasks
[oslo_concurrency]
lock_path = $D/glance
CONF
    authtoken glance "$GLANCE_PW"; } > "$D/glance/glance-api.conf"
  glance-manage --config-file "$D/glance/glance-api.conf" db_sync >>"$D/log/glance-manage.out" 2>&1
  wal "$D/glance/glance.db"
  spawn glance-api "$D/log/glance-api.out" glance-api --config-file "$D/glance/glance-api.conf"
}

start_barbican() {
  mkdir -p "$D/barbican/.barbican"
  { cat <<CONF
[DEFAULT]
log_dir = $D/log
host_href = http://127.0.0.1:$BARBICAN_PORT
sql_connection = sqlite:///$D/barbican/barbican.db?timeout=60
db_auto_create = true
transport_url = rabbit://guest:guest@127.0.0.1:$RABBIT_PORT/
[queue]
enable = false
[secretstore]
enabled_secretstore_plugins = store_crypto
[crypto]
enabled_crypto_plugins = simple_crypto
[simple_crypto_plugin]
kek = $(head -c 32 /dev/urandom | base64)
[oslo_policy]
policy_file = $D/barbican/policy.yaml
CONF
    authtoken barbican "$BARBICAN_PW"; } > "$D/barbican/.barbican/barbican.conf"
  # The agent reads a volume's key with its own identity (Nova reads it with the user's token, which an agent
  # driven by a controller does not have): the service role may read any project's secrets, as an operator
  # who runs Tether sets it. Barbican's own defaults otherwise.
  cat > "$D/barbican/policy.yaml" <<'YAML'
"secret:get": "rule:secret_non_private_read or rule:secret_project_creator or rule:secret_project_admin or rule:secret_acl_read or role:service"
"secret:decrypt": "rule:secret_decrypt_non_private_read or rule:secret_project_creator or rule:secret_project_admin or rule:secret_acl_read or role:service"
YAML
  # Barbican reads ~/.barbican/barbican.conf before /etc/barbican/barbican.conf
  HOME="$D/barbican" barbican-manage db upgrade >>"$D/log/barbican-manage.out" 2>&1 || true
  spawn barbican "$D/log/barbican.out" env HOME="$D/barbican" uwsgi --plugin python3 \
    --http-socket "127.0.0.1:$BARBICAN_PORT" --wsgi-file /usr/bin/barbican-wsgi-api --processes 1 --threads 1 \
    --add-header "Connection: close" --die-on-term --need-app
}

start_all() {
  mkdir -p "$D/log"
  chmod 0700 "$D"
  export ADMIN_PW=$(pw) CINDER_PW=$(pw) GLANCE_PW=$(pw) BARBICAN_PW=$(pw) TETHER_PW=$(pw) TETHER_MEMBER_PW=$(pw) DEMO_PW=$(pw)
  RBD_SECRET_UUID=$(cat /proc/sys/kernel/random/uuid)
  local t0=$SECONDS
  start_rabbit
  ceph_clients
  start_keystone
  register > "$D/ids.env"
  start_cinder
  start_glance
  start_barbican
  wait_http 90 "http://127.0.0.1:$CINDER_PORT/" cinder-api "$D/log/cinder-api.out"
  wait_http 60 "http://127.0.0.1:$GLANCE_PORT/" glance-api "$D/log/glance-api.out"
  wait_http 60 "http://127.0.0.1:$BARBICAN_PORT/" barbican "$D/log/barbican.out"
  wait_volume_service
  { cat "$D/ids.env"
    echo "OS_AUTH_URL=http://127.0.0.1:$KEYSTONE_PORT/v3"
    echo "CINDER_URL=http://127.0.0.1:$CINDER_PORT/v3"
    echo "GLANCE_URL=http://127.0.0.1:$GLANCE_PORT"
    echo "BARBICAN_URL=http://127.0.0.1:$BARBICAN_PORT"
    echo "RBD_SECRET_UUID=$RBD_SECRET_UUID"
    echo "CEPH_CLIENT_CONF=$D/ceph.conf"
    for u in ADMIN TETHER TETHER_MEMBER DEMO; do v="${u}_PW"; echo "${u}_PASSWORD=${!v}"; done
  } > "$D/env"
  chmod 0600 "$D/env"
  log "up in $((SECONDS - t0)) s"
  cat "$D/env"
}

# cinder-volume reports its backend to the scheduler once it has the pool's capacity (from the mgr's stats)
wait_volume_service() {
  local n
  for n in $(seq 1 150); do
    if OS_AUTH_URL="http://127.0.0.1:$KEYSTONE_PORT/v3" OS_USERNAME=admin OS_PASSWORD="$ADMIN_PW" \
       OS_PROJECT_NAME=admin OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_IDENTITY_API_VERSION=3 \
       /usr/bin/python3 - "$CINDER_PORT" <<'PY' 2>/dev/null
import os, sys, json, urllib.request
from keystoneauth1 import session
from keystoneauth1.identity import v3
s = session.Session(auth=v3.Password(auth_url=os.environ["OS_AUTH_URL"], username="admin",
    password=os.environ["OS_PASSWORD"], project_name="admin", user_domain_id="default", project_domain_id="default"))
pid = s.get_project_id()
r = s.get(f"http://127.0.0.1:{sys.argv[1]}/v3/{pid}/scheduler-stats/get_pools?detail=true").json()
prefix = os.environ.get("POOL_PREFIX", "")
pools = [p for p in r.get("pools", []) if p["name"].startswith(prefix)
         and float(p["capabilities"].get("free_capacity_gb", 0) or 0) > 0]
sys.exit(0 if pools else 1)
PY
    then return 0; fi
    sleep 0.4
  done
  log "cinder-volume reported no pool ${POOL_PREFIX:-}... with free capacity"
  tail -20 "$D/log/cinder-volume${POOL_PREFIX:+-$name}.log" >&2 || true
  return 1
}

stop_all() {
  local f
  for f in "$D"/*.pid; do
    [ -s "$f" ] || continue
    # each service was started in its own session: its workers go with it
    kill -TERM -- "-$(cat "$f")" 2>/dev/null || true
  done
  sleep 1
  for f in "$D"/*.pid; do
    [ -s "$f" ] || continue
    kill -KILL -- "-$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
  pkill -KILL -f "RABBITMQ_NODENAME=tether-lab|-sname tether-lab@localhost" 2>/dev/null || true
  pkill -KILL -f "epmd.*-port $((RABBIT_PORT - 1300))" 2>/dev/null || true
}

cmd=${1:?install|start|stop}
case "$cmd" in
install) install_packages ;;
start)
  D=${2:?work directory}; CEPH_DIR=${3:?directory of the lab Ceph (lab/ceph-cluster.sh)}
  install_packages
  start_all ;;
stop) D=${2:?work directory}; stop_all ;;
start-backend)
  D=${2:?work directory}; name=${3:?backend name}; file=${4:?its settings}
  printf '[DEFAULT]\nenabled_backends = %s\n' "$name" > "$D/cinder/backend-$name.conf"
  spawn "cinder-volume-$name" "$D/log/cinder-volume-$name.out" env \
    PYTHONPATH="$(cd "$(dirname "$0")/.." && pwd)/integrations/cinder" cinder-volume \
    --config-file "$D/cinder/cinder.conf" --config-file "$file" --config-file "$D/cinder/backend-$name.conf" \
    --log-file "$D/log/cinder-volume-$name.log"
  # shellcheck disable=SC1091
  set -a; . "$D/env"; set +a; ADMIN_PW=$ADMIN_PASSWORD
  KEYSTONE_PORT=${OS_AUTH_URL##*:}; KEYSTONE_PORT=${KEYSTONE_PORT%%/*}
  CINDER_PORT=${CINDER_URL##*:}; CINDER_PORT=${CINDER_PORT%%/*}
  POOL_PREFIX="tether-lab@$name#" wait_volume_service ;;
stop-backend)
  D=${2:?work directory}; name=${3:?backend name}
  [ -s "$D/cinder-volume-$name.pid" ] && kill -KILL -- "-$(cat "$D/cinder-volume-$name.pid")" 2>/dev/null || true
  rm -f "$D/cinder-volume-$name.pid" ;;
stop-cinder-volume) D=${2:?work directory}; kill -KILL -- "-$(cat "$D/cinder-volume.pid")"; rm -f "$D/cinder-volume.pid" ;;
start-cinder-volume) D=${2:?work directory}; spawn cinder-volume "$D/log/cinder-volume.out" cinder-volume --config-file "$D/cinder/cinder.conf" ;;
*) echo "usage: $0 install|start DIR CEPH_DIR|stop DIR" >&2; exit 2 ;;
esac
