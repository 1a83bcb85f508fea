#!/usr/bin/env python3
"""Storage exports under concurrency inside the test-host VM, for one target driver (issue 19): WORKERS clients,
each with an LVM thin volume of its own made before the clock starts (LVM's own serialisation would otherwise
be all that is measured: 16 concurrent lvcreate under TCG queue for ~35 s), loop export to an initiator of their
own -> unexport for SECONDS against the agent on 127.0.0.1:8080; then the volumes are deleted and nothing may be
left (no volume of theirs in the agent, no target in LIO's configfs or tgtd). Prints JSON: per-operation
p50/p95/p99/max in ms, cycles, errors, leaks.
Usage: target_load.py DRIVER SECONDS WORKERS   (DRIVER: lio or tgt, only for the leak check; the agent's
configured driver is what is measured)
"""
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

API = "http://127.0.0.1:8080"
DRIVER, SECONDS, WORKERS = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])


def call(method, path, body=None):
    req = urllib.request.Request(API + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


latency = {op: [] for op in ("create", "export", "unexport", "delete")}
errors, samples, made = [], [], []
lock = threading.Lock()


def timed(op, method, path, body, want):
    t = time.perf_counter()
    status, text = call(method, path, body)
    ms = (time.perf_counter() - t) * 1000
    with lock:
        latency[op].append(ms)
        if status != want:
            errors.append(op)
            if len(samples) < 5:
                samples.append(f"{op}: {status} {text[:200]!r}")
    return status == want


def worker(n, vid, connector, stop):
    initiator = f"iqn.2026-12.org.tether.load:worker{n}"
    body = dict(connector, initiator=initiator)
    while not stop.is_set():
        if timed("export", "PUT", f"/v1/volumes/{vid}/exports/{initiator}", body, 200):
            timed("unexport", "DELETE", f"/v1/volumes/{vid}/exports/{initiator}", None, 204)


def live_targets():
    if DRIVER == "tgt":
        r = subprocess.run(["tgtadm", "--lld", "iscsi", "--op", "show", "--mode", "target"], capture_output=True,
                           text=True, timeout=60)
        return r.stdout
    base = "/sys/kernel/config/target/iscsi"
    return "\n".join(os.listdir(base)) if os.path.isdir(base) else ""


def main():
    status, text = call("GET", "/v1/connector")
    connector = json.loads(text)
    for _ in range(WORKERS):
        vid = str(uuid.uuid4())
        made.append(vid)
        timed("create", "POST", "/v1/volumes", {"id": vid, "size_gb": 1, "thin": True}, 201)
    stop = threading.Event()
    threads = [threading.Thread(target=worker, args=(n, vid, connector, stop)) for n, vid in enumerate(made)]
    start = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(SECONDS)
    stop.set()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    for vid in made:
        timed("delete", "DELETE", f"/v1/volumes/{vid}", None, 204)
    volumes = call("GET", "/v1/volumes")[1].decode()
    targets = live_targets()
    left = [v for v in made if v in volumes]
    leaked = [v for v in made if v in targets]
    out = {"driver": DRIVER, "workers": WORKERS, "seconds": round(wall, 1),
           "cycles": len(latency["unexport"]), "errors": len(errors), "error_samples": samples,
           "volumes_left": len(left), "targets_left": len(leaked)}
    for op, values in latency.items():
        if values:
            out[op] = {"n": len(values), "p50_ms": round(statistics.median(values)), "p95_ms": round(pct(values, 95)),
                       "p99_ms": round(pct(values, 99)), "max_ms": round(max(values))}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
