#!/usr/bin/env python3
"""How Tether's costs grow with the host's load, each against its raw floor in the same run (issue 19).

Compute (qemu path over tgt, the packaged agent): the host is filled to N attachments spread over D running
domains; at each N: attach + detach of one more volume (p50/p95), GET /v1/attachments (p50), one reconciliation
pass (p50), the agent's RSS and threads; the floor: `virsh attach-device` + `detach-device` of an iSCSI disk
into the same domain at the same N. Start-up: start to ready with the largest N's real journal, and with a
synthetic journal of settled records. Storage (file backend + tgt): M volumes with up to 250 exported; at each
M: create + export + unexport + delete (p50), GET /v1/volumes, GET /v1/pools; the floor: tgtadm target create +
delete at the same M. Parallel: 32 attaches (and detaches) into 32 domains at once, their wall time against 32
`virsh attach-device` (detach-device) calls at once into the same domains.

Writes scale.csv (and scale.png with gnuplot when it is installed) in the output directory, prints the table.
Run as root after lab/host-setup.sh and a package build (lab/scale.sh does both).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the helpers: Api, Target, make_domain, start_agent, timed, pct, ...)

INITIATOR = bench.INITIATOR


class PlainTarget:
    """A tgt target without CHAP for the floor: the same LUN shape, a disk XML libvirt attaches by itself."""

    def __init__(self, workdir):
        self.volume = str(uuid.uuid4())
        self.iqn = f"iqn.2010-10.org.example:floor-{self.volume}"
        self.tid = bench.Target.next_tid
        bench.Target.next_tid += 1
        self.file = os.path.join(workdir, f"floor-{self.volume}.img")
        with open(self.file, "wb") as f:
            f.truncate(64 << 20)
        t = ["tgtadm", "--lld", "iscsi"]
        bench.run(*t, "--op", "new", "--mode", "target", "--tid", str(self.tid), "-T", self.iqn)
        bench.run(*t, "--op", "new", "--mode", "logicalunit", "--tid", str(self.tid), "--lun", "1", "-b", self.file)
        bench.run(*t, "--op", "bind", "--mode", "target", "--tid", str(self.tid), "--initiator-name", INITIATOR)

    def xml(self, workdir, dev):
        path = os.path.join(workdir, f"floor-{self.volume}.xml")
        with open(path, "w") as f:
            f.write(f"""<disk type='network' device='disk'><driver name='qemu' type='raw' cache='none'/>
<source protocol='iscsi' name='{self.iqn}/1'><host name='127.0.0.1' port='3260'/>
<initiator><iqn name='{INITIATOR}'/></initiator></source><target dev='{dev}' bus='scsi'/>
<serial>{self.volume}</serial></disk>""")
        return path

    def close(self):
        bench.run("tgtadm", "--lld", "iscsi", "--op", "delete", "--mode", "target", "--tid", str(self.tid), "--force",
                  check=False)
        os.unlink(self.file)


def next_free_dev(domain):
    """The first sd name the domain does not use, in the order Tether picks them (sda..sdz, sdaa..)."""
    used = set()
    for line in bench.virsh("domblklist", domain).splitlines()[2:]:
        if line.split():
            used.add(line.split()[0])
    letters = "abcdefghijklmnopqrstuvwxyz"
    names = [f"sd{a}" for a in letters] + [f"sd{a}{b}" for a in letters for b in letters]
    return next(n for n in names if n not in used)


def threads(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return -1


def p50(values):
    return statistics.median(values)


def stop_and_clean(agent, domains, targets):
    """The agent stopped, the run's domains destroyed and undefined, its targets removed."""
    agent.terminate()
    agent.wait(timeout=60)
    for d in domains:
        bench.virsh("destroy", d, check=False)
        bench.virsh("undefine", d, check=False)
    for t in targets:
        t.close()


def compute(work, port, jvm, steps, domains_n, cycles):
    files = os.path.join(work, "targets")
    os.makedirs(files)
    agent, log = bench.start_agent(work, port, jvm, extra=("-Dtether.reconcile.interval=0s",))
    api = bench.Api(port)
    rows, targets, attached, domains = [], [], [], []
    try:
        bench.await_ready(api, agent, log)
        domains = [bench.make_domain(work, f"tether-scale-{i}-{uuid.uuid4().hex[:6]}") for i in range(domains_n)]
        probe, floor = bench.Target(files), PlainTarget(files)
        targets += [probe]
        for _ in range(3):  # warm up the JIT, QEMU's iSCSI client, libvirt
            bench.attach(api, domains[0], probe)
            bench.detach(api, domains[0], probe)
        for n in steps:
            while len(attached) < n:
                t = bench.Target(files)
                targets.append(t)
                dom = domains[len(attached) % len(domains)]
                bench.attach(api, dom, t)
                attached.append((dom, t))
            ad = []
            for _ in range(cycles):
                a, _ = bench.timed(lambda: bench.attach(api, domains[0], probe))
                d, _ = bench.timed(lambda: bench.detach(api, domains[0], probe))
                ad.append(a + d)
            lists = [bench.timed(lambda: api.call("GET", "/v1/attachments"))[0] for _ in range(cycles)]
            passes = []
            for _ in range(3):
                ms, (status, body) = bench.timed(lambda: api.call("POST", "/v1/reconciliation", {}))
                if status != 200:
                    raise RuntimeError(f"reconciliation -> {status}: {body[:300]}")
                passes.append(ms)
            xml = floor.xml(work, next_free_dev(domains[0]))
            raw = []
            for _ in range(cycles):
                a, _ = bench.timed(lambda: bench.virsh("attach-device", domains[0], xml, "--live"))
                d, _ = bench.timed(lambda: bench.virsh("detach-device", domains[0], xml, "--live"))
                raw.append(a + d)
            row = {"part": "compute", "n": n, "attach_detach_p50_ms": p50(ad), "attach_detach_p95_ms": bench.pct(ad, 95),
                   "list_p50_ms": p50(lists), "reconcile_p50_ms": p50(passes), "rss_mb": bench.rss_mb(agent.pid),
                   "threads": threads(agent.pid), "floor_attach_detach_p50_ms": p50(raw)}
            rows.append(row)
            print(json.dumps(row), flush=True)
        # one real record, the template of the synthetic journal
        journal = os.path.join(work, "state", "attachments")
        real = sorted(f for f in os.listdir(journal) if f.endswith(".json"))
        if real:
            shutil.copy(os.path.join(journal, real[0]), os.path.join(work, "template.json"))
        # start to ready with the largest N's journal (real attachments: the first pass does real work)
        agent.terminate()
        agent.wait(timeout=60)
        started = time.perf_counter()
        agent, log = bench.start_agent(work, port, jvm, extra=("-Dtether.reconcile.interval=0s",))
        bench.await_ready(api, agent, log)
        rows.append({"part": "start", "n": len(attached), "ready_ms": (time.perf_counter() - started) * 1000,
                     "rss_mb": bench.rss_mb(agent.pid), "threads": threads(agent.pid)})
        print(json.dumps(rows[-1]), flush=True)
        for dom, t in attached:
            bench.detach(api, dom, t)
        floor.close()
    finally:
        stop_and_clean(agent, domains, targets)
    return rows


def chap_secret(work, t):
    """A libvirt iSCSI secret holding the target's CHAP password, as Tether defines one for its attach."""
    u = str(uuid.uuid4())
    path = os.path.join(work, f"secret-{u}.xml")
    with open(path, "w") as f:
        f.write(f"<secret ephemeral='no' private='yes'><uuid>{u}</uuid><usage type='iscsi'>"
                f"<target>floor-{u}</target></usage></secret>")
    bench.virsh("secret-define", path)
    import base64
    bench.virsh("secret-set-value", u, base64.b64encode(t.password.encode()).decode())
    return u


def chap_xml(work, t, secret, dev):
    path = os.path.join(work, f"floor-chap-{t.volume}.xml")
    with open(path, "w") as f:
        f.write(f"""<disk type='network' device='disk'><driver name='qemu' type='raw' cache='none'/>
<auth username='{t.user}'><secret type='iscsi' uuid='{secret}'/></auth>
<source protocol='iscsi' name='{t.iqn}/1'><host name='127.0.0.1' port='3260'/>
<initiator><iqn name='{INITIATOR}'/></initiator></source><target dev='{dev}' bus='scsi'/>
<serial>floor-{t.volume}</serial></disk>""")
    return path


def parallel_attach(work, port, jvm, domains_n, rounds):
    """Attaches into many domains at once: Tether's wall time for all of them against `virsh attach-device`
    of the same kind of disk into the same domains, all at once too (and the same for detaches)."""
    import concurrent.futures as cf
    files = os.path.join(work, "parallel-targets")
    os.makedirs(files)
    agent, log = bench.start_agent(work, port, jvm, extra=("-Dtether.reconcile.interval=0s",
                                                           f"-Dtether.state-dir={work}/state-parallel"))
    api = bench.Api(port)
    domains, targets, floors, secrets = [], [], [], []
    try:
        bench.await_ready(api, agent, log)
        domains = [bench.make_domain(work, f"tether-par-{i}-{uuid.uuid4().hex[:6]}") for i in range(domains_n)]
        targets = [bench.Target(files) for _ in domains]
        floors = [PlainTarget(files) for _ in domains]
        pairs = list(zip(domains, targets))
        xmls = [f.xml(work, "sdz") for f in floors]
        # the same disk as Tether's (the same CHAP targets), its libvirt secrets defined beforehand: what libvirt
        # and QEMU alone cost for it; Tether's own secret handling, journal and HTTP are what it adds
        secrets = [chap_secret(work, t) for t in targets]
        chap_xmls = [chap_xml(work, t, uuid_, "sdy") for t, uuid_ in zip(targets, secrets)]

        def wall(fn, items):
            with cf.ThreadPoolExecutor(max_workers=len(items)) as pool:
                started = time.perf_counter()
                list(pool.map(fn, items))
                return (time.perf_counter() - started) * 1000

        bench.parallel(api, pairs)  # warm up
        t_att, t_det, f_att, f_det, c_att, c_det = [], [], [], [], [], []
        for _ in range(rounds):
            t_att.append(wall(lambda p: bench.attach(api, *p), pairs))
            t_det.append(wall(lambda p: bench.detach(api, *p), pairs))
            f_att.append(wall(lambda i: bench.virsh("attach-device", domains[i], xmls[i], "--live"),
                              range(len(domains))))
            f_det.append(wall(lambda i: bench.virsh("detach-device", domains[i], xmls[i], "--live"),
                              range(len(domains))))
            c_att.append(wall(lambda i: bench.virsh("attach-device", domains[i], chap_xmls[i], "--live"),
                              range(len(domains))))
            c_det.append(wall(lambda i: bench.virsh("detach-device", domains[i], chap_xmls[i], "--live"),
                              range(len(domains))))
        row = {"part": "parallel", "n": domains_n, "parallel_attach_p50_ms": p50(t_att),
               "parallel_detach_p50_ms": p50(t_det), "floor_parallel_attach_p50_ms": p50(f_att),
               "floor_parallel_detach_p50_ms": p50(f_det), "floor_chap_parallel_attach_p50_ms": p50(c_att),
               "floor_chap_parallel_detach_p50_ms": p50(c_det), "rss_mb": bench.rss_mb(agent.pid),
               "threads": threads(agent.pid)}
        print(json.dumps(row), flush=True)
        return [row]
    finally:
        stop_and_clean(agent, domains, targets + floors)
        for u in secrets:
            bench.virsh("secret-undefine", u, check=False)


def synthetic_start(work, port, jvm, records):
    """Start to ready over a journal of settled attachments in domains that are gone (each is drift the first
    pass reports): the cost of reading, indexing and checking the records."""
    state = os.path.join(work, "state-synthetic")
    journal = os.path.join(state, "attachments")
    os.makedirs(journal)
    template_file = os.path.join(work, "template.json")
    if not os.path.exists(template_file):
        raise RuntimeError("the synthetic journal is made from a real record: run the compute part first")
    with open(template_file) as f:
        template = f.read()
    rec = json.loads(template)
    old_vol, old_dom = rec["volume_id"], rec["domain"]
    for i in range(records):
        vol, dom = str(uuid.uuid4()), f"synthetic-{i % 50:02d}"
        with open(os.path.join(journal, f"{vol}@{dom}.json"), "w") as f:
            f.write(template.replace(old_vol, vol).replace(old_dom, dom))
    started = time.perf_counter()
    agent, log = bench.start_agent(work, port, jvm, extra=(f"-Dtether.state-dir={state}",
                                                           "-Dtether.reconcile.interval=0s"))
    api = bench.Api(port)
    try:
        bench.await_ready(api, agent, log)
        ready = (time.perf_counter() - started) * 1000
        status, body = api.call("GET", "/v1/attachments")
        listed = len(json.loads(body)) if status == 200 else -1
        row = {"part": "start-synthetic", "n": records, "ready_ms": ready, "rss_mb": bench.rss_mb(agent.pid),
               "threads": threads(agent.pid), "listed": listed}
        print(json.dumps(row), flush=True)
        return [row]
    finally:
        agent.terminate()
        agent.wait(timeout=60)


def storage(work, port, jvm, steps, exported_max, cycles):
    agent, log = bench.start_agent(work, port, jvm, extra=(f"-Dtether.state-dir={work}/state-storage",
                                                           f"-Dtether.storage.file.dir={work}/files-storage",
                                                           "-Dtether.mode=storage"))
    api = bench.Api(port)
    rows, made, exported = [], [], []
    files = os.path.join(work, "floor-targets")
    os.makedirs(files)
    try:
        bench.await_ready(api, agent, log)
        connector = {"initiator": INITIATOR, "ip": "127.0.0.1", "host": "scale", "multipath": False}

        def one():
            vid = str(uuid.uuid4())
            assert api.call("POST", "/v1/volumes", {"id": vid, "size_gb": 1})[0] == 201
            assert api.call("PUT", f"/v1/volumes/{vid}/exports/{INITIATOR}", connector)[0] == 200
            assert api.call("DELETE", f"/v1/volumes/{vid}/exports/{INITIATOR}")[0] == 204
            assert api.call("DELETE", f"/v1/volumes/{vid}")[0] == 204

        for _ in range(5):  # warm up the JIT and tgtd
            one()
        for m in steps:
            while len(made) < m:
                vid = str(uuid.uuid4())
                if api.call("POST", "/v1/volumes", {"id": vid, "size_gb": 1})[0] != 201:
                    raise RuntimeError("create failed")
                made.append(vid)
                if len(exported) < exported_max:
                    s, b = api.call("PUT", f"/v1/volumes/{vid}/exports/{INITIATOR}", connector)
                    if s != 200:
                        raise RuntimeError(f"export -> {s}: {b[:200]}")
                    exported.append(vid)
            cyc = [bench.timed(one)[0] for _ in range(cycles)]
            vols = [bench.timed(lambda: api.call("GET", "/v1/volumes"))[0] for _ in range(cycles)]
            pools = [bench.timed(lambda: api.call("GET", "/v1/pools"))[0] for _ in range(cycles)]
            raw = []
            for _ in range(cycles):
                def tgt():
                    t = PlainTarget(files)
                    t.close()
                raw.append(bench.timed(tgt)[0])
            row = {"part": "storage", "n": m, "cycle_p50_ms": p50(cyc), "volumes_list_p50_ms": p50(vols),
                   "pools_p50_ms": p50(pools), "floor_tgt_create_delete_p50_ms": p50(raw),
                   "rss_mb": bench.rss_mb(agent.pid), "threads": threads(agent.pid)}
            rows.append(row)
            print(json.dumps(row), flush=True)
        agent.terminate()
        agent.wait(timeout=60)
        started = time.perf_counter()
        agent, log = bench.start_agent(work, port, jvm, extra=(f"-Dtether.state-dir={work}/state-storage",
                                                               f"-Dtether.storage.file.dir={work}/files-storage",
                                                               "-Dtether.mode=storage"))
        bench.await_ready(api, agent, log)
        rows.append({"part": "start-storage", "n": len(made), "ready_ms": (time.perf_counter() - started) * 1000,
                     "rss_mb": bench.rss_mb(agent.pid), "threads": threads(agent.pid)})
        print(json.dumps(rows[-1]), flush=True)
        for vid in exported:
            api.call("DELETE", f"/v1/volumes/{vid}/exports/{INITIATOR}")
        for vid in made:
            api.call("DELETE", f"/v1/volumes/{vid}")
    finally:
        agent.terminate()
        agent.wait(timeout=60)
    return rows


def write(out, rows):
    keys = sorted({k for r in rows for k in r})
    with open(os.path.join(out, "scale.csv"), "w") as f:
        f.write(",".join(keys) + "\n")
        for r in rows:
            f.write(",".join(str(r.get(k, "")) for k in keys) + "\n")
    comp = [r for r in rows if r["part"] == "compute"]
    if comp and shutil.which("gnuplot"):
        dat = os.path.join(out, "compute.dat")
        with open(dat, "w") as f:
            for r in comp:
                f.write(f"{r['n']} {r['attach_detach_p50_ms']} {r['floor_attach_detach_p50_ms']} "
                        f"{r['reconcile_p50_ms']} {r['list_p50_ms']}\n")
        subprocess.run(["gnuplot", "-e", f"""set terminal png size 900,500; set output '{out}/scale.png';
set xlabel 'attachments on the host'; set ylabel 'ms'; set key left top;
plot '{dat}' using 1:2 with linespoints title 'Tether attach+detach p50',
     '{dat}' using 1:3 with linespoints title 'virsh attach+detach p50 (floor)',
     '{dat}' using 1:4 with linespoints title 'reconciliation pass p50',
     '{dat}' using 1:5 with linespoints title 'GET /v1/attachments p50'"""], check=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(bench.ROOT, "target", "scale"))
    ap.add_argument("--port", type=int, default=18130)
    ap.add_argument("--jvm", default=bench.JVM_OPTS)
    ap.add_argument("--steps", default="0,25,100,250", help="attachments at each compute step")
    ap.add_argument("--domains", type=int, default=10)
    ap.add_argument("--storage-steps", default="0,250,1000")
    ap.add_argument("--exported", type=int, default=250)
    ap.add_argument("--synthetic", type=int, default=5000)
    ap.add_argument("--cycles", type=int, default=10)
    ap.add_argument("--parallel", type=int, default=32, help="domains attached into all at once")
    ap.add_argument("--rounds", type=int, default=5, help="rounds of the parallel attach")
    ap.add_argument("--only", choices=("compute", "storage", "start", "parallel"), default=None)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="tether-scale.", dir="/var/tmp")
    rows = []
    try:
        if args.only in (None, "compute"):
            rows += compute(work, args.port, args.jvm, [int(x) for x in args.steps.split(",")], args.domains,
                            args.cycles)
        if args.only == "start":
            compute(work, args.port, args.jvm, [1], 1, 1)
        if args.only in (None, "start"):
            rows += synthetic_start(work, args.port, args.jvm, args.synthetic)
        if args.only in (None, "parallel"):
            rows += parallel_attach(work, args.port, args.jvm, args.parallel, args.rounds)
        if args.only in (None, "storage"):
            rows += storage(work, args.port, args.jvm, [int(x) for x in args.storage_steps.split(",")],
                            args.exported, args.cycles)
    finally:
        write(args.out, rows)
        subprocess.run(["rm", "-rf", work])
    print(f"wrote {args.out}/scale.csv" + (" and scale.png" if os.path.exists(f"{args.out}/scale.png") else ""))


if __name__ == "__main__":
    main()
