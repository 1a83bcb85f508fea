#!/bin/bash
# A second libvirt host ("host B") on this machine, for live migration between two hypervisors:
# its own libvirtd in private UTS and mount namespaces, with its own hostname, host UUID, directories and
# sockets; both share the loopback network, so QEMU migrates over tcp://127.0.0.1.
#
#   lab/host-b.sh start DIR TCP_PORT   starts it (idempotent); prints B's URI for clients outside its namespace
#   lab/host-b.sh stop DIR             stops its libvirtd and every QEMU it started; DIR is left for inspection
#
# Inside B's namespace host A's libvirt socket directory is reachable at DIR/a-run, so a peer-to-peer migration
# from B to A names qemu+unix:///system?socket=DIR/a-run/libvirt-sock. A is reached from outside as always.
# Lab only: B listens on 127.0.0.1:TCP_PORT with auth_tcp = none (any local user is root over B).
set -euo pipefail

cmd=${1:?usage: host-b.sh start DIR PORT | stop DIR}
dir=$(realpath -m "${2:?DIR}")

pids_of_b() {
    # B's QEMUs write their pid files under B's run directory (libvirt gives each QEMU its own mount namespace)
    for f in "$dir"/run/libvirt/qemu/*.pid; do
        [ -f "$f" ] && cat "$f" && echo
    done
    [ -f "$dir/libvirtd.pid" ] && cat "$dir/libvirtd.pid"
}

case "$cmd" in
start)
    port=${3:?TCP port}
    if [ -f "$dir/libvirtd.pid" ] && kill -0 "$(cat "$dir/libvirtd.pid")" 2>/dev/null \
            && virsh -q -c "qemu+tcp://127.0.0.1:$port/system" version >/dev/null 2>&1; then
        echo "qemu+tcp://127.0.0.1:$port/system"
        exit 0
    fi
    mkdir -p "$dir"/{etc,run,lib,log,cache,a-run}
    rm -rf "$dir/etc/libvirt" "$dir/run/libvirt"
    cp -a /etc/libvirt "$dir/etc/libvirt"
    mkdir -p "$dir/run/libvirt" "$dir/lib/libvirt/qemu" "$dir/lib/libvirt/images" "$dir/log/libvirt/qemu" \
        "$dir/cache/libvirt/qemu"
    rm -f "$dir"/etc/libvirt/secrets/* "$dir"/etc/libvirt/qemu/*.xml 2>/dev/null || true
    # QEMU's capabilities probed by A: B starts in under a second instead of ~8
    cp -a /var/cache/libvirt/qemu/capabilities "$dir/cache/libvirt/qemu/" 2>/dev/null || true
    cat > "$dir/etc/libvirt/libvirtd.conf" <<EOF
host_uuid = "$(cat /proc/sys/kernel/random/uuid)"
listen_tcp = 1
listen_tls = 0
listen_addr = "127.0.0.1"
tcp_port = "$port"
auth_tcp = "none"
auth_unix_rw = "none"
EOF
    {
        grep -v -e '^stdio_handler' -e '^migration_port' /etc/libvirt/qemu.conf 2>/dev/null || true
        echo 'stdio_handler = "file"'
        echo "migration_port_min = $((port + 100))"
        echo "migration_port_max = $((port + 163))"
    } > "$dir/etc/libvirt/qemu.conf.new"
    mv "$dir/etc/libvirt/qemu.conf.new" "$dir/etc/libvirt/qemu.conf"
    rm -f "$dir/libvirtd.pid"
    setsid unshare --uts --mount --propagation private bash -c '
        set -e
        d=$1
        hostname tether-host-b
        mount --bind /run/libvirt "$d/a-run"
        mount --bind "$d/etc/libvirt" /etc/libvirt
        mount --bind "$d/run/libvirt" /run/libvirt
        mount --bind "$d/lib/libvirt" /var/lib/libvirt
        mount --bind "$d/log/libvirt" /var/log/libvirt
        mount --bind "$d/cache/libvirt" /var/cache/libvirt
        exec libvirtd -l -f /etc/libvirt/libvirtd.conf -p "$d/libvirtd.pid"
    ' host-b "$dir" > "$dir/libvirtd.out" 2>&1 < /dev/null &
    launched=$!
    for _ in $(seq 1 150); do
        if ! kill -0 "$launched" 2>/dev/null; then
            echo "host-b: libvirtd exited; see $dir/libvirtd.out" >&2
            exit 1
        fi
        if [ -f "$dir/libvirtd.pid" ] && virsh -q -c "qemu+tcp://127.0.0.1:$port/system" version >/dev/null 2>&1; then
            echo "qemu+tcp://127.0.0.1:$port/system"
            exit 0
        fi
        sleep 0.1
    done
    echo "host-b: libvirtd did not answer on 127.0.0.1:$port; see $dir/libvirtd.out" >&2
    exit 1
    ;;
stop)
    pids=$(pids_of_b | sort -u)
    [ -n "$pids" ] && kill $pids 2>/dev/null || true
    for _ in $(seq 1 50); do
        alive=0
        for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    for p in $pids; do kill -9 "$p" 2>/dev/null || true; done
    rm -f "$dir/libvirtd.pid"
    ;;
*)
    echo "usage: host-b.sh start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
