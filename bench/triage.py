"""Triage API latency at N concurrent clients, in process, next to a baseline in the same run.

Usage:  .venv/bin/python bench/triage.py [--clients 8] [--requests 400]
(settings: platform_site.settings.test, SQLite in memory unless DATABASE_URL is set; no server process.)

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
    from knowledge import apis, triage

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

    def post(client, n):  # type: ignore[no-untyped-def]
        return client.post("/api/triage/", data=bodies[n % len(bodies)], content_type="application/json").status_code

    from django.test import Client

    warm = Client()  # first requests import DRF's parsers/renderers: not what the figure is about
    health(warm, 0)
    for n in range(len(bodies)):
        post(warm, n)
    base = _run(args.clients, args.requests, health)
    tri = _run(args.clients, args.requests, post)
    print(f"engine cold start (jieba dictionary + lexicon): {cold_ms:.0f} ms")
    for name, values in (("baseline GET /healthz", base), ("POST /api/triage/", tri)):
        print(f"{name:24s} clients={args.clients} n={len(values)} p50={statistics.median(values):.1f} ms "
              f"p99={_percentile(values, 0.99):.1f} ms")
    print(f"ratio triage p99 / baseline p99: {_percentile(tri, 0.99) / _percentile(base, 0.99):.1f}")


if __name__ == "__main__":
    main()
