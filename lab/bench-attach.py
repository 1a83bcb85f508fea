#!/usr/bin/python3
"""The qemu attach path against its libvirt floor (issue 35), same machine, same run, same target.

The floor does the libvirt work Tether does for a CHAP + iotune iSCSI disk on the qemu path, over one persistent
libvirt connection, with no HTTP, no journal and no checks:
  attach: secretDefineXML (a private iscsi secret), setValue, attachDeviceFlags(LIVE|CONFIG)
  detach: detachDeviceFlags(LIVE|CONFIG), wait until the disk left both definitions, undefine the secret
Its disk XML is the one Tether wrote (read back from the domain), with the floor's own secret. The floor plugs
into a twin of Tether's domain (made the same way, one disk at a time in each): the agent forgets what it knew of a
domain whose disks someone else changed (libvirt's device-added event), and reads it again, as it should.
Tether is driven by a keep-alive HTTP client. The cycles alternate (Tether, floor, Tether, ...), so that what
the machine does meanwhile falls on both. Then 32 attaches into 32 running domains at once, both ways, and
Tether's own per-step means (tether_attach_step_seconds / tether_detach_step_seconds, read from /q/metrics
before and after its cycles).

With --rbd the same on a cephx RBD image of the bench's own one-node Ceph (lab/ceph-cluster.sh), with Cinder's
RBD connection_info carrying the keyring: the agent defines a ceph secret per attachment, and so does the floor
(secretDefineXML of a private ceph secret, setValue of the key, attachDeviceFlags).

Run as root after lab/host-setup.sh and a build: `bash lab/bench-attach.sh` does both (and installs
python3-libvirt). Options: --cycles N (20), --parallel N (32), --jvm OPTS (the unit's), --rbd.
"""
import base64
import argparse
import concurrent.futures as cf
import http.client
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid

import libvirt

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the shared pieces: targets, domains, the agent)

LIVE_CONFIG = libvirt.VIR_DOMAIN_AFFECT_LIVE | libvirt.VIR_DOMAIN_AFFECT_CONFIG


class KeepAlive:
    """One HTTP/1.1 connection per thread, kept open between calls."""

    def __init__(self, port):
        self.port = port
        self.local = threading.local()

    def call(self, method, path, body=None):
        c = getattr(self.local, "conn", None)
        if c is None:
            c = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        data = json.dumps(body).encode() if body is not None else None
        c.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
        r = c.getresponse()
        return r.status, r.read()


def needle(t):
    """What names the volume in its disk XML: the iSCSI target's IQN, or the RBD image."""
    return t.iqn if hasattr(t, "iqn") else f"volume-{t.volume}"


def secret_value(t):
    """The secret the floor defines for the volume: the CHAP password, or the cephx key of the keyring sent."""
    if hasattr(t, "password"):
        return t.password.encode()
    return base64.b64decode(re.search(r"key\s*=\s*(\S+)", t.keyring).group(1))


class Floor:
    """The same libvirt calls over one connection."""

    def __init__(self, conn, disk_xml, target):
        self.conn = conn
        self.target = target
        self.xml = disk_xml
        self.dev = re.search(r"<target dev='([^']+)'", disk_xml).group(1)
        self.kind = "iscsi" if hasattr(target, "iqn") else "ceph"

    def attach(self, dom):
        sid = str(uuid.uuid4())
        usage = f"<target>floor-{sid}</target>" if self.kind == "iscsi" else f"<name>floor-{sid}</name>"
        secret = self.conn.secretDefineXML(
            f"<secret ephemeral='no' private='yes'><uuid>{sid}</uuid><description>floor</description>"
            f"<usage type='{self.kind}'>{usage}</usage></secret>")
        secret.setValue(secret_value(self.target))
        xml = re.sub(r"(<secret type='(?:iscsi|ceph)') (uuid|usage)='[^']+'", rf"\1 uuid='{sid}'", self.xml)
        s = time.perf_counter()
        dom.attachDeviceFlags(xml, LIVE_CONFIG)
        self.plug_ms = (time.perf_counter() - s) * 1000
        return secret

    def detach(self, dom, secret):
        s = time.perf_counter()
        dom.detachDeviceFlags(self.xml, LIVE_CONFIG)
        self.unplug_call_ms = (time.perf_counter() - s) * 1000
        while self.present(dom):
            time.sleep(0.002)
        self.unplug_ms = (time.perf_counter() - s) * 1000
        secret.undefine()

    def present(self, dom):
        needle = f"<target dev='{self.dev}'"
        return needle in dom.XMLDesc(0) or needle in dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)


def disk_xml(conn, dom_name, name):
    xml = conn.lookupByName(dom_name).XMLDesc(0)
    for disk in re.findall(r"<disk .*?</disk>", xml, re.S):
        if name in disk:
            disk = re.sub(r"\s*<alias name='[^']+'/>", "", disk)
            return re.sub(r"\s*<address type='drive'[^>]*/>", "", disk)
    raise RuntimeError(f"no disk of {name} in {dom_name}")


def steps(api):
    """Sum and count of each (metric, kind, step) series of the step histograms, from /q/metrics."""
    status, body = api.call("GET", "/q/metrics")
    out = {}
    for line in body.decode().splitlines():
        m = re.match(r'tether_(attach|detach)_step_seconds_(sum|count)\{([^}]*)\} ([0-9.eE+-]+)', line)
        if m:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(3)))
            key = (m.group(1), labels.get("kind", ""), labels.get("step", ""))
            out.setdefault(key, [0.0, 0.0])[0 if m.group(2) == "sum" else 1] = float(m.group(4))
    return out


def ms(values):
    return statistics.median(values)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cycles", type=int, default=20)
    ap.add_argument("--parallel", type=int, default=32)
    ap.add_argument("--warmup", type=int, default=100, help="cycles of each before the measured ones (a long-running agent is JIT-warm)")
    ap.add_argument("--rounds", type=int, default=3, help="repeats of the parallel measurement (median kept)")
    ap.add_argument("--port", type=int, default=18092)
    ap.add_argument("--jvm", default=bench.JVM_OPTS, help="JVM options, as the systemd unit passes them")
    ap.add_argument("--rbd", action="store_true", help="a cephx RBD image (keyring sent) instead of CHAP iSCSI")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="tether-bench-attach.", dir="/var/tmp")
    api = KeepAlive(args.port)
    agent, log = bench.start_agent(work, args.port, args.jvm)
    conn = libvirt.open("qemu:///system")
    targets, domains = [], []
    try:
        bench.await_ready(bench.Api(args.port), agent, log)
        n = args.parallel
        if args.rbd:
            ceph = os.path.join(work, "ceph")
            bench.run("bash", os.path.join(bench.ROOT, "lab", "ceph-cluster.sh"), "start", ceph, str(bench.CEPH_PORT))
            targets = [bench.RbdVolume(ceph) for _ in range(max(n, 2))]
        else:
            targets = [bench.Target(work) for _ in range(max(n, 2))]
        domains = [bench.make_domain(work, f"tether-floor-{i}-{uuid.uuid4().hex[:6]}") for i in range(max(n, 2))]
        one_name, t = domains[0], targets[0]
        one = conn.lookupByName(domains[1])  # the floor's twin

        bench.attach(api, one_name, t)
        floor = Floor(conn, disk_xml(conn, one_name, needle(t)), t)
        bench.detach(api, one_name, t)

        for _ in range(args.warmup):  # warm up the JIT, QEMU's iSCSI client and libvirtd
            bench.attach(api, one_name, t)
            bench.detach(api, one_name, t)
            floor.detach(one, floor.attach(one))

        before = steps(api)
        ta, td, fa, fd, fplug, funplug = [], [], [], [], [], []
        for _ in range(args.cycles):
            s = time.perf_counter()
            bench.attach(api, one_name, t)
            m = time.perf_counter()
            bench.detach(api, one_name, t)
            e = time.perf_counter()
            ta.append((m - s) * 1000)
            td.append((e - m) * 1000)
            s = time.perf_counter()
            secret = floor.attach(one)
            m = time.perf_counter()
            floor.detach(one, secret)
            e = time.perf_counter()
            fa.append((m - s) * 1000)
            fd.append((e - m) * 1000)
            fplug.append(floor.plug_ms)
            funplug.append((floor.unplug_call_ms, floor.unplug_ms))
        after = steps(api)

        # n attaches into n domains at once: Tether from n keep-alive clients, the floor from n threads on one
        # connection, each with its own target's disk XML
        floors = [Floor(conn, floor.xml.replace(needle(t), needle(tt)).replace(t.user, tt.user)
                        if hasattr(t, "user") else floor.xml.replace(needle(t), needle(tt)), tt) for tt in targets[:n]]
        doms = [conn.lookupByName(d) for d in domains]
        tp, fp = [], []
        with cf.ThreadPoolExecutor(max_workers=n) as pool:
            for _ in range(args.rounds):
                s = time.perf_counter()
                list(pool.map(lambda i: bench.attach(api, domains[i], targets[i]), range(n)))
                tp.append((time.perf_counter() - s) * 1000)
                list(pool.map(lambda i: bench.detach(api, domains[i], targets[i]), range(n)))
                s = time.perf_counter()
                secrets = list(pool.map(lambda i: floors[i].attach(doms[i]), range(n)))
                fp.append((time.perf_counter() - s) * 1000)
                list(pool.map(lambda i: floors[i].detach(doms[i], secrets[i]), range(n)))

        what = ("one-node Ceph on 127.0.0.1; qemu path (librbd), bus scsi, cephx (keyring sent: a secret per "
                "attachment) + iotune" if args.rbd else "tgtd on 127.0.0.1; qemu path, bus scsi, CHAP + iotune")
        print(f"machine: {os.cpu_count()} cores; QEMU TCG; {what}; agent JVM: {args.jvm}")
        print(f"p50 of {args.cycles} after {args.warmup} warm-up cycles each, twin domains, same target | attach | detach")
        print(f"libvirt floor, one connection             | {ms(fa):6.1f} ms | {ms(fd):6.1f} ms")
        print(f"Tether, keep-alive HTTP client            | {ms(ta):6.1f} ms | {ms(td):6.1f} ms")
        print(f"ratio (goal: attach <= 1.2x, detach <= 1.1x) | {ms(ta) / ms(fa):.2f}x | {ms(td) / ms(fd):.2f}x")
        print(f"floor's own steps (p50, ms): attachDeviceFlags {ms(fplug):.1f}; detachDeviceFlags returns after "
              f"{ms([u[0] for u in funplug]):.1f}, the disk gone from both definitions after {ms([u[1] for u in funplug]):.1f}")
        print(f"{n} attaches into {n} domains at once (median of {args.rounds}): floor {ms(fp):.0f} ms, "
              f"Tether {ms(tp):.0f} ms ({ms(tp) / ms(fp):.2f}x; goal <= 1.2x)")
        print(f"Tether's own steps, mean per call over the {args.cycles} cycles (ms; a dotted step is inside its parent):")
        for op in ("attach", "detach"):
            rows = []
            for key, (total, count) in sorted(after.items()):
                if key[0] != op:
                    continue
                was = before.get(key, [0.0, 0.0])
                calls = count - was[1]
                if calls > 0:
                    rows.append(f"{key[2]} {(total - was[0]) * 1000 / args.cycles:.1f}")
            print(f"  {op}: " + ", ".join(rows))
    finally:
        agent.terminate()
        agent.wait(timeout=30)
        for d in domains:
            bench.virsh("destroy", d, check=False)
            bench.virsh("undefine", d, check=False)
        for tt in targets:
            tt.close()
        conn.close()
        if os.path.isdir(os.path.join(work, "ceph")):
            bench.run("bash", os.path.join(bench.ROOT, "lab", "ceph-cluster.sh"), "stop", os.path.join(work, "ceph"),
                      check=False)
        import subprocess
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
