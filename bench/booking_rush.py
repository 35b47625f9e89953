"""A booking rush, measured the way it happens: a popular doctor's slots open at a fixed time and many patients
try at once.

Usage (PostgreSQL on loopback; a throw-away database is created and dropped):
    DATABASE_URL=postgres://postgres@127.0.0.1:5433/dev_consult .venv/bin/python bench/booking_rush.py

Per round: --slots slots of one doctor are created blocked; --patients distinct patients (each with an API token)
wait; at one moment the slots are released (one UPDATE) and --clients concurrent clients send every patient's
booking at once — patient i asks for slot i mod --slots, as a crowd clicking the first times it sees. Exactly
--slots bookings can succeed; the others must be clear 409s. Two phases run alternately on fresh slots, on the
same gunicorn (sync workers, persistent connections) and database:
  - booking API     POST /api/consult/appointments/  (DRF, token auth, the access policy, appointment_book)
  - plain view      POST /bench/service-book/          (a bare Django view running the same locked transaction:
                                                        the same appointment_book service, no DRF)
Reported: slots booked (must equal --slots), double bookings (two active appointments on one slot, must be 0),
errors (anything but 201 and 409), p50/p99 latency, throughput, and API ÷ plain view throughput.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import signal
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def seed_people(patients: int) -> dict[str, Any]:
    from rest_framework.authtoken.models import Token

    from accounts.models import DoctorProfile, PatientProfile, Role, User

    doctor = User.objects.create(email="rush-doctor@example.test", role=Role.DOCTOR, full_name="Dr Popular")
    DoctorProfile.objects.create(user=doctor, licence_number="RUSH-1")
    people = User.objects.bulk_create([User(email=f"rush-pat{i}@example.test", role=Role.PATIENT,
                                            full_name=f"Rush Patient {i}") for i in range(patients)])
    PatientProfile.objects.bulk_create([PatientProfile(user=p) for p in people])
    tokens = Token.objects.bulk_create([Token(key=secrets.token_hex(20), user=p) for p in people])
    return {"doctor": doctor.pk, "keys": [t.key for t in tokens]}


def new_slots(doctor_id: int, n: int, round_no: int) -> list[int]:
    """n blocked slots (15 minutes apart), two days each round apart so no two rounds overlap."""
    from django.utils import timezone

    from consult.models import Slot

    base = (timezone.now() + dt.timedelta(days=3 + 2 * round_no)).replace(second=0, microsecond=0)
    return [s.pk for s in Slot.objects.bulk_create([
        Slot(doctor_id=doctor_id, start=base + dt.timedelta(minutes=15 * i),
             end=base + dt.timedelta(minutes=15 * i + 10), kind="in_person", is_blocked=True) for i in range(n)])]


def release(slot_ids: list[int]) -> None:
    from django.db import connection

    from consult.models import Slot

    Slot.objects.filter(pk__in=slot_ids).update(is_blocked=False)
    connection.close()  # the server's connections must not wait on ours


def outcome(slot_ids: list[int]) -> tuple[int, int]:
    """(slots booked, slots with more than one active appointment)."""
    from django.db.models import Count

    from consult.models import Appointment

    per_slot = (Appointment.objects.filter(slot_id__in=slot_ids).exclude(status__in=["cancelled", "no_show"])
                .values("slot_id").annotate(n=Count("id")))
    rows = list(per_slot)
    return len(rows), sum(1 for r in rows if r["n"] > 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--slots", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3, help="rushes per phase (API and plain view alternate)")
    parser.add_argument("--max-seconds", type=float, default=120)
    parser.add_argument("--port", type=int, default=8932)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_site.settings.test")
    import django

    django.setup()
    from django.db import connection

    from bench.booking import _load, _merge, speed_probe, start_server

    if connection.vendor != "postgresql":
        sys.exit("set DATABASE_URL=postgres://… (this benchmark is for PostgreSQL)")
    old_name = connection.settings_dict["NAME"]
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    args.db_name = test_name
    server = None
    try:
        people = seed_people(args.patients)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        connection.close()
        server = start_server(args, test_name)
        args.server_pid = server.pid
        probe_before = speed_probe()
        keys = people["keys"]

        def api(slots: list[int]) -> Any:
            return lambda i: ("POST", "/api/consult/appointments/", f'{{"slot": {slots[i % len(slots)]}, "reason": "rush"}}',
                              {"Content-Type": "application/json", "Authorization": f"Token {keys[i]}"})

        def plain(slots: list[int]) -> Any:
            return lambda i: ("POST", "/bench/service-book/", f"slot={slots[i % len(slots)]}",
                              {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Token {keys[i]}"})

        # Warm-up: every worker opens its connection and loads its code (slots of their own, not counted).
        warm = new_slots(people["doctor"], 50, 0)
        release(warm)
        _load(args, "warm-up", lambda i: api(warm)(i) if i < 25 else plain(warm)(i), 50)
        phases: dict[str, list[dict[str, Any]]] = {"api": [], "plain": []}
        booked = {"api": 0, "plain": 0}
        doubles = {"api": 0, "plain": 0}
        for r in range(args.rounds):
            for name, make in (("api", api), ("plain", plain)):
                slots = new_slots(people["doctor"], args.slots, 1 + 2 * r + (name == "plain"))
                connection.close()
                release(slots)  # the moment the doctor's slots open
                result = _load(args, name, make(slots), args.patients)
                # 409 is a lost race, answered clearly: an expected outcome, not an error.
                result["errors"] = {k: v for k, v in result["errors"].items() if k != 409}
                phases[name].append(result)
                n, dup = outcome(slots)
                booked[name] += n
                doubles[name] += dup
        probe_after = speed_probe()
        results = {name: _merge(label, phases[name]) for name, label in
                   (("api", "booking API (DRF + policy + service)"), ("plain", "plain view, same transaction"))}
        print(f"\nrush: {args.patients} patients, {args.slots} slots released at once, {args.clients} clients, "
              f"{args.rounds} rounds per phase; gunicorn sync workers {args.workers}; PostgreSQL on loopback")
        print(f"speed probe (fixed loop, lower is faster): {probe_before:.3f} s before, {probe_after:.3f} s after")
        for name, r in results.items():
            expected = args.slots * args.rounds
            print(f"{r['name']:<40} booked {booked[name]}/{expected}  double bookings {doubles[name]}  "
                  f"errors {sum(r['errors'].values())} {r['errors'] or ''}  p50 {r['p50']:.1f} ms  "
                  f"p99 {r['p99']:.1f} ms  {r['rps']:.1f} req/s")
        ratio = results["api"]["rps"] / results["plain"]["rps"]
        print(f"booking API ÷ plain view throughput: {ratio:.2f} (goal ≥ 0.70); "
              f"API p99 {results['api']['p99']:.1f} ms (goal ≤ 250)")
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        if getattr(args, "queue_dir", None):
            import shutil

            shutil.rmtree(args.queue_dir, ignore_errors=True)
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
