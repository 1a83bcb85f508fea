#!/usr/bin/env python3
"""Soak with faults: the load test's mix of clients against one packaged agent (mode both: file volumes
exported by the agent over tgt, attached on the qemu path into running TCG domains), and every --every seconds
one fault, in turn: libvirtd killed and started again, tgtd killed and started again, the agent killed -9 and
started again by this script (as systemd would), the state directory filled to ENOSPC for 30 s.

Errors during a fault may be 503s with Retry-After (or a refused connection while the agent itself restarts);
any other 5xx is a failure. At the end every attachment the clients believe they hold must be attached and
readable through QEMU, and nothing may be left behind (disks, libvirt secrets, tgt targets, records).
Bounded: stops by itself after --minutes (default 20). Run as root after `mvn package` (lab/soak.sh).
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
import bench  # noqa: E402

FAULTS = ["libvirtd", "tgtd", "agent", "enospc"]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.codes = collections.Counter()
        self.bad = collections.Counter()
        self.samples = []
        self.requests = 0

    def record(self, op, status, body, retry_after):
        with self.lock:
            self.requests += 1
            self.codes[f"{op} {status}"] += 1
            # a readiness probe answers 503 by design while a dependency is away
            retryable = status == 503 and (retry_after or op == "health") or status == "refused"
            if isinstance(status, int) and status >= 500 and not retryable:
                self.bad[op] += 1
                if sum(1 for x in self.samples if x.startswith(op + " ")) < 4:
                    self.samples.append(f"{op} {status}: {body[:300]!r}")


class Api(bench.Api):
    def call3(self, method, path, body=None):
        data = bench.json.dumps(body).encode() if body is not None else None
        req = bench.urllib.request.Request(self.base + path, data=data, method=method,
                                           headers={"Content-Type": "application/json"})
        try:
            with bench.urllib.request.urlopen(req, timeout=120) as r:
                return r.status, r.read(), r.headers.get("Retry-After")
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers.get("Retry-After")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return "refused", b"", None


def call(api, stats, op, method, path, body=None):
    status, text, retry = api.call3(method, path, body)
    stats.record(op, status, text, retry)
    return status, text


class Volume:
    """A volume the agent itself made and exported to this host; a client attaches it to its own domain."""

    def __init__(self, api, stats, dom):
        self.id, self.dom, self.attached, self.info = str(uuid.uuid4()), dom, False, None
        self.api, self.stats = api, stats

    def prepare(self, connector):
        while True:
            s, _ = call(self.api, self.stats, "create", "POST", "/v1/volumes", {"id": self.id, "size_gb": 1})
            if s in (201, 200, 409):
                break
            time.sleep(1)
        while self.info is None:
            s, text = call(self.api, self.stats, "export", "PUT",
                           f"/v1/volumes/{self.id}/exports/{bench.INITIATOR}", connector)
            if s == 200:
                self.info = bench.json.loads(text)
            else:
                time.sleep(1)

    def url(self):
        return f"/v1/instances/{self.dom}/volumes/{self.id}"


def resync(api, vol):
    """After an answer lost in a fault (the agent killed mid-call, a 409 for an earlier lost answer), ask the
    agent what it holds, as a controller that lost an answer does; until it answers, keep asking."""
    for _ in range(120):
        try:
            s, text = api.call("GET", "/v1/attachments")
        except Exception:
            s = None
        if s == 200:
            vol.attached = any(a.get("volume_id") == vol.id and a.get("domain") == vol.dom
                               and a.get("state") == "attached" for a in bench.json.loads(text or b"[]"))
            return
        time.sleep(1)


def client(api, stats, stop, vol):
    while not stop.is_set():
        if not vol.attached:
            s, _ = call(api, stats, "attach", "PUT", vol.url(),
                        {"connection_info": vol.info, "bus": "scsi", "attach_path": "qemu"})
            vol.attached = s == 200
            if s not in (200, 503) and not (isinstance(s, int) and 400 <= s < 409):
                resync(api, vol)  # 409, or no answer at all: the agent may hold it
        else:
            call(api, stats, "qos", "PUT", vol.url() + "/qos",
                 {"qos_specs": {"total_iops_sec": str(random.randint(200, 900))}})
            if random.random() < 0.4:
                s, _ = call(api, stats, "detach", "DELETE", vol.url())
                if s == 204:
                    vol.attached = False
                else:
                    resync(api, vol)  # no answer, or 503: the agent may have got part-way and finishes it
        time.sleep(random.uniform(0.05, 0.3))


def storage_client(api, stats, stop, connector):
    while not stop.is_set():
        v = str(uuid.uuid4())
        created = call(api, stats, "create", "POST", "/v1/volumes", {"id": v, "size_gb": 1})[0]
        if created == 201:
            call(api, stats, "export", "PUT", f"/v1/volumes/{v}/exports/{bench.INITIATOR}", connector)
        if created in (201, "refused") or (isinstance(created, int) and created >= 500):
            # a create (or export) whose answer was lost may have happened: take both back, as a controller would
            for _ in range(60):  # an export the client asked for is taken back, whatever the fault
                if call(api, stats, "unexport", "DELETE",
                        f"/v1/volumes/{v}/exports/{bench.INITIATOR}")[0] in (204, 404) or stop.is_set():
                    break
                time.sleep(1)
            for _ in range(60):  # a volume the client made must go, whatever the fault
                if call(api, stats, "delete", "DELETE", f"/v1/volumes/{v}")[0] in (204, 404) or stop.is_set():
                    break
                time.sleep(1)


def reader(api, stats, stop):
    while not stop.is_set():
        path = random.choice(["/v1/attachments", "/v1/volumes", "/v1/connector", "/q/health/ready", "/v1/pool"])
        call(api, stats, "health" if path.startswith("/q/") else "read", "GET", path)
        time.sleep(0.05)


def wait_ready(api, limit=180):
    t0 = time.time()
    while time.time() - t0 < limit:
        s, _, _ = api.call3("GET", "/q/health/ready")
        if s == 200:
            return time.time() - t0
        time.sleep(0.2)
    return None


def start_tgtd():
    for _ in range(50):
        subprocess.run(["tgtd", "--iscsi", "portal=127.0.0.1:3260"], stderr=subprocess.DEVNULL)
        if subprocess.run(["tgtadm", "--lld", "iscsi", "--op", "show", "--mode", "sys"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
            return
        time.sleep(0.2)
    raise RuntimeError("tgtd does not start again")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=20)
    ap.add_argument("--every", type=int, default=120, help="seconds between faults")
    ap.add_argument("--domains", type=int, default=8)
    ap.add_argument("--storage-clients", type=int, default=6)
    ap.add_argument("--readers", type=int, default=20)
    ap.add_argument("--port", type=int, default=18099)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="tether-soak.", dir="/var/tmp")
    state = os.path.join(work, "state")
    os.makedirs(state)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", state], check=True)
    api = Api(args.port)
    agent, log = bench.start_agent(work, args.port)
    domains, vols, recoveries, stop = [], [], [], threading.Event()
    stats = Stats()
    try:
        bench.await_ready(api, agent, log)
        secrets_before = bench.virsh("secret-list")
        connector = bench.json.loads(api.call("GET", "/v1/connector")[1])
        domains = [bench.make_domain(work, f"tether-soak-{i}-{uuid.uuid4().hex[:6]}") for i in range(args.domains)]
        vols = [Volume(api, stats, d) for d in domains]
        for v in vols:
            v.prepare(connector)
        workers = [threading.Thread(target=client, args=(api, stats, stop, v)) for v in vols]
        workers += [threading.Thread(target=storage_client, args=(api, stats, stop, connector))
                    for _ in range(args.storage_clients)]
        workers += [threading.Thread(target=reader, args=(api, stats, stop)) for _ in range(args.readers)]
        for w in workers:
            w.start()
        end, n = time.time() + args.minutes * 60, 0
        while time.time() + args.every < end:
            time.sleep(args.every)
            fault = FAULTS[n % len(FAULTS)]
            n += 1
            print(f"[soak] {time.strftime('%H:%M:%S')} fault {n}: {fault}", flush=True)
            if fault == "libvirtd":
                subprocess.run(["pkill", "-9", "-x", "libvirtd"])
                time.sleep(5)
                subprocess.run(["libvirtd", "-d"], check=True)
            elif fault == "tgtd":
                subprocess.run(["pkill", "-9", "-x", "tgtd"])
                time.sleep(2)
                start_tgtd()
            elif fault == "agent":
                agent.kill()
                agent.wait()
                agent, log = bench.start_agent(work, args.port)
            elif fault == "enospc":
                fill = os.path.join(state, "fill")
                subprocess.run(["dd", "if=/dev/zero", f"of={fill}", "bs=1M"], stderr=subprocess.DEVNULL)
                time.sleep(30)
                os.unlink(fill)
            took = wait_ready(api)
            if fault == "tgtd" and took is not None:  # ready is not enough: the exports must be back too
                t0 = time.time() - took
                while time.time() - t0 < 180 and not all(
                        f"volume-{v.id}" in bench.run("tgtadm", "--lld", "iscsi", "--op", "show", "--mode", "target")
                        for v in vols):
                    time.sleep(0.5)
                took = time.time() - t0
            recoveries.append((fault, took))
            print(f"[soak]   ready again after {took:.1f} s" if took is not None else "[soak]   NOT ready again",
                  flush=True)
        stop.set()
        for w in workers:
            w.join(timeout=300)
        # what is in flight settles first (a detach or rollback a fault stopped is finished by the agent within
        # its settle interval), then each client asks once what it holds, as a controller reconciling would
        for _ in range(120):
            try:
                s, text = api.call("GET", "/v1/attachments")
            except Exception:
                s, text = None, b""
            if s == 200 and all(a.get("state") == "attached" for a in bench.json.loads(text or b"[]")):
                break
            time.sleep(1)
        lost = [v for v in vols if v.attached is not None]
        for v in lost:
            before = v.attached
            resync(api, v)
            if v.attached != before:
                print(f"[soak] {v.dom}: the last answer was lost in a fault; the agent holds attached={v.attached}")
        if wait_ready(api) is None:
            print("agent not ready at the end")

        problems = []
        for v in vols:  # the host agrees with what each client believes, and the disk is readable
            xml = bench.virsh("dumpxml", v.dom)
            if v.attached != (v.id in xml):
                problems.append(f"{v.dom}: client believes attached={v.attached}, domain says {v.id in xml}")
            if v.attached:
                s, _ = api.call("DELETE", v.url())
                if s != 204:
                    problems.append(f"detach of {v.id} answered {s}")
        for v in vols:
            api.call("DELETE", f"/v1/volumes/{v.id}/exports/{bench.INITIATOR}")
            api.call("DELETE", f"/v1/volumes/{v.id}")
        left = bench.json.loads(api.call("GET", "/v1/attachments")[1])
        if left:
            problems.append("attachments left: " + "; ".join(
                f"{a.get('volume_id')}@{a.get('domain')} {a.get('state')} {a.get('error') or ''}" for a in left))
        if bench.json.loads(api.call("GET", "/v1/volumes")[1]):
            problems.append("volumes left: " + api.call("GET", "/v1/volumes")[1][:300].decode())
        if bench.virsh("secret-list") != secrets_before:
            problems.append("libvirt secrets differ from before")
        tgt = bench.run("tgtadm", "--lld", "iscsi", "--op", "show", "--mode", "target")
        if "org.openstack:volume-" in tgt:
            problems.append("tgt targets left")
        for d in domains:
            if "<serial>" in bench.virsh("dumpxml", d):
                problems.append(f"disk left in {d}")

        bad = sum(stats.bad.values())
        print(f"soak: {args.minutes:g} min, {len(workers)} clients, {stats.requests} requests, {n} faults, "
              f"{bad} non-retryable 5xx")
        for k in sorted(stats.codes):
            print(f"  {k:24} {stats.codes[k]}")
        for fault, took in recoveries:
            print(f"  recovery after {fault:9} " + (f"{took:.1f} s" if took is not None else "never"))
        print("leaks and disagreements: " + ("none" if not problems else "; ".join(problems)))
        for s in stats.samples:
            print("  sample: " + s)
        sys.exit(1 if bad or problems or any(t is None for _, t in recoveries) else 0)
    finally:
        stop.set()
        agent.terminate()
        agent.wait(timeout=30)
        for d in domains:
            bench.virsh("destroy", d, check=False)
            bench.virsh("undefine", d, check=False)
        if subprocess.run(["pgrep", "-x", "tgtd"]).returncode != 0:
            start_tgtd()
        if subprocess.run(["pgrep", "-x", "libvirtd"]).returncode != 0:
            subprocess.run(["libvirtd", "-d"])
        subprocess.run(["umount", "-l", state])
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
