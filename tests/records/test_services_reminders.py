"""Reminders: dose generation (days, time zones, DST), exactly-once sending, answers, missed, adherence."""
from __future__ import annotations

import datetime as dt
import threading
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from accounts.models import Notification, OutboundEmail
from core.errors import ApplicationError, NotFound
from records.models import DoseReminder
from records.selectors.prescriptions import adherence_by_item, adherence_for_patient
from records.services import reminders
from records.services.prescriptions import prescription_create
from records.services.reminders import dose_instants, dose_respond, reminders_mark_missed, reminders_send_due
from tests.factories import PatientFactory

from .factories import DrugFactory, EncounterFactory, item_data

UTC = dt.UTC


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_daily_doses_in_patient_time_zone():
    got = dose_instants(frequency="twice_daily", times_of_day=["08:00", "20:00"], interval_hours=None,
                        start_date=dt.date(2026, 3, 1), duration_days=2, time_zone="Asia/Shanghai")
    assert got == [utc(2026, 3, 1, 0), utc(2026, 3, 1, 12), utc(2026, 3, 2, 0), utc(2026, 3, 2, 12)]


def test_daily_dose_keeps_local_clock_across_spring_forward_and_fall_back():
    ny = ZoneInfo("America/New_York")
    # 2026-03-08: clocks go 02:00 → 03:00 in New York. 08:00 local is 13:00 UTC before, 12:00 UTC after.
    got = dose_instants(frequency="once_daily", times_of_day=["08:00"], interval_hours=None,
                        start_date=dt.date(2026, 3, 7), duration_days=2, time_zone="America/New_York")
    assert got == [utc(2026, 3, 7, 13), utc(2026, 3, 8, 12)]
    assert [g.astimezone(ny).hour for g in got] == [8, 8]
    # A dose at 02:30 on the spring-forward day does not exist locally: it moves to 03:30 (07:30 UTC).
    gap = dose_instants(frequency="once_daily", times_of_day=["02:30"], interval_hours=None,
                        start_date=dt.date(2026, 3, 8), duration_days=1, time_zone="America/New_York")
    assert gap == [utc(2026, 3, 8, 7, 30)]
    assert gap[0].astimezone(ny).strftime("%H:%M") == "03:30"
    # 2026-11-01: 01:30 happens twice; the dose is sent once, at the first (EDT, 05:30 UTC).
    fold = dose_instants(frequency="once_daily", times_of_day=["01:30"], interval_hours=None,
                         start_date=dt.date(2026, 11, 1), duration_days=1, time_zone="America/New_York")
    assert fold == [utc(2026, 11, 1, 5, 30)]


def test_every_n_hours_counts_elapsed_time_across_dst():
    # Europe/Berlin springs forward on 2026-03-29 at 02:00. 8-hourly from 22:00 local on the 28th.
    got = dose_instants(frequency="every_n_hours", times_of_day=["22:00"], interval_hours=8,
                        start_date=dt.date(2026, 3, 28), duration_days=2, time_zone="Europe/Berlin")
    gaps = {b - a for a, b in zip(got, got[1:], strict=False)}
    assert gaps == {dt.timedelta(hours=8)}
    assert got[0] == utc(2026, 3, 28, 21)
    # course ends at local midnight after 2 days (2026-03-30 00:00 CEST = 03-29 22:00 UTC)
    assert got[-1] < utc(2026, 3, 29, 22)
    assert len(got) == 4


def test_as_needed_has_no_reminders():
    assert dose_instants(frequency="as_needed", times_of_day=[], interval_hours=None,
                         start_date=dt.date(2026, 1, 1), duration_days=5, time_zone="UTC") == []


@pytest.fixture
def rx_item(db):  # type: ignore[no-untyped-def]
    encounter = EncounterFactory()
    rx = prescription_create(doctor=encounter.doctor, encounter_id=encounter.pk, items=[item_data(DrugFactory())])
    return rx.items.get()


def _due(item, n=2):  # type: ignore[no-untyped-def]
    """Move the first n doses of the item into the past (as if time had passed)."""
    doses = list(DoseReminder.objects.filter(item=item).order_by("scheduled_at")[:n])
    for k, d in enumerate(doses):
        d.scheduled_at = timezone.now() - dt.timedelta(minutes=30 + k)
        d.save(update_fields=["scheduled_at"])
    return doses


@pytest.mark.django_db(transaction=True)
def test_dispense_hook_is_idempotent(rx_item):
    before = DoseReminder.objects.filter(item=rx_item).count()
    assert reminders.reminders_schedule_for_dispense(prescription_item_id=rx_item.pk, dispensed_at=timezone.now()) == 0
    DoseReminder.objects.filter(item=rx_item).delete()
    created = reminders.reminders_schedule_for_dispense(prescription_item_id=rx_item.pk, dispensed_at=timezone.now())
    assert created == before == 10
    assert reminders.reminders_schedule_for_dispense(prescription_item_id=rx_item.pk, dispensed_at=timezone.now()) == 0
    with pytest.raises(NotFound):
        reminders.reminders_schedule_for_dispense(prescription_item_id=999999, dispensed_at=timezone.now())


@pytest.mark.django_db(transaction=True)
def test_send_due_sends_each_dose_exactly_once(rx_item):
    doses = _due(rx_item, 2)
    mail.outbox.clear()
    assert reminders_send_due() == 2
    assert reminders_send_due() == 0  # a second beat finds nothing
    keys = set(Notification.objects.filter(kind="dose_reminder").values_list("dedupe_key", flat=True))
    assert keys == {f"dose:{d.pk}" for d in doses}
    assert OutboundEmail.objects.filter(subject__startswith="Time for your medicine").count() == 2
    assert set(DoseReminder.objects.filter(item=rx_item).values_list("status", flat=True)) == {"sent", "scheduled"}
    assert DoseReminder.objects.filter(item=rx_item, status="sent").count() == 2


@pytest.mark.django_db(transaction=True)
def test_crash_mid_batch_sends_nothing_then_everything_once(rx_item):
    _due(rx_item, 2)
    real_notify_many = reminders.notify_many

    def crash_after_writing(**kwargs):  # type: ignore[no-untyped-def]
        real_notify_many(**kwargs)  # notifications and e-mails written …
        raise RuntimeError("worker killed")  # … then the worker dies before the commit

    with mock.patch.object(reminders, "notify_many", side_effect=crash_after_writing), pytest.raises(RuntimeError):
        reminders_send_due()
    # The whole batch rolled back: nothing sent, nothing marked.
    assert Notification.objects.filter(kind="dose_reminder").count() == 0
    assert OutboundEmail.objects.filter(subject__startswith="Time for your medicine").count() == 0
    assert DoseReminder.objects.filter(status="sent").count() == 0
    assert reminders_send_due() == 2
    assert reminders_send_due() == 0
    assert Notification.objects.filter(kind="dose_reminder").count() == 2


@pytest.mark.django_db(transaction=True)
def test_answers_missed_and_adherence(rx_item):
    patient = rx_item.prescription.patient
    d1, d2, d3 = _due(rx_item, 3)
    assert adherence_for_patient(actor=patient, patient=patient).rate is None
    reminders_send_due()
    dose_respond(dose_id=d1.pk, patient=patient, taken=True)
    dose_respond(dose_id=d2.pk, patient=patient, taken=False)
    with pytest.raises(ApplicationError):
        dose_respond(dose_id=d1.pk, patient=patient, taken=False)  # already answered
    with pytest.raises(NotFound):
        dose_respond(dose_id=d3.pk, patient=PatientFactory(), taken=True)
    # d3 was reminded and never answered: missed once the grace period has passed.
    assert reminders_mark_missed() == 0
    assert reminders_mark_missed(now=timezone.now() + dt.timedelta(hours=3)) == 1
    a = adherence_for_patient(actor=patient, patient=patient)
    assert (a.taken, a.skipped, a.missed, a.due, a.percent) == (1, 1, 1, 3, 33)
    assert adherence_by_item(actor=patient, patient=patient)[rx_item.pk].percent == 33
    # a missed dose can still be marked taken late (within 24 h): 2 of 3
    dose_respond(dose_id=d3.pk, patient=patient, taken=True)
    assert adherence_for_patient(actor=patient, patient=patient).percent == 67
    future = DoseReminder.objects.filter(item=rx_item, status="scheduled").order_by("-scheduled_at").first()
    with pytest.raises(ApplicationError):
        dose_respond(dose_id=future.pk, patient=patient, taken=True)


@pytest.mark.django_db(transaction=True)
def test_pause_resume_and_change_times(rx_item):
    patient = rx_item.prescription.patient
    reminders.reminder_plan_pause(item_id=rx_item.pk, patient=patient, paused=True)
    assert DoseReminder.objects.filter(item=rx_item).count() == 0
    reminders.reminder_plan_pause(item_id=rx_item.pk, patient=patient, paused=False)
    assert DoseReminder.objects.filter(item=rx_item).count() == 10
    reminders.reminder_plan_change_times(item_id=rx_item.pk, patient=patient, times_of_day=["07:30", "19:30"])
    tz = ZoneInfo(patient.time_zone)
    local = {d.astimezone(tz).strftime("%H:%M") for d in DoseReminder.objects.filter(item=rx_item)
             .values_list("scheduled_at", flat=True)}
    assert local == {"07:30", "19:30"}
    with pytest.raises(ApplicationError):
        reminders.reminder_plan_change_times(item_id=rx_item.pk, patient=patient, times_of_day=["07:30"])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_concurrently_send_each_dose_once(rx_item):
    """Two threads run the sweep at once with small batches: SKIP LOCKED splits the rows, none is sent twice."""
    _due(rx_item, 10)
    counts: list[int] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            barrier.wait()
            counts.append(reminders_send_due(batch_size=2))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == 10
    assert DoseReminder.objects.filter(status="sent").count() == 10
    keys = list(Notification.objects.filter(kind="dose_reminder").values_list("dedupe_key", flat=True))
    assert len(keys) == len(set(keys)) == 10


@pytest.mark.django_db(transaction=True)
def test_pausing_stops_a_due_but_unsent_dose(rx_item):
    patient = rx_item.prescription.patient
    (due,) = _due(rx_item, 1)
    reminders.reminder_plan_pause(item_id=rx_item.pk, patient=patient, paused=True)
    assert reminders_send_due() == 0
    assert not DoseReminder.objects.filter(pk=due.pk).exists()
    assert Notification.objects.filter(kind="dose_reminder").count() == 0
