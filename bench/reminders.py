"""How many due doses one worker sends (marks 'sent' + in-app notification + e-mail) per minute.

Usage (PostgreSQL; a throw-away database test_<name> is created and dropped):
    DATABASE_URL=postgres://postgres@127.0.0.1:5433/dev_records \
        .venv/bin/python bench/reminders.py --doses 30000 --patients 3000

E-mail goes to Django's in-memory backend (locmem), as the issue asks; the outbox/SMTP path is not measured.
The baseline, measured in the same run on the same rows, is the naive loop: one transaction per dose
(lock the row, notify, save) — the ratio says what batching with SKIP LOCKED buys.
Bounded: at most --doses rows (≤ 200,000) and --max-seconds per phase.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_site.settings.test")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--doses", type=int, default=30000)
    parser.add_argument("--patients", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--baseline-doses", type=int, default=3000)
    parser.add_argument("--max-seconds", type=float, default=240)
    parser.add_argument("--allow-sqlite", action="store_true")
    args = parser.parse_args()
    args.doses = min(args.doses, 200_000)

    import django
    from django.conf import settings

    django.setup()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.db import connection

    if connection.vendor != "postgresql" and not args.allow_sqlite:
        sys.exit("set DATABASE_URL=postgres://… (the figure is for PostgreSQL; --allow-sqlite to try anyway)")
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args: argparse.Namespace) -> None:
    from django.apps import apps
    from django.core import mail
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Notification, Role, User
    from accounts.services import notify
    from consult.models import Encounter
    from records.models import DoseReminder, DoseStatus, Prescription, PrescriptionItem, ReminderPlan
    from records.services.reminders import reminders_send_due

    Drug = apps.get_model("pharmacy", "Drug")
    now = timezone.now()
    t0 = time.perf_counter()
    doctor = User.objects.create_user(email="bench-doctor@example.test", role=Role.DOCTOR, full_name="Bench Doctor")
    drug = Drug.objects.create(generic_name_en="Benchdrug", strength="5 mg", price=Decimal("1.00"),
                               active_ingredients=["benchdrug"])
    patients = User.objects.bulk_create([
        User(email=f"bench-{i}@example.test", role=Role.PATIENT, full_name=f"Bench Patient {i}", password="!")
        for i in range(args.patients)])
    encounters = Encounter.objects.bulk_create([Encounter(patient=p, doctor=doctor, occurred_at=now) for p in patients])
    rxs = Prescription.objects.bulk_create([
        Prescription(patient=e.patient, doctor=doctor, encounter=e, issued_at=now - dt.timedelta(days=1),
                     valid_until=now + dt.timedelta(days=7)) for e in encounters])
    items = PrescriptionItem.objects.bulk_create([
        PrescriptionItem(prescription=r, drug=drug, dose=Decimal(5), dose_unit="mg", frequency="every_n_hours",
                         interval_hours=1, start_date=now.date() - dt.timedelta(days=30), duration_days=60, quantity=3)
        for r in rxs])
    plans = ReminderPlan.objects.bulk_create([
        ReminderPlan(item=i, patient_id=i.prescription.patient_id, times_of_day=["00:00"], time_zone="Asia/Shanghai",
                     starts_at=now - dt.timedelta(days=30), ends_at=now + dt.timedelta(days=30)) for i in items])
    per = -(-args.doses // len(plans))
    doses = []
    for k in range(per):
        for plan in plans:
            if len(doses) >= args.doses:
                break
            doses.append(DoseReminder(plan=plan, item_id=plan.item_id, patient_id=plan.patient_id,
                                      scheduled_at=now - dt.timedelta(hours=k + 1)))
    DoseReminder.objects.bulk_create(doses, batch_size=5000)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"set-up: {args.patients} patients, {len(doses)} due doses in {time.perf_counter() - t0:.1f} s")

    # A long-running worker has its URLconf and translation catalogues loaded: warm them up outside the timing.
    from django.urls import reverse
    from django.utils import translation

    reverse("records:dose", args=[1])
    for language in ("en", "zh-hans"):
        with translation.override(language):
            translation.gettext("Time for your medicine: %(drug)s")

    # --- the service, one worker ---
    mail.outbox = []
    start = time.perf_counter()
    sent = 0
    while time.perf_counter() - start < args.max_seconds:
        n = reminders_send_due(now=now, batch_size=args.batch, max_batches=20)
        sent += n
        if n == 0:
            break
    elapsed = time.perf_counter() - start
    assert DoseReminder.objects.filter(status=DoseStatus.SENT).count() == sent
    assert Notification.objects.filter(kind="dose_reminder").count() == sent
    emails = len(mail.outbox)
    rate = sent / elapsed * 60
    print(f"reminders_send_due: {sent} doses in {elapsed:.2f} s → {rate:,.0f} doses/min "
          f"({emails} e-mails in memory, batch {args.batch})")

    # --- baseline: one transaction per dose on a fresh set of the same rows ---
    base_ids = list(DoseReminder.objects.order_by("id").values_list("id", flat=True)[:args.baseline_doses])
    Notification.objects.filter(kind="dose_reminder").delete()
    DoseReminder.objects.filter(id__in=base_ids).update(status=DoseStatus.SCHEDULED, sent_at=None)
    mail.outbox = []
    start = time.perf_counter()
    done = 0
    for pk in base_ids:
        with transaction.atomic():
            dose = DoseReminder.objects.select_for_update().select_related("patient", "item__drug").get(pk=pk)
            if dose.status != DoseStatus.SCHEDULED:
                continue
            notify(user=dose.patient, kind="dose_reminder", title=f"Time for your medicine: {dose.item.drug}",
                   body="", url=f"/medication/doses/{pk}/", dedupe_key=f"dose:{pk}")
            dose.status, dose.sent_at = DoseStatus.SENT, now
            dose.save(update_fields=["status", "sent_at"])
            done += 1
        if time.perf_counter() - start > args.max_seconds:
            break
    base_elapsed = time.perf_counter() - start
    base_rate = done / base_elapsed * 60
    print(f"baseline (one transaction per dose): {done} doses in {base_elapsed:.2f} s → {base_rate:,.0f} doses/min")
    print(f"ratio: {rate / base_rate:.2f}× the baseline; target ≥ 100,000/min: {'met' if rate >= 100_000 else 'NOT met'}")


if __name__ == "__main__":
    main()
