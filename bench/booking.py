"""Booking API and doctor console under load, against a real server, next to their ceilings.

Usage (PostgreSQL on loopback; a throw-away database test_<name> is created and dropped):
    DATABASE_URL=postgres://postgres@127.0.0.1:5433/dev_consult .venv/bin/python bench/booking.py

What runs, in one go, on the same data:
  1. gunicorn (sync workers, persistent DB connections: CONN_MAX_AGE) serving the platform with DEBUG off
     and staff MFA on; this module is its WSGI entry so it can add one bench-only URL (the bare view).
  2. booking API   POST /api/consult/appointments/ (DRF, token auth, the real appointment_book service)
  3. bare view     POST /bench/bare-book/ : a plain Django view doing the same locked transaction
                   (SELECT … FOR UPDATE on the slot, UPDATE the slot, INSERT the appointment), token looked up
  4. console page  GET /doctor/console/ for a doctor with --console-appointments appointments today
  5. console API   GET /api/consult/console/ (same data, JSON)
  6. empty view    GET /bench/empty/ : no work, anonymous — what gunicorn and the middleware cost per request
  7. pgbench       the bare transaction as SQL, -c <clients> : the database's ceiling
Each HTTP phase: --clients concurrent connections from ONE asyncio client (raw sockets, request bytes built
before the clock starts, a new TCP connection per request, as gunicorn's sync workers close it), --requests
requests (console: --console-requests), capped at --max-seconds. The same client measures every phase.
Every booking goes to a distinct free slot, so every answer should be 201; any other status is counted and
printed as an error. After the figures, the CPU each phase cost per request: the client (this process),
gunicorn (master + workers) and PostgreSQL (the bench database's backends + the cluster's auxiliary
processes, e.g. the WAL writer) — on 2 cores, throughput is bounded by their sum.
The server writes the tasks it queues (booking confirmations) to a temporary filesystem broker, removed at
the end; no worker runs them during the measurement.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import string
import subprocess
import sys
import tempfile
import time
from importlib import import_module
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------------------------------
# Server side: gunicorn imports `bench.booking:application`; URLs = the platform's + the bare view.
# --------------------------------------------------------------------------------------------------

def _bare_book(request):  # type: ignore[no-untyped-def]
    from django.db import transaction
    from django.http import JsonResponse
    from rest_framework.authtoken.models import Token

    from consult.models import Appointment, Slot

    key = request.headers.get("Authorization", "").removeprefix("Token ").strip()
    user_id = Token.objects.filter(key=key).values_list("user_id", flat=True).first()
    if user_id is None:
        return JsonResponse({"detail": "unauthorised"}, status=401)
    slot_id = int(request.POST.get("slot") or 0)
    with transaction.atomic():
        slot = Slot.objects.select_for_update().filter(pk=slot_id).first()
        if slot is None:
            return JsonResponse({"detail": "no slot"}, status=404)
        Slot.objects.filter(pk=slot_id).update(held_for=None, held_until=None)
        appointment = Appointment.objects.create(
            slot=slot, patient_id=user_id, booked_by_id=user_id, doctor_id=slot.doctor_id, start=slot.start,
            end=slot.end, kind=slot.kind, reason="bench")
    return JsonResponse({"id": appointment.pk}, status=201)


def _service_book(request):  # type: ignore[no-untyped-def]
    """A plain Django view running exactly the booking API's locked transaction (the appointment_book service:
    slot and patient locks, clash check, the appointment, its reminders, the care relation) — without DRF, its
    authentication classes, permission classes and serializers. API ÷ this = what the API layer costs."""
    from django.http import JsonResponse
    from rest_framework.authtoken.models import Token

    from consult.services.booking import appointment_book
    from core.errors import ApplicationError

    key = request.headers.get("Authorization", "").removeprefix("Token ").strip()
    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None:
        return JsonResponse({"detail": "unauthorised"}, status=401)
    try:
        appointment = appointment_book(booked_by=token.user, patient=token.user,
                                       slot_id=int(request.POST.get("slot") or 0), reason="bench")
    except ApplicationError as exc:
        return JsonResponse({"detail": str(exc.message)}, status=409)
    return JsonResponse({"id": appointment.pk}, status=201)


def _empty(request):  # type: ignore[no-untyped-def]
    """No work at all: what gunicorn + the platform's middleware cost per request (the floor under every page)."""
    from django.http import HttpResponse

    return HttpResponse(b"ok", content_type="text/plain")


def __getattr__(name: str) -> Any:
    if name == "urlpatterns":
        from django.urls import include, path
        from django.views.decorators.csrf import csrf_exempt

        return [path("bench/bare-book/", csrf_exempt(_bare_book)), path("bench/empty/", _empty),
                path("bench/service-book/", csrf_exempt(_service_book)),
                path("", include("platform_site.urls"))]
    if name == "application":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_site.settings.local")
        import django
        from django.conf import settings

        django.setup()
        settings.ROOT_URLCONF = "bench.booking"
        # The platform's own WSGI module (same start-up as in production), serving this URLconf.
        from platform_site.wsgi import application as app

        globals()["application"] = app
        return app
    raise AttributeError(name)


# --------------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------------

def speed_probe() -> float:
    """CPU seconds of a fixed pure-Python loop (best of 3): how fast this shared machine's cores are right now.
    It varied from 1.0 to 1.8 s within minutes on the reference box, which moves every absolute latency; the
    ratios within one run are what to compare, and the probe says how to read the absolute figures."""
    best = float("inf")
    for _ in range(3):
        start, x = time.process_time(), 0
        for i in range(3_000_000):
            x += i
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--requests", type=int, default=2000, help="per booking phase (≤ 20,000)")
    parser.add_argument("--console-requests", type=int, default=300)
    parser.add_argument("--console-appointments", type=int, default=1000)
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--max-seconds", type=float, default=60, help="cap per phase")
    parser.add_argument("--pgbench-seconds", type=int, default=15)
    parser.add_argument("--port", type=int, default=8931)
    parser.add_argument("--rounds", type=int, default=4, help="API/bare (and page/API) phases alternate")
    args = parser.parse_args()
    args.requests = min(args.requests, 20_000)
    args.console_appointments = min(args.console_appointments, 1400)
    args.patients = max(args.patients, args.console_appointments)

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_site.settings.test")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("set DATABASE_URL=postgres://… (this benchmark is for PostgreSQL)")
    old_name = connection.settings_dict["NAME"]
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    server = None
    try:
        data = seed(args)
        with connection.cursor() as cursor:
            # Table statistics, as autovacuum keeps them on a live database (a fresh one has none yet).
            cursor.execute("ANALYZE")
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        # The backend's parent is the postmaster: its children are the processes whose CPU is counted.
        args.postmaster_pid = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
        args.db_name = test_name
        connection.close()
        server = start_server(args, test_name)
        args.server_pid = server.pid
        args.speed_before = speed_probe()
        results = run_phases(args, data)
        results.append(run_pgbench(args, test_name, data))
        args.speed_after = speed_probe()
        report(args, results)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        if getattr(args, "queue_dir", None):
            queued = len(list(Path(args.queue_dir, "out").glob("*.msg")))
            print(f"tasks queued by the server (booking confirmations, not run here): {queued}")
            shutil.rmtree(args.queue_dir, ignore_errors=True)
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


def seed(args: argparse.Namespace) -> dict[str, Any]:
    import datetime as dt
    import secrets

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from accounts.models import DoctorProfile, PatientProfile, Role, User
    from consult.models import Appointment, Department, Slot
    from tests.factories import give_totp

    t0 = time.perf_counter()
    dept = Department.objects.create(code="bench", name_en="Bench Medicine", name_zh="基准科")
    doctors = User.objects.bulk_create([User(email=f"bench-doc{i}@example.test", role=Role.DOCTOR,
                                             full_name=f"Bench Doctor {i}") for i in range(20)])
    DoctorProfile.objects.bulk_create([DoctorProfile(user=d, department=dept, licence_number=f"BENCH-{d.pk}")
                                       for d in doctors])
    console_doctor = doctors[0]
    give_totp(console_doctor)
    patients = User.objects.bulk_create([User(email=f"bench-pat{i}@example.test", role=Role.PATIENT,
                                              full_name=f"Bench Patient {i}") for i in range(args.patients)])
    PatientProfile.objects.bulk_create([PatientProfile(user=p) for p in patients])
    tokens = Token.objects.bulk_create([Token(key=secrets.token_hex(20), user=p) for p in patients])
    keys = [t.key for t in tokens]

    # Booking slots: distinct, non-overlapping times (10-minute slots back to back), so no patient ever
    # overlaps and every booking should succeed.
    base = (timezone.now() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    needed = 3 * args.requests + 200
    slots = Slot.objects.bulk_create([
        Slot(doctor=doctors[1 + i % 19], start=base + dt.timedelta(minutes=10 * i),
             end=base + dt.timedelta(minutes=10 * (i + 1)), kind="in_person") for i in range(needed)], batch_size=2000)
    slot_ids = [s.pk for s in slots]

    # The console doctor's day: one appointment a minute from local midnight, mixed statuses and kinds.
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    day = Slot.objects.bulk_create([
        Slot(doctor=console_doctor, start=midnight + dt.timedelta(minutes=i),
             end=midnight + dt.timedelta(minutes=i + 1), kind="online" if i % 3 else "in_person")
        for i in range(args.console_appointments)])
    statuses = ["completed", "checked_in", "booked", "booked", "in_progress", "cancelled"]
    Appointment.objects.bulk_create([
        Appointment(slot=s, patient=patients[i], booked_by=patients[i], doctor=console_doctor, start=s.start,
                    end=s.end, kind=s.kind, status=statuses[i % len(statuses)], reason="Bench visit")
        for i, s in enumerate(day)], batch_size=2000)

    # The platform's session engine (settings.SESSION_ENGINE), as the server will read it.
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(console_doctor.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = console_doctor.get_session_auth_hash()
    session.save()
    print(f"seeded {len(patients)} patients, {len(slot_ids)} free slots, {len(day)} appointments today "
          f"in {time.perf_counter() - t0:.1f} s", flush=True)
    csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    return {"keys": keys, "slots": slot_ids, "session": session.session_key, "csrf": csrf, "patients": [p.pk for p in patients],
            "doctor": console_doctor.pk}


def start_server(args: argparse.Namespace, db_name: str) -> subprocess.Popen:
    from django.conf import settings

    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db_name}"
    # Tasks queued by the server (booking confirmations) go to a throw-away filesystem broker; nothing consumes
    # them during the run (no Celery worker: the figures are the web requests' own cost).
    args.queue_dir = tempfile.mkdtemp(prefix="bench-booking-queue-")
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "platform_site.settings.local",
           "CELERY_BROKER_URL": "filesystem://", "CELERY_FS_DIR": args.queue_dir,
           "DEBUG": "false", "REQUIRE_STAFF_MFA": "true", "CONN_MAX_AGE": "60", "LOG_LEVEL": "WARNING",
           "ALLOWED_HOSTS": "127.0.0.1,localhost",
           # The doctor's session was signed with this process's key; the server must use the same one.
           "SECRET_KEY": settings.SECRET_KEY}
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    cmd = [gunicorn, "bench.booking:application", "--chdir", str(ROOT), "-k", "sync", "-w", str(args.workers),
           "-b", f"127.0.0.1:{args.port}", "--log-level", "warning", "--timeout", "60"]
    print("server:", " ".join(cmd), flush=True)
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=5)
            conn.request("GET", "/api/consult/departments/")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGTERM)
    raise SystemExit("the server did not come up")


def _request_bytes(method: str, path: str, body: str | None, headers: dict[str, str], port: int) -> bytes:
    """One HTTP/1.1 request, built before the clock starts (the client does no formatting while timed)."""
    payload = (body or "").encode()
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body is not None:
        lines.append(f"Content-Length: {len(payload)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


def _load(args: argparse.Namespace, name: str, make_request: Any, count: int) -> dict[str, Any]:
    """`count` requests from `args.clients` concurrent connections; make_request(i) -> (method, path, body, headers).

    One asyncio loop in this process, raw non-blocking sockets, request bytes prepared beforehand: the client
    spends as little of the 2 shared cores as possible, and measures every phase (API, bare view, console)
    the same way. A new TCP connection per request (gunicorn's sync workers close it after each answer).
    """
    import asyncio
    import socket

    payloads = [_request_bytes(*make_request(i), port=args.port) for i in range(count)]
    latencies: list[float] = []
    errors: dict[int, int] = {}
    next_index = iter(range(count))

    async def one(loop: asyncio.AbstractEventLoop, payload: bytes) -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, ("127.0.0.1", args.port))
            await loop.sock_sendall(sock, payload)
            chunks = []
            while True:
                chunk = await loop.sock_recv(sock, 65536)
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            sock.close()
        head = b"".join(chunks[:1])[:16]
        return int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 599

    async def client(loop: asyncio.AbstractEventLoop, stop_at: float) -> None:
        for i in next_index:
            if time.perf_counter() >= stop_at:
                break
            t = time.perf_counter()
            try:
                status = await asyncio.wait_for(one(loop, payloads[i]), timeout=30)
            except (TimeoutError, OSError):
                status = 599
            latencies.append(time.perf_counter() - t)
            if status >= 300:
                errors[status] = errors.get(status, 0) + 1

    async def run() -> float:
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        await asyncio.gather(*(client(loop, started + args.max_seconds) for _ in range(args.clients)))
        return time.perf_counter() - started

    cpu = _cpu_snapshot(args)
    elapsed = asyncio.run(run())
    result = _summary(name, latencies, elapsed, errors)
    result["raw"] = (latencies, elapsed)
    result["cpu"] = _cpu_delta(cpu, _cpu_snapshot(args))
    return result


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _cpu_snapshot(args: argparse.Namespace) -> dict[str, dict[int, float]]:
    """CPU seconds used so far, per process: the client (this process), gunicorn (master + workers) and the
    PostgreSQL backends serving the bench database (+ the cluster's auxiliary processes, e.g. the WAL writer)."""
    snap = {"client": {os.getpid(): _proc_cpu(os.getpid())}}
    server = getattr(args, "server_pid", None)
    if server:
        snap["gunicorn"] = {p: _proc_cpu(p) for p in [server, *_children(server)]}
    postmaster = getattr(args, "postmaster_pid", None)
    if postmaster:
        snap["postgres"] = {p: _proc_cpu(p) for p in _children(postmaster) if _ours(p, args.db_name)}
    return snap


def _cpu_delta(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict[str, float]:
    """Per group, the CPU its processes used in between (a process that exited meanwhile is not counted: a
    slight under-count, never a negative figure)."""
    return {k: sum(cpu - before.get(k, {}).get(pid, 0.0) for pid, cpu in procs.items()) for k, procs in after.items()}


def _ours(pid: int, db_name: str) -> bool:
    """A backend of the bench database, or an auxiliary process (WAL writer, checkpointer…) — not another
    engineer's backend on the shared cluster."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return f" {db_name} " in title or not re.search(r"\d+\.\d+\.\d+\.\d+\(|\[local\]", title)


def _merge(name: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
    latencies = [x for p in parts for x in p["raw"][0]]
    elapsed = sum(p["raw"][1] for p in parts)
    errors: dict[int, int] = {}
    for p in parts:
        for k, v in p["errors"].items():
            errors[k] = errors.get(k, 0) + v
    result = _summary(name, latencies, elapsed, errors)
    result["cpu"] = {k: sum(p["cpu"].get(k, 0.0) for p in parts) for k in parts[0]["cpu"]}
    return result


def _summary(name: str, latencies: list[float], elapsed: float, errors: dict[int, int]) -> dict[str, Any]:
    ms = sorted(x * 1000 for x in latencies)

    def pct(p: float) -> float:
        return ms[min(len(ms) - 1, int(round(p / 100 * (len(ms) - 1))))] if ms else float("nan")

    return {"name": name, "n": len(ms), "rps": len(ms) / elapsed if elapsed else 0.0, "p50": pct(50), "p95": pct(95),
            "p99": pct(99), "mean": statistics.fmean(ms) if ms else float("nan"), "errors": errors}


def run_phases(args: argparse.Namespace, data: dict[str, Any]) -> list[dict[str, Any]]:
    keys, slots = data["keys"], data["slots"]
    n = args.requests
    api_slots, bare_slots, service_slots, warm_slots = slots[:n], slots[n:2 * n], slots[2 * n:3 * n], slots[3 * n:]

    def api(i: int, pool: list[int] = api_slots) -> tuple:
        body = json.dumps({"slot": pool[i], "reason": "bench"})
        return ("POST", "/api/consult/appointments/", body,
                {"Content-Type": "application/json", "Authorization": f"Token {keys[i % len(keys)]}"})

    def bare(i: int, pool: list[int] = bare_slots) -> tuple:
        return ("POST", "/bench/bare-book/", f"slot={pool[i]}",
                {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Token {keys[i % len(keys)]}"})

    def service(i: int, pool: list[int] = service_slots) -> tuple:
        return ("POST", "/bench/service-book/", f"slot={pool[i]}",
                {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Token {keys[i % len(keys)]}"})

    # A browser that has loaded a page before sends its CSRF cookie back (Django then reuses the secret instead
    # of drawing a new one for every page).
    cookie = {"Cookie": f"sessionid={data['session']}; csrftoken={data['csrf']}"}

    def empty(i: int) -> tuple:
        return ("GET", "/bench/empty/", None, {})

    def console_page(i: int) -> tuple:
        return ("GET", "/doctor/console/", None, cookie)

    def console_api(i: int) -> tuple:
        return ("GET", "/api/consult/console/", None, cookie)

    # Warm-up: every worker opens its persistent DB connection and loads templates.
    _load(args, "warm-up", lambda i: api(i, warm_slots[:100]) if i < 100 else bare(i - 100, warm_slots[100:]), 200)
    _load(args, "warm-up", console_page, 2 * args.workers)
    # Interleave the booking API and the bare view in rounds, so load from other processes on this shared
    # machine hits both alike; then the console page and API, also interleaved.
    rounds = max(1, args.rounds)
    per = n // rounds
    cper = max(1, args.console_requests // rounds)
    parts: dict[str, list[dict[str, Any]]] = {"api": [], "bare": [], "service": [], "page": [], "capi": [],
                                              "empty": []}
    for r in range(rounds):
        parts["api"].append(_load(args, "api", lambda i, r=r: api(r * per + i), per))
        parts["bare"].append(_load(args, "bare", lambda i, r=r: bare(r * per + i), per))
        parts["service"].append(_load(args, "service", lambda i, r=r: service(r * per + i), per))
        parts["page"].append(_load(args, "page", console_page, cper))
        parts["capi"].append(_load(args, "capi", console_api, cper))
        parts["empty"].append(_load(args, "empty", empty, per))
    results = [
        _merge("booking API (DRF + service)", parts["api"]),
        _merge("bare Django view, same transaction", parts["bare"]),
        _merge(f"console page, {args.console_appointments} appts", parts["page"]),
        _merge(f"console API, {args.console_appointments} appts", parts["capi"]),
        _merge("empty Django view (middleware only)", parts["empty"]),
        _merge("plain view, the API's own transaction", parts["service"]),
    ]
    for result in results:
        print(_line(result), flush=True)
    return results


def run_pgbench(args: argparse.Namespace, db_name: str, data: dict[str, Any]) -> dict[str, Any]:
    from django.conf import settings

    db = settings.DATABASES["default"]
    pgbench = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
    lo, hi = data["slots"][0], data["slots"][-1]
    plo, phi = data["patients"][0], data["patients"][-1]
    # Rows go in as 'cancelled' so the one-active-per-slot index lets the same slot be hit twice.
    script = f"""\\set slot random({lo}, {hi})
\\set patient random({plo}, {phi})
BEGIN;
SELECT doctor_id, start, "end", kind FROM consult_slot WHERE id = :slot FOR UPDATE;
UPDATE consult_slot SET held_for_id = NULL, held_until = NULL WHERE id = :slot;
INSERT INTO consult_appointment (slot_id, patient_id, booked_by_id, doctor_id, start, "end", kind, status, reason,
  symptoms, cancel_reason, created_at, updated_at)
  SELECT id, :patient, :patient, doctor_id, start, "end", kind, 'cancelled', 'bench', '', '', now(), now()
  FROM consult_slot WHERE id = :slot;
END;
"""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "book.sql"
        path.write_text(script)
        cmd = [pgbench, "-n", "-h", db["HOST"], "-p", str(db["PORT"]), "-U", db["USER"], "-c", str(args.clients),
               "-j", "2", "-T", str(args.pgbench_seconds), "-f", str(path), "-l", "--log-prefix", f"{tmp}/lat", db_name]
        print("pgbench:", " ".join(cmd[:-3]), "…", flush=True)
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.pgbench_seconds + 60, check=True)
        tps = next(float(line.split("=")[1].split()[0]) for line in out.stdout.splitlines() if line.startswith("tps"))
        latencies = []
        for log in Path(tmp).glob("lat*"):
            for line in log.read_text().splitlines():
                parts = line.split()
                latencies.append(int(parts[2]) / 1e6)
    result = _summary("pgbench, same transaction in SQL", latencies, 1.0, {})
    result["rps"] = tps
    print(_line(result), flush=True)
    return result


def _line(r: dict[str, Any]) -> str:
    err = f"  errors {r['errors']}" if r["errors"] else ""
    return (f"{r['name']:<40} {r['n']:>6} req {r['rps']:>8.1f}/s  p50 {r['p50']:6.1f} ms  p95 {r['p95']:6.1f} ms  "
            f"p99 {r['p99']:6.1f} ms{err}")


def report(args: argparse.Namespace, results: list[dict[str, Any]]) -> None:
    api, bare, page, capi, empty, service, pg = results
    print()
    print(f"clients {args.clients}, gunicorn sync workers {args.workers}, PostgreSQL on loopback, CONN_MAX_AGE=60")
    print(f"speed probe (fixed loop, lower is faster): {args.speed_before:.3f} s before, {args.speed_after:.3f} s after")
    for r in results:
        print(_line(r))
    print(f"booking API / bare view throughput: {api['rps'] / bare['rps']:.2f}  (target ≥ 0.70)")
    print(f"booking API / plain view of the same service transaction: {api['rps'] / service['rps']:.2f}")
    print(f"bare view / pgbench throughput:     {bare['rps'] / pg['rps']:.2f}")
    print(f"booking API p99 {api['p99']:.1f} ms (target ≤ 50); console page p99 {page['p99']:.1f} ms (target ≤ 100)")
    print("CPU per request (ms; the 2 cores are shared by all three):")
    for r in results[:6]:
        cpu = r.get("cpu") or {}
        parts = "  ".join(f"{k} {v / max(r['n'], 1) * 1000:5.2f}" for k, v in cpu.items())
        print(f"  {r['name']:<40} {parts}  total {sum(cpu.values()) / max(r['n'], 1) * 1000:5.2f}")


if __name__ == "__main__":
    main()
