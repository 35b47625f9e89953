"""Knowledge graph load time, and triage API latency at N concurrent clients, in process, next to a baseline in
the same run.

Usage:  .venv/bin/python bench/triage.py [--clients 8] [--requests 400]
(settings: platform_site.settings.test; a fresh SQLite file in /tmp, migrated, unless DATABASE_URL is set — then
that database is migrated and used; no server process.)

Graph load: `knowledge_load()` on the empty tables (first load), then again (the idempotent reload), then
`catalogue_drugs_link` for a synthetic 110-drug catalogue; wall time of each. The API then answers with the
candidate conditions of the loaded graph.

What runs: Django's test Client from --clients threads (the whole middleware stack and DRF, no sockets)
  1. baseline  GET /healthz (answered first by the probe middleware: what the client and the stack cost)
  2. triage    POST /api/triage/ with the 51 vignette texts in turn (English and Chinese), anonymous
and, before them, the cold start of the triage engine (jieba's dictionary + the lexicon's user words).
The rate limit is lifted for the bench (it would answer 429 after 30 requests). Figures: p50/p99 in ms, and
the ratio of the triage p99 to the baseline p99. The GIL serialises the threads: p99 here includes queueing
behind the other 7 clients, as a single-process server would."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_site.settings.test")
os.environ.setdefault("DATABASE_URL", f"sqlite:////tmp/bench-triage-{os.getpid()}.sqlite3")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _run(clients: int, requests: int, send) -> list[float]:  # type: ignore[no-untyped-def]
    from django.test import Client

    times: list[float] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        client = Client()
        for n in range(index, requests, clients):
            start = time.perf_counter()
            status = send(client, n)
            elapsed = (time.perf_counter() - start) * 1000
            if status != 200:
                raise SystemExit(f"unexpected status {status}")
            with lock:
                times.append(elapsed)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command

    from knowledge import apis, services, triage

    call_command("migrate", verbosity=0)
    loads = []
    for _ in range(2):
        start = time.perf_counter()
        counts = services.knowledge_load()
        loads.append(time.perf_counter() - start)
    atc = ["A02BC01", "C09CA01", "J01CA04", "N02BE01", "R06AX13", "M01AE01", "A10BA02", "C10AA05", "R03AC02", ""]
    start = time.perf_counter()
    links = services.catalogue_drugs_link(drugs=[services.CatalogueDrug(id=i, name_en=f"drug {i}", name_zh="",
                                                                        atc_code=atc[i % len(atc)])
                                                 for i in range(1, 111)])
    link_s = time.perf_counter() - start
    nodes = sum(v for k, v in counts.items() if k.startswith("nodes."))
    edges = sum(v for k, v in counts.items() if k.startswith("edges."))

    start = time.perf_counter()
    triage._jieba()
    triage.triage("发烧，咳嗽", age=30, sex="male", language="zh-hans")
    cold_ms = (time.perf_counter() - start) * 1000
    apis.TriageApi.throttle_classes = []

    vignettes = json.loads((ROOT / "tests/data/triage_vignettes.json").read_text())["vignettes"]
    bodies = [json.dumps({"text": v[lang], "age": v["age"], "sex": v["sex"],
                          "language": "zh-hans" if lang == "zh" else "en"})
              for v in vignettes for lang in ("en", "zh")]

    def health(client, n):  # type: ignore[no-untyped-def]
        return client.get("/healthz").status_code

    services.condition_model()  # built once per graph version (first request), not per request

    def post(client, n):  # type: ignore[no-untyped-def]
        return client.post("/api/triage/", data=bodies[n % len(bodies)], content_type="application/json").status_code

    from django.test import Client

    warm = Client()  # first requests import DRF's parsers/renderers: not what the figure is about
    health(warm, 0)
    for n in range(len(bodies)):
        post(warm, n)
    base = _run(args.clients, args.requests, health)
    tri = _run(args.clients, args.requests, post)
    from django.db import connection

    print(f"database: {connection.vendor}")
    print(f"graph load: {nodes} nodes, {edges} edges; first load {loads[0]:.2f} s, reload {loads[1]:.2f} s; "
          f"110 catalogue drugs linked ({links} edges) in {link_s:.2f} s")
    print(f"engine cold start (jieba dictionary + lexicon): {cold_ms:.0f} ms")
    for name, values in (("baseline GET /healthz", base), ("POST /api/triage/", tri)):
        print(f"{name:24s} clients={args.clients} n={len(values)} p50={statistics.median(values):.1f} ms "
              f"p99={_percentile(values, 0.99):.1f} ms")
    print(f"ratio triage p99 / baseline p99: {_percentile(tri, 0.99) / _percentile(base, 0.99):.1f}")


if __name__ == "__main__":
    main()
