"""Schedules -> slots (idempotent), leave days, reminders exactly once (re-run, crash), waitlist holds."""
from __future__ import annotations

from datetime import date, time, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from accounts.models import Notification, OutboundEmail
from consult import tasks
from consult.models import AppointmentReminder, Slot, WaitlistEntry
from consult.services import booking
from consult.services.booking import appointment_book, appointment_cancel, reminders_send_due
from consult.services.schedules import leave_add, schedule_add, schedule_remove, slots_generate
from consult.services.waitlist import waitlist_expire_offers, waitlist_join
from core.errors import Conflict
from tests.consult.factories import SlotFactory
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo(settings.TIME_ZONE)


def _next(weekday: int) -> date:
    today = timezone.localdate(timezone=TZ)
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


def test_schedule_generates_slots_and_second_run_creates_none(doctor):
    schedule_add(doctor=doctor, weekday=0, start_time=time(9), end_time=time(11), slot_minutes=30, kind="in_person")
    # 4 slots a Monday; 28 days ahead covers 4 or 5 Mondays (today excluded if it is past 9:00 already).
    created_first = Slot.objects.filter(doctor=doctor).count()
    assert created_first in (16, 20)
    monday = _next(0)
    starts = sorted(s.start.astimezone(TZ).time() for s in Slot.objects.filter(doctor=doctor)
                    if s.start.astimezone(TZ).date() == monday)
    assert starts == [time(9), time(9, 30), time(10), time(10, 30)]
    assert {s.kind for s in Slot.objects.filter(doctor=doctor)} == {"in_person"}

    assert slots_generate() == 0
    assert tasks.slots_generate.delay().get() == 0
    assert Slot.objects.filter(doctor=doctor).count() == created_first


def test_overlapping_schedule_refused(doctor):
    schedule_add(doctor=doctor, weekday=2, start_time=time(9), end_time=time(11))
    count = Slot.objects.count()
    with pytest.raises(Conflict):
        schedule_add(doctor=doctor, weekday=2, start_time=time(10), end_time=time(12))
    assert Slot.objects.count() == count


def test_leave_day_blocks_free_slots_and_is_skipped(doctor):
    tuesday = _next(1)
    leave_add(doctor=doctor, day=tuesday, reason="Conference")
    schedule_add(doctor=doctor, weekday=1, start_time=time(14), end_time=time(15), slot_minutes=20)
    days = {s.start.astimezone(TZ).date() for s in Slot.objects.filter(doctor=doctor)}
    assert tuesday not in days
    assert tuesday + timedelta(days=7) in days


def test_leave_blocks_existing_free_slots_but_keeps_booked(doctor, patient):
    schedule_add(doctor=doctor, weekday=3, start_time=time(9), end_time=time(10), slot_minutes=30)
    thursday = _next(3)
    day_slots = [s for s in Slot.objects.filter(doctor=doctor) if s.start.astimezone(TZ).date() == thursday]
    appointment_book(booked_by=patient, patient=patient, slot_id=day_slots[0].pk, reason="x")
    leave_add(doctor=doctor, day=thursday)
    assert [Slot.objects.get(pk=s.pk).is_blocked for s in day_slots] == [False, True]


def test_schedule_remove_deletes_unbooked_future_slots(doctor):
    s = schedule_add(doctor=doctor, weekday=4, start_time=time(9), end_time=time(10), slot_minutes=30)
    n = Slot.objects.filter(doctor=doctor).count()
    assert schedule_remove(doctor=doctor, schedule_id=s.pk) == n
    assert Slot.objects.filter(doctor=doctor).count() == 0
    assert slots_generate() == 0


def _due_reminder_setup(patient):
    slot = SlotFactory(start=timezone.now() + timedelta(days=2))
    appointment = appointment_book(booked_by=patient, patient=patient, slot_id=slot.pk, reason="Cough")
    return appointment, slot.start - timedelta(days=1) + timedelta(minutes=1)


def test_reminders_sent_once_when_run_twice(patient):
    appointment, at = _due_reminder_setup(patient)
    assert reminders_send_due(now=at) == 1
    assert reminders_send_due(now=at) == 0
    assert reminders_send_due(now=at + timedelta(minutes=5)) == 0
    assert Notification.objects.filter(user=patient, kind="appointment_reminder").count() == 1
    assert OutboundEmail.objects.filter(subject__startswith="Reminder").count() == 1
    # The hour-before reminder goes once too, later.
    hour_at = appointment.start - timedelta(minutes=59)
    assert reminders_send_due(now=hour_at) == 1
    assert reminders_send_due(now=hour_at) == 0
    assert Notification.objects.filter(user=patient, kind="appointment_reminder").count() == 2
    assert set(AppointmentReminder.objects.values_list("kind", flat=True).filter(sent_at__isnull=False)) == {"day", "hour"}


def test_reminder_crash_between_sending_and_marking_sends_once(patient):
    _, at = _due_reminder_setup(patient)
    with mock.patch.object(booking, "_mark_reminder_sent", side_effect=RuntimeError("worker killed")), \
            pytest.raises(RuntimeError):
        reminders_send_due(now=at)
    # The notification was committed, the reminder is still unmarked: exactly the crash window.
    assert Notification.objects.filter(kind="appointment_reminder").count() == 1
    assert AppointmentReminder.objects.filter(kind="day", sent_at__isnull=True).count() == 1

    assert reminders_send_due(now=at) == 0  # the restarted worker sends nothing new, only marks it
    assert Notification.objects.filter(kind="appointment_reminder").count() == 1
    assert OutboundEmail.objects.filter(subject__startswith="Reminder").count() == 1
    assert AppointmentReminder.objects.filter(kind="day", sent_at__isnull=True).count() == 0


def test_no_reminder_for_cancelled_appointment(patient):
    appointment, at = _due_reminder_setup(patient)
    appointment_cancel(user=patient, appointment_id=appointment.pk)
    assert reminders_send_due(now=at) == 0
    assert Notification.objects.filter(kind="appointment_reminder").count() == 0
    assert len(mail.outbox) == 0


def test_waitlist_offer_hold_then_next(patient, settings):
    settings.CONSULT_WAITLIST_HOLD_MINUTES = 30
    slot = SlotFactory(start=timezone.now() + timedelta(days=3))
    appointment = appointment_book(booked_by=patient, patient=patient, slot_id=slot.pk, reason="Cough")
    first, second, outsider = PatientFactory(), PatientFactory(), PatientFactory()
    e1 = waitlist_join(user=first, patient=first, doctor_id=slot.doctor_id, reason="Rash")
    e2 = waitlist_join(user=second, patient=second, doctor_id=slot.doctor_id, reason="Fever")
    with pytest.raises(Conflict):
        waitlist_join(user=first, patient=first, doctor_id=slot.doctor_id, reason="again")

    now = timezone.now()
    appointment_cancel(user=patient, appointment_id=appointment.pk, now=now)
    e1.refresh_from_db()
    slot.refresh_from_db()
    assert (e1.status, e1.offered_slot_id, slot.held_for_id) == ("offered", slot.pk, first.pk)
    assert Notification.objects.filter(user=first, kind="waitlist_offer").count() == 1
    # Held: someone else cannot take it.
    with pytest.raises(Conflict) as exc:
        appointment_book(booked_by=outsider, patient=outsider, slot_id=slot.pk, reason="x", now=now)
    assert exc.value.code == "slot_held"

    # The hold lapses: the offer expires and goes to the next patient, who books it.
    assert waitlist_expire_offers(now=now + timedelta(minutes=31)) == 1
    e1.refresh_from_db()
    e2.refresh_from_db()
    assert (e1.status, e2.status) == ("expired", "offered")
    booked = appointment_book(booked_by=second, patient=second, slot_id=slot.pk, reason="Fever",
                              now=now + timedelta(minutes=32))
    e2.refresh_from_db()
    slot.refresh_from_db()
    assert (e2.status, e2.appointment_id, slot.held_for_id) == ("booked", booked.pk, None)
    assert WaitlistEntry.objects.filter(status="waiting").count() == 0
