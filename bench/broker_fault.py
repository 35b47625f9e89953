"""Booking and checkout latency with a healthy, a hung and a stopped Celery broker, in one run; then every task
that waited must be delivered exactly once after the broker returns.

Usage (PostgreSQL; a throw-away database test_<name> is created and dropped; Redis is our own redis-server on a
free port, behind a proxy that makes it hang or stop — the shared Redis is never touched):
    DATABASE_URL=postgres://postgres@127.0.0.1:5433/wt_inputs \\
        /work/main/.venv/bin/python bench/broker_fault.py --requests 200 --concurrency 8

Set-up: gunicorn as `make run` starts it (2 gthread workers × 4 threads, settings platform_site.settings.local with
DEBUG off), one Celery worker, both reaching the broker through tests/platform/broker_proxy.py. Each phase sets
the proxy (up: forwards; hung: accepts and never answers; stopped: refuses), then client threads POST
/api/consult/appointments/ (booking: the booking transaction, no task) and /api/pharmacy/orders/ (checkout: its
notification queues an e-mail task through the task outbox) once per seeded patient. After the last phase the
proxy is up again and the run waits until every TaskOutbox row is done, then counts: rows, task runs in the
worker's log, e-mails sent (each exactly once), duplicate messages skipped. Figures are for the ratio within one
run (the client threads share the 2-core machine with the server, the worker and PostgreSQL).
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_site.settings.test")
BIN = Path(sys.executable).parent
PHASES = ("healthy", "hung", "stopped")
MODE = {"healthy": "up", "hung": "hung", "stopped": "down"}
ADDRESS = {"recipient_name": "Bench Recipient", "phone": "+86 000 0000 0000", "address": "1 Bench Road"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(n: int, phase: str) -> list[tuple[str, int]]:
    """n patients with a token, a one-pack cart and a free slot each: [(token, slot id)]."""
    from rest_framework.authtoken.models import Token

    from accounts.models import Role, User
    from consult.models import Slot
    from pharmacy.models import Cart, CartItem, Drug, StockMovement

    doctor = User.objects.create(email=f"bench-doctor-{phase}@example.test", role=Role.DOCTOR, full_name="Dr Bench",
                                 password="!")
    base = dt.datetime.now(dt.UTC).replace(microsecond=0, second=0) + dt.timedelta(days=3)
    slots = Slot.objects.bulk_create([Slot(doctor=doctor, start=base + dt.timedelta(minutes=20 * i),
                                           end=base + dt.timedelta(minutes=20 * i + 15)) for i in range(n)])
    drugs = Drug.objects.bulk_create([Drug(generic_name_en=f"Quiet {phase} {i}", price=Decimal("12.50"), stock=2,
                                           active_ingredients=[f"quietine {phase} {i}"]) for i in range(n)])
    StockMovement.objects.bulk_create([StockMovement(drug=d, quantity=2, kind="opening") for d in drugs])
    users = User.objects.bulk_create([User(email=f"bench-{phase}-{i}@example.test", role=Role.PATIENT,
                                           full_name=f"Bench {i}", password="!") for i in range(n)])
    carts = Cart.objects.bulk_create([Cart(patient=u) for u in users])
    CartItem.objects.bulk_create([CartItem(cart=c, drug=d, quantity=1) for c, d in zip(carts, drugs, strict=True)])
    tokens = Token.objects.bulk_create([Token(user=u, key=secrets.token_hex(20)) for u in users])
    return [(t.key, s.pk) for t, s in zip(tokens, slots, strict=True)]


def post(port: int, path: str, token: str, payload: dict) -> tuple[int, float]:
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", path, body=json.dumps(payload),
                     headers={"Authorization": f"Token {token}", "Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        return resp.status, time.perf_counter() - start
    finally:
        conn.close()


def run(port: int, jobs: list[tuple[str, dict]], tokens: list[str], concurrency: int) -> dict:
    work = list(zip(tokens, jobs, strict=True))
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()

    def client() -> None:
        while True:
            with lock:
                if not work:
                    return
                token, (path, payload) = work.pop()
            try:
                status, seconds = post(port, path, token, payload)
            except OSError:
                status, seconds = 0, 0.0
            with lock:
                statuses[status] += 1
                if status == 201:
                    latencies.append(seconds)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    ok = len(latencies)
    return {"ok": ok, "statuses": dict(statuses),
            "p50_ms": 1000 * statistics.median(latencies) if latencies else 0.0,
            "p99_ms": 1000 * latencies[min(ok - 1, int(0.99 * ok))] if latencies else 0.0,
            "max_ms": 1000 * latencies[-1] if latencies else 0.0}


def wait_for(port: int, timeout: float = 90) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="bookings and checkouts per phase (max 2000)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--drain-seconds", type=float, default=180)
    args = parser.parse_args()
    args.requests = max(10, min(args.requests, 2000))

    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("set DATABASE_URL=postgres://… (this benchmark is for PostgreSQL)")
    from django.test.utils import setup_test_environment

    from tests.platform.broker_proxy import BrokerProxy, ThrowawayRedis

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    redis = ThrowawayRedis()
    proxy = BrokerProxy("127.0.0.1", redis.port)
    tmp = Path(tempfile.mkdtemp(prefix="bench-broker-"))
    procs: list[subprocess.Popen] = []
    try:
        port = free_port()
        env = {**os.environ, "DATABASE_URL": os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + test_name,
               "DJANGO_SETTINGS_MODULE": "platform_site.settings.local", "DEBUG": "false",
               "REQUIRE_STAFF_MFA": "false", "CELERY_BROKER_URL": proxy.url(0), "CELERY_TASK_ALWAYS_EAGER": "false",
               "EMAIL_URL": f"filemail:///{tmp / 'mail'}", "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1",
               "CORE_OUTBOX_SWEEP_SECONDS": "5", "EMAIL_OUTBOX_SWEEP_SECONDS": "3600"}
        env.pop("REDIS_URL", None)
        web_log, worker_log = open(tmp / "web.log", "wb"), open(tmp / "worker.log", "wb")  # noqa: SIM115
        procs.append(subprocess.Popen(
            [str(BIN / "gunicorn"), "platform_site.wsgi:application", "-b", f"127.0.0.1:{port}", "--workers", "2",
             "--threads", "4", "--log-level", "warning"], cwd=ROOT, env=env, stdout=web_log, stderr=subprocess.STDOUT))
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "platform_site", "worker", "-B", "--pool", "solo", "--loglevel",
             "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat", "--schedule",
             str(tmp / "beat")], cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT))
        wait_for(port)
        warm = seed(20, "warm")
        run(port, [("/api/consult/appointments/", {"slot": s, "reason": "warm-up"}) for _t, s in warm],
            [t for t, _s in warm], args.concurrency)
        results = {}
        for phase in PHASES:
            pairs = seed(args.requests, phase)
            proxy.set(MODE[phase])
            time.sleep(0.5)
            tokens = [t for t, _s in pairs]
            booking = run(port, [("/api/consult/appointments/", {"slot": s, "reason": "bench"}) for _t, s in pairs],
                          tokens, args.concurrency)
            checkout = run(port, [("/api/pharmacy/orders/", ADDRESS)] * len(pairs), tokens, args.concurrency)
            results[phase] = {"booking": booking, "checkout": checkout}
            print(phase, json.dumps(results[phase]), flush=True)
        proxy.set("up")
        delivered = drain(args.drain_seconds, tmp)
        report(args, results, delivered, tmp)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        proxy.close()
        redis.close()
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


def drain(timeout: float, tmp: Path) -> dict:
    from django.db import connection

    from accounts.models import EmailStatus, OutboundEmail
    from core.models import TaskOutbox

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        connection.close()
        if not TaskOutbox.objects.filter(done_at__isnull=True).exists():
            break
        time.sleep(1)
    seconds = time.monotonic() - started
    time.sleep(5)  # a few more sweeps: nothing may run twice
    log = (tmp / "worker.log").read_text(errors="replace")
    return {
        "drain_s": seconds,
        "rows": TaskOutbox.objects.count(),
        "rows_done": TaskOutbox.objects.filter(done_at__isnull=False, failed=False).count(),
        "runs": sum(1 for line in log.splitlines() if "Task accounts.tasks.email_deliver[" in line and "succeeded" in line),
        "duplicates_skipped": log.count("duplicate message skipped"),
        "emails": OutboundEmail.objects.count(),
        "emails_sent_once": OutboundEmail.objects.filter(status=EmailStatus.SENT, attempts=1).count(),
        "mail_files": sum(p.read_text(errors="replace").count("Subject:") for p in (tmp / "mail").glob("*"))
        if (tmp / "mail").exists() else 0,
        "web_warnings": (tmp / "web.log").read_text(errors="replace").count("broker unreachable"),
        "web_tracebacks": (tmp / "web.log").read_text(errors="replace").count("Traceback"),
    }


def report(args: argparse.Namespace, results: dict, delivered: dict, tmp: Path) -> None:
    healthy = {k: results["healthy"][k]["p99_ms"] for k in ("booking", "checkout")}
    print(f"\nbench/broker_fault.py --requests {args.requests} --concurrency {args.concurrency}  (logs: {tmp})")
    print("| broker | booking p50 / p99 ms | checkout p50 / p99 ms | p99 vs healthy (booking, checkout) | statuses |")
    print("|---|---|---|---|---|")
    for phase in PHASES:
        b, c = results[phase]["booking"], results[phase]["checkout"]
        ratio = f"{b['p99_ms'] / healthy['booking']:.2f}×, {c['p99_ms'] / healthy['checkout']:.2f}×"
        print(f"| {phase} | {b['p50_ms']:.0f} / {b['p99_ms']:.0f} | {c['p50_ms']:.0f} / {c['p99_ms']:.0f} | {ratio} "
              f"| {b['statuses']} {c['statuses']} |")
    print("\nafter the broker returned:", json.dumps(delivered))


if __name__ == "__main__":
    main()
