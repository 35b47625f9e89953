"""Federation delivery benchmark: 1,000 cases from A to two related peers with live workers.

Starts three real instances (own databases, gunicorn, Celery worker with beat) on loopback ports 18301-18303,
makes 1,000 synthetic cases on A, then shares them all in one burst (1,000 decisions, 2,000 outbox rows) and
measures (1) the time from the first decision to the last case visible on both peers and (2) the p50/p95 delay
from each case's decision on A to its arrival on each peer (ShareDecision.decided_at → Case.received_at, read
from the instances' databases). Bounded: at most --cases cases, gives up after --timeout seconds.

    .venv/bin/python bench/federation.py [--cases 1000] [--timeout 600] [--concurrency 8]

DATABASE_URL / CELERY_BROKER_URL select PostgreSQL / Redis exactly as for `make federation`.
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rarecases import federation_launch as F  # noqa: E402


def _rows(inst: F.Instance, sql: str) -> list[tuple]:
    if inst.is_postgres:
        import psycopg

        with psycopg.connect(inst.database_url) as conn:
            return conn.execute(sql).fetchall()
    path = inst.database_url.removeprefix("sqlite:///").split("?")[0]
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def _ts(value) -> float:  # type: ignore[no-untyped-def]
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def _status(inst: F.Instance) -> dict:
    req = urllib.request.Request(f"{inst.url}/api/rarecases/status/",
                                 headers={"Authorization": f"Token {inst.tokens['admin_token']}"})
    with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - loopback
        return json.loads(resp.read())


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--concurrency", type=int, default=8, help="delivery threads of A's worker")
    ap.add_argument("--queue-first", action="store_true",
                    help="make and share every case with A's worker stopped, then start it: measures the pure "
                         "delivery time of a 2,000-row backlog (delays then include the wait in the queue)")
    args = ap.parse_args()
    n = min(args.cases, 5000)
    root = Path(tempfile.mkdtemp(prefix="bench-federation-"))
    os.environ.setdefault("RARECASES_SWEEP_SECONDS", "2")
    instances = F.plan(base_port=F.free_base_port(3, 18301), root=root, db_suffix="bench")
    a, b, c = instances
    t0 = time.time()
    keepalive = threading.Event()
    try:
        F.create_databases(instances)
        F.start_web(a)
        if not args.queue_first:
            F.start_worker(a, concurrency=args.concurrency)
        for peer in (b, c):
            F.start_web(peer, workers=2, threads=4)
            F.start_worker(peer, concurrency=2)
        F.keep_workers_alive([b, c] if args.queue_first else instances, keepalive, concurrency=args.concurrency)
        for inst in instances:
            F.wait_ready(inst)
        F.configure(instances)
        print(f"instances ready in {time.time() - t0:.0f} s ({a.database_url.split(':')[0]}, broker "
              f"{a.broker_url.split(':')[0]})", flush=True)
        made = time.time()
        out = F._run(["rarecases_synth", "--cases", str(n), "--code", "E70.0", "--share-after"], a, timeout=1800).stdout
        print(f"{n} cases made and shared on A in {time.time() - made:.1f} s ({json.loads(out.strip().splitlines()[-1])['seconds']} s inside)",
              flush=True)
        worker_started = None
        if args.queue_first:
            worker_started = time.time()
            F.start_worker(a, concurrency=args.concurrency)
        deadline = time.time() + args.timeout
        while time.time() < deadline:
            got = [_status(p)["cases"]["received_by_origin"].get("platform-a", 0) for p in (b, c)]
            if got == [n, n]:
                break
            time.sleep(1)
        else:
            print(f"TIMEOUT: peers hold {got} of {n}")
            return 1
        decided = {str(u).replace("-", ""): _ts(t) for u, t in _rows(
            a, "SELECT c.case_uuid, d.decided_at FROM rarecases_sharedecision d "
               "JOIN rarecases_case c ON c.id = d.case_id WHERE c.received_from_id IS NULL")}
        delays, last = [], 0.0
        for peer in (b, c):
            for u, t in _rows(peer, "SELECT case_uuid, received_at FROM rarecases_case WHERE origin = 'platform-a'"):
                arrived = _ts(t)
                delays.append(arrived - decided[str(u).replace("-", "")])
                last = max(last, arrived)
        first = min(decided.values())
        outbox = _status(a)["outbox"]
        print(json.dumps({
            "cases": n, "peers": 2, "deliveries": len(delays),
            "first_decision_to_last_visible_s": round(last - first, 1),
            "delay_p50_s": round(statistics.median(delays), 2), "delay_p95_s": round(pct(delays, 0.95), 2),
            "delay_max_s": round(max(delays), 2), "outbox_on_a": outbox,
            "database": a.database_url.split(":")[0], "broker": a.broker_url.split(":")[0],
            "a_worker_threads": args.concurrency,
            **({"worker_start_to_last_visible_s": round(last - worker_started, 1)} if worker_started else {}),
        }, indent=2))
        return 0
    finally:
        F.stop_all(instances, keepalive)
        F.drop_databases(instances)


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run `finally` (stop the instances) on SIGTERM
    sys.exit(main())
