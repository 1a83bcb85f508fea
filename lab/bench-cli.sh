#!/usr/bin/env bash
# tetherctl's start-up, beside virsh's (issue 34: `tetherctl status` <= 0.5 s wall on this machine). Starts the
# packaged agent (storage mode, file backend, a token) on loopback port 18198, makes tetherctl's class-data
# archive as the package's %post does, and prints the median of 15 wall times of each command.
# Run after `mvn package` (target/quarkus-app); root not needed beyond what the agent's storage mode wants.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/quarkus-app/quarkus-run.jar ] || { echo "bench-cli: run mvn package first" >&2; exit 1; }
W=$(mktemp -d /tmp/bench-cli.XXXXXX)
AGENT=
cleanup() { [ -n "$AGENT" ] && kill "$AGENT" 2>/dev/null; rm -rf "$W" target/quarkus-app/tetherctl.jsa; }
trap cleanup EXIT
(umask 077; head -c 32 /dev/urandom | base64 | tr -d '/+=\n' > "$W/token")
printf 'tether.api.token-file=%s\nquarkus.http.port=18198\n' "$W/token" > "$W/agent.properties"
mkdir -p "$W/files" "$W/state"
java -Dtether.mode=storage -Dtether.storage.backend=file -Dtether.storage.target.driver=tgt \
     -Dtether.storage.file.dir="$W/files" -Dtether.state-dir="$W/state" -Dtether.api.token-file="$W/token" \
     -Dtether.api.audit-file="$W/audit.jsonl" -Dquarkus.http.port=18198 -jar target/quarkus-app/quarkus-run.jar \
     > "$W/agent.log" 2>&1 &
AGENT=$!
for _ in $(seq 1 120); do curl -sf -o /dev/null http://127.0.0.1:18198/q/health/live && break; sleep 0.5; done
export TETHER_HOME=$PWD/target/quarkus-app
TETHERCTL_JAVA_OPTS=-XX:ArchiveClassesAtExit=$TETHER_HOME/tetherctl.jsa rpm/tetherctl warm-up >/dev/null 2>&1

median() { # median LABEL CMD...: the median of 15 wall times, in ms
  local label=$1; shift
  local times=()
  for _ in $(seq 1 15); do
    local t0 t1
    t0=$(date +%s%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000000 )))
  done
  printf '%-45s median %4d ms (min %d, max %d)\n' "$label" \
    "$(printf '%s\n' "${times[@]}" | sort -n | sed -n 8p)" \
    "$(printf '%s\n' "${times[@]}" | sort -n | head -1)" "$(printf '%s\n' "${times[@]}" | sort -n | tail -1)"
}
median "tetherctl status (class-data archive)" rpm/tetherctl --config "$W/agent.properties" status
median "tetherctl volumes (class-data archive)" rpm/tetherctl --config "$W/agent.properties" volumes
median "tetherctl --version (class-data archive)" rpm/tetherctl --version
rm -f "$TETHER_HOME/tetherctl.jsa"
median "tetherctl status (no archive)" rpm/tetherctl --config "$W/agent.properties" status
median "virsh list" virsh -c qemu:///system list
median "curl /q/health (the agent's own answer)" curl -s -H "Authorization: Bearer $(cat "$W/token")" http://127.0.0.1:18198/q/health
