#!/usr/bin/python3
"""Side by side in the test-host VM: os-brick's ISCSIConnector (the library Nova uses) against Tether's
kernel path, on identical LIO targets that the agent under test exports.

Tether's cycle is PUT + DELETE of an attachment to a shut-off domain (scope CONFIG: the libvirt part is a
config edit, so the time is the host connect and disconnect); os-brick's cycle is connect_volume +
disconnect_volume. Both sequential (ROUNDS cycles) and with PARALLEL volumes at once. Prints JSON.
"""
import concurrent.futures as cf
import json
import os
import statistics
import sys
import time
import urllib.request
import uuid

os.environ.setdefault("OSLO_LOCK_PATH", "/run/osbrick-locks")
os.makedirs(os.environ["OSLO_LOCK_PATH"], exist_ok=True)
from os_brick import privileged  # noqa: E402
from os_brick.initiator import connector as brick  # noqa: E402

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


def ms(fn):
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


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

    def tether_cycle(v):
        call("PUT", f"/v1/instances/{DOMAIN}/volumes/{v[0]}",
             {"connection_info": v[1], "bus": "scsi", "attach_path": "kernel"})
        call("DELETE", f"/v1/instances/{DOMAIN}/volumes/{v[0]}", want=204)

    out = {}
    for name, cycle in (("os_brick", brick_cycle), ("tether", tether_cycle)):
        cycle(vols[0])  # warm-up
        seq = [ms(lambda: cycle(vols[0])) for _ in range(ROUNDS)]
        with cf.ThreadPoolExecutor(PARALLEL) as pool:
            wall = ms(lambda: list(pool.map(cycle, vols)))
        out[name] = {"p50_ms": round(statistics.median(seq), 1), "mean_ms": round(statistics.mean(seq), 1),
                     "max_ms": round(max(seq), 1), f"parallel_{PARALLEL}_wall_ms": round(wall, 1)}
    for vid, _ in vols:
        call("DELETE", f"/v1/volumes/{vid}/exports/{initiator}", want=204)
        call("DELETE", f"/v1/volumes/{vid}", want=204)
    b, t = out["os_brick"], out["tether"]
    out["speedup_sequential"] = round(b["p50_ms"] / t["p50_ms"], 2)
    out["speedup_parallel"] = round(b[f"parallel_{PARALLEL}_wall_ms"] / t[f"parallel_{PARALLEL}_wall_ms"], 2)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
