#!/usr/bin/env python3
"""Load test: 200 concurrent mixed requests for 60 s against one agent on loopback, then a leak check.

Workers (threads, each a keep-going client): attach/detach cycles of tgt volumes into running TCG domains on
the qemu path, live QoS changes on attached disks, storage create/export/unexport/delete cycles (file + tgt),
reads (attachments, connector, pool, volumes, reconciliation, health, metrics) and hostile requests that must
be 4xx. Any other answer is an error. Afterwards the agent must hold no attachment, volume or export it did not
hold before, no Tether secret or tgt target may be left, and its RSS, threads and open files are printed.
Run as root after `mvn package` (lab/load.sh does both).
"""
import argparse
import collections
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (Api, Target, make_domain, virsh, rss_mb, pct)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency = collections.defaultdict(list)
        self.errors = collections.Counter()
        self.samples = []

    def record(self, op, ms, ok, detail=""):
        with self.lock:
            self.latency[op].append(ms)
            if not ok:
                self.errors[op] += 1
                if len(self.samples) < 10:
                    self.samples.append(f"{op}: {detail[:200]}")


def timed_call(api, stats, op, method, path, body=None, want=(200,)):
    t = time.perf_counter()
    try:
        status, text = api.call(method, path, body)
    except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
        stats.record(op, (time.perf_counter() - t) * 1000, False, repr(e))
        return None, b""
    ok = status in want if isinstance(want, tuple) else want(status)
    stats.record(op, (time.perf_counter() - t) * 1000, ok, f"{status} {text[:200]!r}")
    return status, text


def attach_worker(api, stats, stop, dom, target):
    url = f"/v1/instances/{dom}/volumes/{target.volume}"
    while not stop.is_set():
        timed_call(api, stats, "attach", "PUT", url, target.body())
        for _ in range(2):
            timed_call(api, stats, "qos", "PUT", url + "/qos",
                       {"qos_specs": {"read_iops_sec": str(random.randint(100, 900)), "write_iops_sec": "500"}})
        timed_call(api, stats, "detach", "DELETE", url, want=(204,))


def storage_worker(api, stats, stop):
    connector = None
    while not stop.is_set():
        if connector is None:
            status, text = timed_call(api, stats, "connector", "GET", "/v1/connector")
            connector = bench.json.loads(text) if status == 200 else None
            continue
        vol = str(uuid.uuid4())
        timed_call(api, stats, "create", "POST", "/v1/volumes", {"id": vol, "size_gb": 1}, want=(201,))
        timed_call(api, stats, "export", "PUT", f"/v1/volumes/{vol}/exports/{bench.INITIATOR}", connector)
        timed_call(api, stats, "unexport", "DELETE", f"/v1/volumes/{vol}/exports/{bench.INITIATOR}", want=(204,))
        timed_call(api, stats, "delete", "DELETE", f"/v1/volumes/{vol}", want=(204,))


READS = ["/v1/attachments", "/v1/connector", "/v1/pool", "/v1/volumes", "/v1/reconciliation", "/q/health/ready",
         "/q/health/live", "/q/metrics", "/v1/instances"]
HOSTILE = [("PUT", "/v1/instances/d1/volumes/not-a-uuid", {}),
           ("PUT", "/v1/instances/%3Cx%3E/volumes/8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2", {}),
           ("POST", "/v1/volumes", {"id": "x", "size_gb": -1}),
           ("PUT", "/v1/instances/d1/volumes/8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2",
            {"connection_info": {"driver_volume_type": "iscsi", "data": {"target_portal": "1.2.3.4:3260;ls",
                                                                          "target_iqn": "iqn.x", "target_lun": 1}}}),
           ("POST", "/v1/instances", {"name": "a", "vcpus": 0, "memory_mb": 64})]


def read_worker(api, stats, stop):
    while not stop.is_set():
        if random.random() < 0.2:
            method, path, body = random.choice(HOSTILE)
            timed_call(api, stats, "hostile", method, path, body, want=lambda s: 400 <= s < 500)
        else:
            path = random.choice(READS)
            timed_call(api, stats, "read", "GET", path)


def count_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def count_threads(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(next(l.split()[1] for l in f if l.startswith("Threads:")))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--domains", type=int, default=12, help="attach/detach workers, one domain + volume each")
    ap.add_argument("--storage-workers", type=int, default=24)
    ap.add_argument("--port", type=int, default=18095)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="tether-load.", dir="/var/tmp")
    api = bench.Api(args.port)
    agent, log = bench.start_agent(work, args.port)
    targets, domains = [], []
    try:
        bench.await_ready(api, agent, log)
        targets = [bench.Target(work) for _ in range(args.domains)]
        domains = [bench.make_domain(work, f"tether-load-{i}-{uuid.uuid4().hex[:6]}") for i in range(args.domains)]
        secrets_before = bench.virsh("secret-list")
        rss_start, fds_start, threads_start = bench.rss_mb(agent.pid), count_fds(agent.pid), count_threads(agent.pid)

        stats, stop = Stats(), threading.Event()
        workers = [threading.Thread(target=attach_worker, args=(api, stats, stop, d, t))
                   for d, t in zip(domains, targets)]
        workers += [threading.Thread(target=storage_worker, args=(api, stats, stop))
                    for _ in range(args.storage_workers)]
        workers += [threading.Thread(target=read_worker, args=(api, stats, stop))
                    for _ in range(args.clients - len(workers))]
        began = time.perf_counter()
        for w in workers:
            w.start()
        time.sleep(args.seconds)
        stop.set()
        for w in workers:
            w.join(timeout=180)
        wall = time.perf_counter() - began

        leftovers = []
        status, text = api.call("GET", "/v1/attachments")
        if bench.json.loads(text):
            leftovers.append(f"attachments: {text[:300]!r}")
        status, text = api.call("GET", "/v1/volumes")
        if bench.json.loads(text):
            leftovers.append(f"volumes: {text[:300]!r}")
        if bench.virsh("secret-list") != secrets_before:
            leftovers.append("libvirt secrets differ from before the run")
        tgt = bench.run("tgtadm", "--lld", "iscsi", "--op", "show", "--mode", "target")
        ours = [l for l in tgt.splitlines() if "org.openstack:volume-" in l
                and not any(t.iqn in l for t in targets)]
        if ours:
            leftovers.append(f"tgt targets left: {ours[:3]}")
        for d in domains:
            if "<serial>" in bench.virsh("dumpxml", d):
                leftovers.append(f"disk left in {d}")

        total = sum(len(v) for v in stats.latency.values())
        errors = sum(stats.errors.values())
        print(f"load: {len(workers)} concurrent clients for {wall:.0f} s against one agent on loopback "
              f"({os.cpu_count()} cores, TCG domains, tgtd): {total} requests, {total / wall:.0f}/s, {errors} errors")
        for op in sorted(stats.latency):
            v = stats.latency[op]
            print(f"  {op:10} {len(v):7} requests  p50 {bench.pct(v, 50):8.1f} ms  p95 {bench.pct(v, 95):8.1f} ms"
                  f"  p99 {bench.pct(v, 99):8.1f} ms  errors {stats.errors[op]}")
        print(f"agent: RSS {rss_start:.0f} -> {bench.rss_mb(agent.pid):.0f} MB, threads {threads_start} -> "
              f"{count_threads(agent.pid)}, open files {fds_start} -> {count_fds(agent.pid)}")
        print("leaks: " + ("none" if not leftovers else "; ".join(leftovers)))
        for s in stats.samples:
            print("  error sample: " + s)
        sys.exit(1 if errors or leftovers else 0)
    finally:
        agent.terminate()
        agent.wait(timeout=30)
        for d in domains:
            bench.virsh("destroy", d, check=False)
            bench.virsh("undefine", d, check=False)
        for t in targets:
            t.close()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
