"""Checkout throughput and latency through HTTP: many patients checking out the SAME popular drug (every
checkout queues on one drug row lock) versus each patient buying a DIFFERENT drug (no shared drug row).

Usage (PostgreSQL; a throw-away database test_<name> is created and dropped):
    DATABASE_URL=postgres://postgres@127.0.0.1:5433/dev_pharmacy \
        .venv/bin/python bench/checkout.py --checkouts 600 --concurrency 16 --workers 4

Set-up: gunicorn (sync workers, settings platform_site.settings.test, persistent DB connections) on a loopback
port; N patients with an API token and a one-line cart are written straight into the database. Then a pool of
client threads POSTs /api/pharmacy/orders/ (the real checkout: cart lock, drug lock in id order, conditional
stock UPDATE, ledger, order event, notification + outbox e-mail, audit entry) once per patient and measures
each request's latency. A final "last units" phase checks correctness over HTTP: --race requests for 10 units
must give exactly 10 × 201 and the rest 409, with the ledger summing to the stock.
Bounded: at most 5,000 checkouts per phase, --max-seconds per phase, request timeout 30 s.
The client threads run on the same 2-core machine as the server and PostgreSQL; figures are for comparison
within one run (the ratio), not absolute capacity.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_site.settings.test")

ADDRESS = {"recipient_name": "Bench Recipient", "phone": "+86 000 0000 0000", "address": "1 Bench Road"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkouts", type=int, default=600, help="per phase (max 5000)")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--race", type=int, default=100, help="requests in the last-units phase")
    parser.add_argument("--max-seconds", type=float, default=180)
    args = parser.parse_args()
    args.checkouts = max(1, min(args.checkouts, 5000))

    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("set DATABASE_URL=postgres://… (this benchmark is for PostgreSQL)")
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    server = None
    try:
        port = free_port()
        db_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + test_name
        env = {**os.environ, "DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "platform_site.settings.test"}
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "platform_site.wsgi:application", "-b", f"127.0.0.1:{port}",
             "-w", str(args.workers), "--worker-class", "sync", "--timeout", "60", "--log-level", "warning"],
            cwd=ROOT, env=env)
        wait_for(port)
        results = []
        for phase in ("contention", "no_contention"):
            tokens = seed(phase, args.checkouts)
            results.append((phase, run_phase(port, tokens, args)))
        race_ok = race_phase(port, args)
        report(args, results, race_ok)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


def wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/pharmacy/drugs/?q=none")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not start")


def seed(phase: str, n: int, *, stock: int | None = None, prefix: str | None = None) -> list[str]:
    """n patients, each with an API token and a cart holding one pack; returns the tokens."""
    from rest_framework.authtoken.models import Token

    from accounts.models import Role, User
    from pharmacy.models import Cart, CartItem, Drug, StockMovement

    prefix = prefix or phase
    if phase == "contention" or phase == "race":
        drug = Drug.objects.create(generic_name_en=f"Popular {prefix}", price=Decimal("12.50"),
                                   stock=stock if stock is not None else n * 2, active_ingredients=["popularine"])
        drugs = [drug] * n
    else:
        made = Drug.objects.bulk_create([
            Drug(generic_name_en=f"Quiet {prefix} {i}", price=Decimal("12.50"), stock=2,
                 active_ingredients=[f"quietine {i}"]) for i in range(n)])
        drugs = made
    StockMovement.objects.bulk_create([StockMovement(drug=d, quantity=d.stock, kind="opening")
                                       for d in {d.pk: d for d in drugs}.values()])
    users = User.objects.bulk_create([
        User(email=f"bench-{prefix}-{i}@example.test", role=Role.PATIENT, full_name=f"Bench {i}", password="!")
        for i in range(n)])
    carts = Cart.objects.bulk_create([Cart(patient=u) for u in users])
    CartItem.objects.bulk_create([CartItem(cart=c, drug=d, quantity=1) for c, d in zip(carts, drugs, strict=True)])
    tokens = Token.objects.bulk_create([Token(user=u, key=Token.generate_key()) for u in users])
    return [t.key for t in tokens]


def checkout(port: int, token: str) -> tuple[int, float]:
    body = json.dumps(ADDRESS)
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/api/pharmacy/orders/", body=body,
                     headers={"Authorization": f"Token {token}", "Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        return resp.status, time.perf_counter() - start
    finally:
        conn.close()


def run_phase(port: int, tokens: list[str], args: argparse.Namespace) -> dict[str, float]:
    queue = list(tokens)
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    deadline = time.monotonic() + args.max_seconds

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                if not queue:
                    return
                token = queue.pop()
            try:
                status, seconds = checkout(port, token)
            except OSError:
                status, seconds = 0, 0.0
            with lock:
                statuses[status] += 1
                if status == 201:
                    latencies.append(seconds)

    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    latencies.sort()
    ok = len(latencies)
    return {
        "ok": ok, "other": sum(v for k, v in statuses.items() if k != 201), "seconds": elapsed,
        "per_s": ok / elapsed if elapsed else 0.0,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else 0.0,
        "p99_ms": 1000 * latencies[min(ok - 1, int(0.99 * ok))] if latencies else 0.0,
        "statuses": dict(statuses),
    }


def race_phase(port: int, args: argparse.Namespace) -> str:
    from django.db.models import Sum

    from pharmacy.models import Drug, Order

    tokens = seed("race", args.race, stock=10)
    drug = Drug.objects.get(generic_name_en="Popular race")
    before = Order.objects.count()
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(len(tokens))

    def one(token: str) -> None:
        barrier.wait(timeout=60)
        try:
            status, _ = checkout(port, token)
        except OSError:
            status = 0
        with lock:
            statuses[status] += 1

    threads = [threading.Thread(target=one, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    drug.refresh_from_db()
    ledger = drug.stock_movements.aggregate(s=Sum("quantity"))["s"]
    ok = (statuses == Counter({201: 10, 409: args.race - 10}) and drug.stock == 0 and ledger == 0
          and Order.objects.count() - before == 10)
    return f"{'OK' if ok else 'FAILED'}: statuses {dict(statuses)}, stock {drug.stock}, ledger sum {ledger}"


def report(args: argparse.Namespace, results: list[tuple[str, dict]], race: str) -> None:
    print(f"checkout bench: {args.checkouts} checkouts per phase, {args.concurrency} client threads, "
          f"gunicorn {args.workers} sync workers, PostgreSQL, loopback")
    print(f"{'phase':<15}{'ok':>6}{'other':>7}{'seconds':>9}{'checkouts/s':>13}{'p50 ms':>9}{'p99 ms':>9}")
    for phase, r in results:
        print(f"{phase:<15}{r['ok']:>6}{r['other']:>7}{r['seconds']:>9.1f}{r['per_s']:>13.1f}{r['p50_ms']:>9.1f}"
              f"{r['p99_ms']:>9.1f}   {r['statuses']}")
    (_, hot), (_, cold) = results
    if hot["per_s"] and cold["per_s"]:
        print(f"contention / no contention: throughput x{hot['per_s'] / cold['per_s']:.2f}, "
              f"p99 x{hot['p99_ms'] / cold['p99_ms']:.2f}")
    print(f"last units over HTTP ({args.race} requests for 10 units): {race}")


if __name__ == "__main__":
    main()
