#!/usr/bin/env python3
"""Tether attach/detach benchmark on the qemu path, against real libvirtd + QEMU + tgtd on this host.

Prints: agent start-to-ready time and resident memory; attach and detach latency over CYCLES sequential
cycles (REST call until the disk is live / gone, p50 and p95); wall time of N parallel attaches for
N = 1, 8, 32, both into one domain and spread over N domains; storage mode (file backend + tgt): the
create + export + unexport + delete cycle over CYCLES volumes and 16 parallel creates; volumes from a 1 GiB
qcow2 image served over HTTP on loopback: the first (download, hash, inspect, convert), the next ones from
the image cache, against a blank volume of the same size. Run as root after lab/host-setup.sh and a
build (`bash lab/bench.sh` does both). Standard library only.
"""
import argparse
import concurrent.futures as cf
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

# the same options as systemd/tether-agent.service
JVM_OPTS = "-XX:+UseSerialGC -Xms32m -Xmx96m -XX:MaxMetaspaceSize=96m -Xss1m -XX:TieredStopAtLevel=1"
with open("/etc/iscsi/initiatorname.iscsi") as _f:
    INITIATOR = next(l.split("=", 1)[1].strip() for l in _f if l.startswith("InitiatorName="))
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*argv, check=True):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def virsh(*args, check=True):
    return run("virsh", "-c", "qemu:///system", *args, check=check)


class Api:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def call(self, method, path, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()


class Target:
    next_tid = 3000 + (os.getpid() % 1000) * 20

    def __init__(self, workdir):
        self.volume = str(uuid.uuid4())
        self.iqn = f"iqn.2010-10.org.openstack:volume-{self.volume}"
        self.tid = Target.next_tid
        Target.next_tid += 1
        self.file = os.path.join(workdir, f"{self.volume}.img")
        with open(self.file, "wb") as f:
            f.truncate(64 << 20)
        self.user = "b" + self.volume.replace("-", "")[:15]
        self.password = uuid.uuid4().hex[:16]
        t = ["tgtadm", "--lld", "iscsi"]
        run(*t, "--op", "new", "--mode", "target", "--tid", str(self.tid), "-T", self.iqn)
        run(*t, "--op", "new", "--mode", "logicalunit", "--tid", str(self.tid), "--lun", "1", "-b", self.file)
        run(*t, "--op", "bind", "--mode", "target", "--tid", str(self.tid), "--initiator-name", INITIATOR)
        run(*t, "--op", "new", "--mode", "account", "--user", self.user, "--password", self.password)
        run(*t, "--op", "bind", "--mode", "account", "--tid", str(self.tid), "--user", self.user)

    def body(self):
        return {"connection_info": {"driver_volume_type": "iscsi", "data": {
            "target_portal": "127.0.0.1:3260", "target_iqn": self.iqn, "target_lun": 1,
            "volume_id": self.volume, "auth_method": "CHAP", "auth_username": self.user,
            "auth_password": self.password, "qos_specs": {"total_iops_sec": "1000"}}},
            "bus": "scsi", "attach_path": "qemu"}

    def close(self):
        t = ["tgtadm", "--lld", "iscsi"]
        run(*t, "--op", "delete", "--mode", "target", "--tid", str(self.tid), "--force", check=False)
        run(*t, "--op", "delete", "--mode", "account", "--user", self.user, check=False)
        os.unlink(self.file)


class RbdVolume:
    """An RBD image on the bench's own single-node Ceph, attached with Cinder's RBD connection_info (keyring
    sent along, so the agent makes a libvirt secret per attachment: the costliest of the key sources)."""

    def __init__(self, ceph):
        self.volume = str(uuid.uuid4())
        self.ceph = ceph
        run("rbd", "-c", f"{ceph}/ceph.conf", "--id", "cinder", f"--keyring={ceph}/client.cinder.keyring",
            "create", "--size", "64", "--image-feature", "layering", f"volumes/volume-{self.volume}")
        with open(f"{ceph}/client.cinder.keyring") as f:
            self.keyring = f.read()

    def body(self):
        return {"connection_info": {"driver_volume_type": "rbd", "data": {
            "name": f"volumes/volume-{self.volume}", "hosts": ["127.0.0.1"], "ports": [str(CEPH_PORT)],
            "auth_enabled": True, "auth_username": "cinder", "secret_type": "ceph", "keyring": self.keyring,
            "volume_id": self.volume, "qos_specs": {"total_iops_sec": "1000"}}}, "bus": "scsi"}

    def close(self):
        pass  # the cluster goes with its directory


CEPH_PORT = 6796


def make_domain(workdir, name):
    xml = os.path.join(workdir, name + ".xml")
    with open(xml, "w") as f:
        f.write(f"""<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>
<devices><controller type='scsi' index='0' model='virtio-scsi'/></devices></domain>""")
    virsh("define", xml)
    virsh("start", name)
    return name


def start_agent(work, port, jvm=JVM_OPTS, extra=()):
    """The packaged agent in mode both (file backend, tgt, qemu path) on loopback, state under work."""
    jar = os.path.join(ROOT, "target", "quarkus-app", "quarkus-run.jar")
    log = open(os.path.join(work, "agent.log"), "w")
    agent = subprocess.Popen(["java", *jvm.split(), f"-Dtether.state-dir={work}/state",
                              "-Dtether.attach.default-path=qemu", "-Dtether.mode=both",
                              "-Dtether.storage.backend=file", f"-Dtether.storage.file.dir={work}/files",
                              "-Dtether.storage.target.driver=tgt", f"-Dtether.api.audit-file={work}/audit.jsonl",
                              "-Dtether.instances.virt-type=qemu", "-Dtether.api.allow-unauthenticated=true",
                              "-Dquarkus.http.host=127.0.0.1", "-Dtether.storage.images.url-hosts=127.0.0.1",
                              f"-Dtether.storage.images.scratch-dir={work}/scratch",
                              f"-Dquarkus.http.port={port}", *extra, "-jar", jar], stdout=log, stderr=subprocess.STDOUT)
    return agent, log


def xfs_pool(work):
    """A file pool on XFS (reflink) on a loop device, beside the default one on this host's filesystem."""
    img, mnt = os.path.join(work, "xfs.img"), os.path.join(work, "xfs")
    os.makedirs(mnt)
    with open(img, "wb") as f:
        f.truncate(8 << 30)
    run("mkfs.xfs", "-q", "-m", "reflink=1", img)
    run("mount", "-o", "loop", img, mnt)
    files = os.path.join(mnt, "files")
    return mnt, [f"-Dtether.storage.pools.default.backend=file", f"-Dtether.storage.pools.default.dir={work}/files",
                 "-Dtether.storage.pools.xfs.backend=file", f"-Dtether.storage.pools.xfs.dir={files}"]


def await_ready(api, agent, log):
    while True:
        try:
            if api.call("GET", "/q/health/ready")[0] == 200:
                return
        except (urllib.error.URLError, ConnectionError):
            pass
        if agent.poll() is not None:
            sys.exit("agent exited; see " + log.name)
        time.sleep(0.01)


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return -1


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def timed(fn):
    t = time.perf_counter()
    r = fn()
    return (time.perf_counter() - t) * 1000, r


def attach(api, dom, t):
    status, body = api.call("PUT", f"/v1/instances/{dom}/volumes/{t.volume}", t.body())
    if status != 200:
        raise RuntimeError(f"attach {t.volume} -> {status}: {body[:300]}")


def detach(api, dom, t):
    status, body = api.call("DELETE", f"/v1/instances/{dom}/volumes/{t.volume}")
    if status != 204:
        raise RuntimeError(f"detach {t.volume} -> {status}: {body[:300]}")


def parallel(api, pairs):
    with cf.ThreadPoolExecutor(max_workers=len(pairs)) as pool:
        start = time.perf_counter()
        list(pool.map(lambda p: attach(api, *p), pairs))
        wall = (time.perf_counter() - start) * 1000
        list(pool.map(lambda p: detach(api, *p), pairs))
    return wall


def storage_bench(api, cycles):
    """Cycle times of the storage API, and the wall time of 16 parallel creates."""
    connector = json.loads(api.call("GET", "/v1/connector")[1])
    initiator = connector["initiator"]

    def must(status_body, want):
        if status_body[0] != want:
            raise RuntimeError(f"expected {want}, got {status_body[0]}: {status_body[1][:300]}")

    def cycle():
        vid = str(uuid.uuid4())
        must(api.call("POST", "/v1/volumes", {"id": vid, "size_gb": 1}), 201)
        must(api.call("PUT", f"/v1/volumes/{vid}/exports/{initiator}", connector), 200)
        must(api.call("DELETE", f"/v1/volumes/{vid}/exports/{initiator}"), 204)
        must(api.call("DELETE", f"/v1/volumes/{vid}"), 204)

    for _ in range(5):
        cycle()
    times = [timed(cycle)[0] for _ in range(cycles)]
    ids = [str(uuid.uuid4()) for _ in range(16)]
    with cf.ThreadPoolExecutor(max_workers=16) as pool:
        start = time.perf_counter()
        list(pool.map(lambda i: must(api.call("POST", "/v1/volumes", {"id": i, "size_gb": 1}), 201), ids))
        wall = (time.perf_counter() - start) * 1000
        list(pool.map(lambda i: must(api.call("DELETE", f"/v1/volumes/{i}"), 204), ids))
    return times, wall


def await_operation(api, op, status):
    """Polls an asynchronous operation until it ends; it must end with this HTTP status."""
    while True:
        state = json.loads(api.call("GET", f"/v1/operations/{op}")[1])
        if state["state"] != "running":
            if state.get("status") != status:
                raise RuntimeError(f"operation {op} ended otherwise: {state}")
            return
        time.sleep(0.002)  # fine-grained, so the poll's own period is not what a quick operation measures


def image_bench(api, work, pool, repeats=5):
    """Seconds for the first volume from a 1 GiB qcow2 image, the cached ones, and blank 1 GiB volumes, in a pool."""
    import hashlib
    import http.server
    import threading
    images = os.path.join(work, "images-" + pool)
    os.makedirs(images)
    raw = os.path.join(images, "disk.raw")
    with open(raw, "wb") as f:  # 1 GiB of disk with 256 MiB of data, as a cloud image is mostly empty
        f.truncate(1 << 30)
        for at in range(0, 1 << 30, 16 << 20):
            f.seek(at)
            f.write(os.urandom(4 << 20))
    qcow2 = os.path.join(images, "disk.qcow2")
    run("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, qcow2)
    os.unlink(raw)
    sha = hashlib.sha256()
    with open(qcow2, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            sha.update(chunk)
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=images, **k)
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/disk.qcow2"

    def from_image():
        vid = str(uuid.uuid4())
        status, body = api.call("POST", "/v1/volumes", {"id": vid, "size_gb": 1, "pool": pool, "source": {"image": {
            "url": url, "disk_format": "qcow2", "sha256": sha.hexdigest()}}})
        if status != 202:
            raise RuntimeError(f"expected 202, got {status}: {body[:300]}")
        await_operation(api, json.loads(body)["id"], 201)
        return vid

    def blank():
        vid = str(uuid.uuid4())
        if api.call("POST", "/v1/volumes", {"id": vid, "size_gb": 1, "pool": pool})[0] != 201:
            raise RuntimeError("blank create failed")
        return vid

    def blank_async():
        """The same blank create as an asynchronous operation, the protocol a volume from an image always has."""
        vid = str(uuid.uuid4())
        status, body = api.call("POST", "/v1/volumes", {"id": vid, "size_gb": 1, "pool": pool},
                                {"Prefer": "respond-async"})
        if status != 202:
            raise RuntimeError(f"expected 202, got {status}")
        await_operation(api, json.loads(body)["id"], 201)
        return vid

    try:
        made = []
        first, vid = timed(from_image)
        made.append(vid)
        cached, blanks, blanks_async = [], [], []
        for _ in range(repeats):
            t, vid = timed(from_image)
            cached.append(t)
            made.append(vid)
            t, vid = timed(blank)
            blanks.append(t)
            made.append(vid)
            t, vid = timed(blank_async)
            blanks_async.append(t)
            made.append(vid)
        for vid in made:
            api.call("DELETE", f"/v1/volumes/{vid}")
        return os.path.getsize(qcow2), first, cached, blanks, blanks_async
    finally:
        server.shutdown()


def migrate_bench(work, port, jvm, read_back=True, repeats=3, data_mb=256):
    """Seconds to move a volume holding data_mb MiB of data (four times that in size, at least 1 GiB) between two
    file pools, and of dd of that data."""
    work = os.path.join(work, "migrate-" + ("checked" if read_back else "unchecked"))
    os.makedirs(work)
    pools = {name: os.path.join(work, "pool-" + name) for name in ("a", "b")}
    jar = os.path.join(ROOT, "target", "quarkus-app", "quarkus-run.jar")
    log = open(os.path.join(work, "agent-migrate.log"), "w")
    props = [f"-Dtether.storage.pools.{n}.{k}={v}" for n, d in pools.items() for k, v in (("backend", "file"), ("dir", d))]
    agent = subprocess.Popen(["java", *jvm.split(), f"-Dtether.state-dir={work}/state-migrate", "-Dtether.mode=storage",
                              *props, f"-Dtether.storage.copy-read-back={str(read_back).lower()}",
                              "-Dtether.storage.target.driver=tgt", "-Dtether.api.allow-unauthenticated=true",
                              f"-Dtether.api.audit-file={work}/audit-migrate.jsonl", "-Dquarkus.http.host=127.0.0.1",
                              f"-Dquarkus.http.port={port}", "-jar", jar], stdout=log, stderr=subprocess.STDOUT)
    api = Api(port)
    try:
        await_ready(api, agent, log)
        vid = str(uuid.uuid4())
        size_gb = max(1, data_mb * 4 // 1024)
        if api.call("POST", "/v1/volumes", {"id": vid, "size_gb": size_gb, "pool": "a"})[0] != 201:
            raise RuntimeError("create failed")
        src = os.path.join(pools["a"], "volume-" + vid)
        with open(src, "r+b") as f:  # the data at the start of the volume, the rest a hole
            for _ in range(data_mb // 4):
                f.write(os.urandom(4 << 20))
            os.fsync(f.fileno())
        moves, dds, reads = [], [], []
        where = "a"
        for i in range(repeats * 2):
            to = "b" if where == "a" else "a"

            def move():
                status, body = api.call("POST", f"/v1/volumes/{vid}/migrate", {"pool": to})
                if status != 202:
                    raise RuntimeError(f"migrate: {status} {body[:300]}")
                await_operation(api, json.loads(body)["id"], 200)

            moves.append(timed(move)[0])
            where = to
            here = os.path.join(pools[where], "volume-" + vid)
            out = os.path.join(work, "dd-out")
            # the floor: dd of the same 256 MiB, direct I/O both sides, flushed, as Cinder copies volumes
            dds.append(timed(lambda: run("dd", f"if={here}", f"of={out}", "bs=4M", f"count={data_mb // 4}", "iflag=direct",
                                         "oflag=direct", "conv=fsync", "status=none"))[0])
            os.unlink(out)
            # what a verified copy must add to dd: reading the data once more, from the device
            reads.append(timed(lambda: run("dd", f"if={here}", "of=/dev/null", "bs=4M", f"count={data_mb // 4}",
                                           "iflag=direct", "status=none"))[0])
        api.call("DELETE", f"/v1/volumes/{vid}")
        return moves, dds, reads
    finally:
        agent.terminate()
        agent.wait(timeout=30)


MIGRATE_MB = 1024


def print_migrate(migrate):
    for rb, (moves, dds, reads) in migrate.items():
        m, d, r = statistics.median(moves), statistics.median(dds), statistics.median(reads)
        how = "copy, read back and compare, swap" if rb else "copy, swap; copy-read-back=false"
        line = (f"move of a {MIGRATE_MB * 4 // 1024} GiB volume with {MIGRATE_MB} MiB of data between two file pools "
                f"({how}): p50 {m:.0f} ms = {MIGRATE_MB / (m / 1000):.0f} MiB/s of data; dd of the same data (direct, "
                f"fsync) p50 {d:.0f} ms = {MIGRATE_MB / (d / 1000):.0f} MiB/s; move = {d / m:.2f}x of dd's throughput")
        if rb:
            # a copy that proves itself reads the data twice; dd reads it once: its floor is dd + one more read
            line += (f"; dd + a direct read of the data (the floor of any copy that reads back) p50 {d + r:.0f} ms: "
                     f"move = {(d + r) / m:.2f}x of that floor, and that floor = {d / (d + r):.2f}x of dd")
        print(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cycles", type=int, default=50)
    ap.add_argument("--port", type=int, default=18090)
    ap.add_argument("--jvm", default=JVM_OPTS, help="JVM options, as the systemd unit passes them")
    ap.add_argument("--rounds", type=int, default=3, help="repeats of each parallel measurement (median kept)")
    ap.add_argument("--no-rbd", dest="rbd", action="store_false", help="skip the RBD figures (no Ceph started)")
    ap.add_argument("--only-migrate", action="store_true", help="only the move between pools against dd")
    args = ap.parse_args()
    if args.only_migrate:
        work = tempfile.mkdtemp(prefix="tether-bench.", dir="/var/tmp")
        try:
            print_migrate({rb: migrate_bench(work, args.port + 1, args.jvm, rb, data_mb=MIGRATE_MB)
                           for rb in (True, False)})
        finally:
            subprocess.run(["rm", "-rf", work])
        return

    work = tempfile.mkdtemp(prefix="tether-bench.", dir="/var/tmp")
    api = Api(args.port)
    started = time.perf_counter()
    xfs, pools = xfs_pool(work)
    agent, log = start_agent(work, args.port, args.jvm, pools)
    targets, domains = [], []
    try:
        await_ready(api, agent, log)
        ready_ms = (time.perf_counter() - started) * 1000
        rss_start = rss_mb(agent.pid)

        targets = [Target(work) for _ in range(32)]
        domains = [make_domain(work, f"tether-bench-{i}-{uuid.uuid4().hex[:6]}") for i in range(32)]
        one = domains[0]

        for t in targets[:10]:  # warm up the JIT and QEMU's iSCSI client
            attach(api, one, t)
            detach(api, one, t)

        attach_ms, detach_ms = [], []
        for i in range(args.cycles):
            t = targets[i % len(targets)]
            attach_ms.append(timed(lambda: attach(api, one, t))[0])
            detach_ms.append(timed(lambda: detach(api, one, t))[0])

        results = {}
        for n in (1, 8, 32):
            same = [parallel(api, [(one, t) for t in targets[:n]]) for _ in range(args.rounds)]
            spread = [parallel(api, list(zip(domains[:n], targets[:n]))) for _ in range(args.rounds)]
            results[n] = (statistics.median(same), statistics.median(spread))
        storage = storage_bench(api, args.cycles)
        image = {pool: image_bench(api, work, pool) for pool in ("default", "xfs")}
        migrate = {rb: migrate_bench(work, args.port + 1, args.jvm, rb, data_mb=MIGRATE_MB) for rb in (True, False)}
        rbd = None
        if args.rbd:
            ceph = os.path.join(work, "ceph")
            run("bash", os.path.join(ROOT, "lab", "ceph-cluster.sh"), "start", ceph, str(CEPH_PORT))
            vols = [RbdVolume(ceph) for _ in range(10)]
            for v in vols[:5]:  # warm up QEMU's librbd
                attach(api, one, v)
                detach(api, one, v)
            rbd_attach, rbd_detach = [], []
            for i in range(args.cycles):
                v = vols[i % len(vols)]
                rbd_attach.append(timed(lambda: attach(api, one, v))[0])
                rbd_detach.append(timed(lambda: detach(api, one, v))[0])
            rbd = (rbd_attach, rbd_detach)
        rss_end = rss_mb(agent.pid)

        print(f"machine: {os.cpu_count()} cores; QEMU TCG; tgtd on 127.0.0.1; qemu attach path, bus scsi, CHAP + iotune")
        print(f"agent start to ready: {ready_ms:.0f} ms; RSS after start {rss_start:.0f} MB, after the run {rss_end:.0f} MB")
        print(f"attach over {args.cycles} cycles: p50 {statistics.median(attach_ms):.1f} ms, p95 {pct(attach_ms, 95):.1f} ms")
        print(f"detach over {args.cycles} cycles: p50 {statistics.median(detach_ms):.1f} ms, p95 {pct(detach_ms, 95):.1f} ms")
        base_same, base_spread = results[1]
        for n, (same, spread) in results.items():
            print(f"{n:>2} parallel attaches: one domain {same:7.1f} ms ({same / base_same:4.1f}x of one), "
                  f"{n} domains {spread:7.1f} ms ({spread / base_spread:4.1f}x of one)")
        cyc, par = storage
        print(f"storage create+export+unexport+delete over {args.cycles} volumes (file + tgt): "
              f"p50 {statistics.median(cyc):.1f} ms, p95 {pct(cyc, 95):.1f} ms")
        print(f"16 parallel creates (1 GiB, file backend): {par:.1f} ms wall")
        for pool, fs in (("default", "ext4, no reflink"), ("xfs", "XFS on a loop device, reflink")):
            size, first, cached, blanks, blanks_async = image[pool]
            c, b, ba = statistics.median(cached), statistics.median(blanks), statistics.median(blanks_async)
            print(f"volume from a 1 GiB qcow2 image ({size / 2**20:.0f} MiB over HTTP on loopback, file pool on {fs}): "
                  f"first {first:.0f} ms (download + sha256 + inspect + qemu-img info + convert), "
                  f"from the cache p50 {c:.1f} ms ({first / c:.1f}x faster); blank 1 GiB p50 {b:.1f} ms "
                  f"(cached = {c / b:.1f}x), as an asynchronous operation p50 {ba:.1f} ms (cached = {c / ba:.1f}x)")
        print_migrate(migrate)
        if rbd:
            ra, rd = rbd
            print(f"RBD attach over {args.cycles} cycles (QEMU's librbd, single-node Ceph, keyring sent): "
                  f"p50 {statistics.median(ra):.1f} ms, p95 {pct(ra, 95):.1f} ms "
                  f"({statistics.median(ra) / statistics.median(attach_ms):.2f}x of iSCSI)")
            print(f"RBD detach over {args.cycles} cycles: p50 {statistics.median(rd):.1f} ms, p95 {pct(rd, 95):.1f} ms "
                  f"({statistics.median(rd) / statistics.median(detach_ms):.2f}x of iSCSI)")
    finally:
        agent.terminate()
        agent.wait(timeout=30)
        for d in domains:
            virsh("destroy", d, check=False)
            virsh("undefine", d, check=False)
        for t in targets:
            t.close()
        run("umount", xfs, check=False)
        if os.path.isdir(os.path.join(work, "ceph")):
            run("bash", os.path.join(ROOT, "lab", "ceph-cluster.sh"), "stop", os.path.join(work, "ceph"), check=False)
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
