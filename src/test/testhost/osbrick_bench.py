#!/usr/bin/python3
"""Side by side in the test-host VM: os-brick's ISCSIConnector (the library Nova uses) against Tether's
kernel path, on identical LIO targets that the agent under test exports.

Tether's cycle is PUT + DELETE of an attachment to a shut-off domain (scope CONFIG: the libvirt part is a
config edit, so the time is the host connect and disconnect); os-brick's cycle is connect_volume +
disconnect_volume. Both sequential (ROUNDS cycles) and with PARALLEL volumes at once.

A third, sequential-only row is the floor: the fewest steps any connector built on open-iscsi and udev must
take, with no bookkeeping at all (iscsiadm new, update, login; a LUN scan through sysfs; wait for the disk
and its by-path link; flush; delete the disk; iscsiadm logout, delete). iscsiadm 2.1.8 refuses to combine
new with update, or an op with login/logout, so these are five processes. No connector can beat it here,
which bounds any speed-up over os-brick by os-brick's cycle / the floor. Prints JSON.
"""
import concurrent.futures as cf
import glob
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid

os.environ.setdefault("OSLO_LOCK_PATH", "/run/osbrick-locks")
os.makedirs(os.environ["OSLO_LOCK_PATH"], exist_ok=True)
import os_brick  # noqa: E402
from os_brick import privileged  # noqa: E402
from os_brick.initiator import connector as brick  # noqa: E402
from oslo_config import cfg  # noqa: E402

cfg.CONF([], project="tether-bench", default_config_files=[])
os_brick.setup(cfg.CONF)  # as Nova does at start; without it os-brick warns on every connect
privileged.default.set_client_mode(False)  # run os-brick's privileged calls in-process (we are root)
API = "http://127.0.0.1:8080"
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 20
PARALLEL = int(sys.argv[2]) if len(sys.argv) > 2 else 8
DOMAIN = "benchdom"


def call(method, path, body=None, want=200):
    req = urllib.request.Request(API + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=300) as r:
        if r.status != want:
            raise RuntimeError(f"{method} {path}: {r.status}")
        data = r.read()
        return json.loads(data) if data else None


def server_times():
    """The agent's own attach/detach time and its steps so far, from /q/metrics: {(op, step): [seconds, count]}."""
    with urllib.request.urlopen(API + "/q/metrics", timeout=60) as r:
        text = r.read().decode()
    out = {}
    for m in re.finditer(r'^tether_(attach|detach)(_step)?_seconds_(sum|count)\{([^}]*)\} (\S+)$', text, re.M):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m[4]))
        if labels.get("result", "ok") != "ok":
            continue
        cell = out.setdefault((m[1], labels.get("step", "total")), [0.0, 0.0])
        cell[0 if m[3] == "sum" else 1] += float(m[5])
    return out


def breakdown(before, after, client):
    """Per cycle, in ms (means): what the client waited for each call, the agent's own time, and each step inside it
    (dotted steps are part of their parent). The rest of a call (client minus agent) is HTTP and the request's
    way in and out; the rest of the agent's time (total minus the undotted steps) is its own code."""
    out = {}
    for op in ("attach", "detach"):
        row = {"client_ms": round(statistics.mean(client[op]), 1)}  # a mean, as the agent's figures are
        n = after.get((op, "total"), [0, 0])[1] - before.get((op, "total"), [0, 0])[1]
        for (o, step), (secs, _) in sorted(after.items()):
            if o == op and n:
                row[f"{step}_ms"] = round((secs - before.get((o, step), [0.0, 0])[0]) * 1000 / n, 1)
        if n:
            row["agent_other_ms"] = round(row["total_ms"] - sum(v for k, v in row.items() if k.endswith("_ms")
                                                                and k not in ("client_ms", "total_ms") and "." not in k), 1)
            row["http_ms"] = round(row["client_ms"] - row["total_ms"], 1)
        out[op] = row
    return out


def ms(fn):
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def run(argv):
    """Runs argv; a failure names the program and its exit, never the arguments (a CHAP password is one)."""
    r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"floor cycle: {argv[0]} exited {r.returncode}: {r.stderr.strip()}")


def wait_for(fn, what, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = fn()
        if found:
            return found
        time.sleep(0.005)
    raise RuntimeError(f"floor cycle: no {what} within {timeout} s")


def session_of(iqn, address, port):
    """The iSCSI session (sysfs id) to iqn at address:port, or None."""
    base = "/sys/class/iscsi_session"
    for s in os.listdir(base):
        conn = f"/sys/class/iscsi_connection/connection{s[len('session'):]}:0"
        try:
            if (open(f"{base}/{s}/targetname").read().strip() == iqn
                    and open(f"{conn}/persistent_address").read().strip() == address
                    and open(f"{conn}/persistent_port").read().strip() == port):
                return s[len("session"):]
        except OSError:
            continue
    return None


def floor_cycle(v, hotplug=False):
    d = v[1]["data"]
    iqn, portal, lun = d["target_iqn"], d["target_portal"], int(d.get("target_lun", 0))
    address, port = portal.rsplit(":", 1)
    node = ["iscsiadm", "-m", "node", "-T", iqn, "-p", portal]
    run(node + ["--interface", "default", "--op", "new"])
    run(node + ["--op", "update", "-n", "node.session.scan", "-v", "manual",
                "-n", "node.session.auth.authmethod", "-v", "CHAP",
                "-n", "node.session.auth.username", "-v", d["auth_username"],
                "-n", "node.session.auth.password", "-v", d["auth_password"]])
    run(node + ["--login"])
    sid = session_of(iqn, address, port)
    host = os.path.basename(os.path.realpath(f"/sys/class/iscsi_session/session{sid}/device/.."))
    with open(f"/sys/class/scsi_host/{host}/scan", "w") as f:
        f.write(f"- - {lun}")
    session_dev = f"/sys/class/iscsi_session/session{sid}/device"

    def disk():
        for t in os.listdir(session_dev):
            if t.startswith("target"):
                for hctl in os.listdir(f"{session_dev}/{t}"):
                    if hctl.endswith(f":{lun}") and os.path.isdir(f"{session_dev}/{t}/{hctl}/block"):
                        names = os.listdir(f"{session_dev}/{t}/{hctl}/block")
                        return names[0] if names else None
        return None
    dev = wait_for(disk, "disk")
    link = f"/dev/disk/by-path/ip-{portal}-iscsi-{iqn}-lun-{lun}"
    wait_for(lambda: os.path.exists(link), "by-path link")
    if hotplug:
        # what a connector leaves to its caller (Nova's libvirt driver) and Tether's cycle does: the disk into
        # the bench domain's definition and out again (the domain is defined, not running: a config edit)
        xml = f"/run/floor-{v[0]}.xml"
        with open(xml, "w") as f:
            f.write(f"<disk type='block' device='disk'><driver name='qemu' type='raw' cache='none' io='native'/>"
                    f"<source dev='{link}'/><target dev='sdz' bus='scsi'/><serial>{v[0]}</serial></disk>")
        run(["virsh", "-q", "-c", "qemu:///system", "attach-device", DOMAIN, xml, "--config"])
        run(["virsh", "-q", "-c", "qemu:///system", "detach-device", DOMAIN, xml, "--config"])
    run(["blockdev", "--flushbufs", f"/dev/{dev}"])
    with open(f"/sys/block/{dev}/device/delete", "w") as f:
        f.write("1")
    run(node + ["--logout"])
    run(node + ["--op", "delete"])


def nvme_heads(vid):
    """Namespace heads (not per-path nodes) whose UUID is the volume's."""
    out = []
    for name in os.listdir("/sys/block"):
        if name.startswith("nvme") and "c" not in name[4:]:
            try:
                with open(f"/sys/block/{name}/uuid") as f:
                    if f.read().strip() == vid:
                        out.append(name)
            except OSError:
                pass
    return out


def controller_addresses(nqn):
    """What sysfs says the subsystem's controllers are connected to: os-brick 6.1 compares this text whole with
    'traddr=...,trsvcid=...' and so misses a controller whose address carries src_addr (Launchpad #2035811)."""
    out = []
    for c in glob.glob("/sys/class/nvme-fabrics/ctl/nvme*"):
        try:
            if open(f"{c}/subsysnqn").read().strip() == nqn:
                out.append(open(f"{c}/address").read().strip())
        except OSError:
            pass
    return out


def nvme_rows():
    """NVMe/TCP: os-brick's NVMeOFConnector against Tether's kernel path against bare nvme-cli, same volume."""
    connector = call("GET", "/v1/connector")
    host = connector["nqn"]
    vid = str(uuid.uuid4())
    call("POST", "/v1/volumes", {"id": vid, "size_gb": 1, "pool": "nvme"}, 201)
    info = call("PUT", f"/v1/volumes/{vid}/exports/{host}", connector)
    data = info["data"]
    nvme = brick.InitiatorConnector.factory("NVME", root_helper=None, use_multipath=True)
    single = brick.InitiatorConnector.factory("NVME", root_helper=None, use_multipath=False)

    def brick_cycle():
        props = dict(data)
        dev = nvme.connect_volume(props)
        nvme.disconnect_volume(props, dev)

    def brick_one_portal_cycle():
        # the same volume through its first portal only, without multipath: is os-brick's failure multipath's?
        props = dict(data, portals=data["portals"][:1])
        dev = single.connect_volume(props)
        single.disconnect_volume(props, dev)

    client = {"attach": [], "detach": []}

    def tether_cycle():
        client["attach"].append(ms(lambda: call("PUT", f"/v1/instances/{DOMAIN}/volumes/{vid}",
                                                {"connection_info": info, "bus": "scsi"})))
        client["detach"].append(ms(lambda: call("DELETE", f"/v1/instances/{DOMAIN}/volumes/{vid}", want=204)))

    def floor_cycle():
        # what any connector must do: one controller per portal, wait for the namespace head, disconnect
        for addr, port, transport in data["portals"]:
            run(["nvme", "connect", "-t", transport, "-a", addr, "-s", str(port), "-n", data["target_nqn"],
                 "-q", host, "-l", "-1"])
        wait_for(lambda: nvme_heads(vid), "namespace head")
        run(["nvme", "disconnect", "-n", data["target_nqn"]])
        wait_for(lambda: True if not nvme_heads(vid) else None, "head gone")

    rows = {}
    try:
        for name, cycle in (("os_brick", brick_cycle), ("os_brick_one_portal", brick_one_portal_cycle),
                            ("tether", tether_cycle), ("floor", floor_cycle)):
            # what a failed row may have left connected does not carry into the next one
            subprocess.run(["nvme", "disconnect", "-n", data["target_nqn"]], capture_output=True, timeout=60)
            try:
                cycle()  # warm-up
                client["attach"].clear()
                client["detach"].clear()
                before = server_times()
                seq = [ms(cycle) for _ in range(ROUNDS)]
                rows[name] = {"p50_ms": round(statistics.median(seq), 1), "mean_ms": round(statistics.mean(seq), 1),
                              "max_ms": round(max(seq), 1)}
                if name == "tether":
                    rows["tether_steps"] = breakdown(before, server_times(), client)
            except Exception as e:  # a connector that fails here is reported, not hidden
                rows[name] = {"error": f"{type(e).__name__}: {str(e)[:300]}",
                              "controller_addresses": controller_addresses(data["target_nqn"])}
    finally:
        call("DELETE", f"/v1/volumes/{vid}/exports/{host}", want=204)
        call("DELETE", f"/v1/volumes/{vid}", want=204)
    if all("p50_ms" in rows.get(k, {}) for k in ("os_brick", "tether", "floor")):
        rows["tether_over_floor"] = round(rows["tether"]["p50_ms"] / rows["floor"]["p50_ms"], 2)
        rows["speedup"] = round(rows["os_brick"]["p50_ms"] / rows["tether"]["p50_ms"], 2)
    return rows


def main():
    connector = call("GET", "/v1/connector")
    initiator = connector["initiator"]
    vols = []
    for _ in range(PARALLEL):
        vid = str(uuid.uuid4())
        call("POST", "/v1/volumes", {"id": vid, "size_gb": 1}, 201)
        info = call("PUT", f"/v1/volumes/{vid}/exports/{initiator}", connector)
        vols.append((vid, info))
    iscsi = brick.InitiatorConnector.factory("ISCSI", root_helper=None, use_multipath=False)

    def brick_cycle(v):
        data = dict(v[1]["data"])
        dev = iscsi.connect_volume(data)
        iscsi.disconnect_volume(data, dev)

    client = {"attach": [], "detach": []}

    def tether_cycle(v, timed=False):
        a = ms(lambda: call("PUT", f"/v1/instances/{DOMAIN}/volumes/{v[0]}",
                            {"connection_info": v[1], "bus": "scsi", "attach_path": "kernel"}))
        d = ms(lambda: call("DELETE", f"/v1/instances/{DOMAIN}/volumes/{v[0]}", want=204))
        if timed:
            client["attach"].append(a)
            client["detach"].append(d)

    out = {}
    for name, cycle in (("os_brick", brick_cycle), ("tether", tether_cycle)):
        cycle(vols[0])  # warm-up
        before = server_times()
        seq = [ms(lambda: cycle(vols[0], timed=True) if cycle is tether_cycle else cycle(vols[0]))
               for _ in range(ROUNDS)]
        if cycle is tether_cycle:
            out["tether_steps"] = breakdown(before, server_times(), client)
        with cf.ThreadPoolExecutor(PARALLEL) as pool:
            wall = ms(lambda: list(pool.map(cycle, vols)))
        out[name] = {"p50_ms": round(statistics.median(seq), 1), "mean_ms": round(statistics.mean(seq), 1),
                     "max_ms": round(max(seq), 1), f"parallel_{PARALLEL}_wall_ms": round(wall, 1)}
    floor_cycle(vols[0])  # warm-up
    seq = [ms(lambda: floor_cycle(vols[0])) for _ in range(ROUNDS)]
    out["floor"] = {"p50_ms": round(statistics.median(seq), 1), "mean_ms": round(statistics.mean(seq), 1),
                    "max_ms": round(max(seq), 1)}
    floor_cycle(vols[0], hotplug=True)  # warm-up
    seq = [ms(lambda: floor_cycle(vols[0], hotplug=True)) for _ in range(ROUNDS)]
    out["floor_with_hotplug"] = {"p50_ms": round(statistics.median(seq), 1),
                                 "mean_ms": round(statistics.mean(seq), 1), "max_ms": round(max(seq), 1)}
    for vid, _ in vols:
        call("DELETE", f"/v1/volumes/{vid}/exports/{initiator}", want=204)
        call("DELETE", f"/v1/volumes/{vid}", want=204)
    b, t = out["os_brick"], out["tether"]
    out["speedup_sequential"] = round(b["p50_ms"] / t["p50_ms"], 2)
    out["speedup_parallel"] = round(b[f"parallel_{PARALLEL}_wall_ms"] / t[f"parallel_{PARALLEL}_wall_ms"], 2)
    out["tether_over_floor_ms"] = round(t["p50_ms"] - out["floor"]["p50_ms"], 1)
    # Tether's cycle also puts the disk into the domain's definition and out again; os-brick's and the floor do not
    out["tether_over_floor_with_hotplug"] = round(t["p50_ms"] / out["floor_with_hotplug"]["p50_ms"], 2)
    out["best_possible_speedup_sequential"] = round(b["p50_ms"] / out["floor"]["p50_ms"], 2)
    out["nvmeof"] = nvme_rows()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
