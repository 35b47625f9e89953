"""Booking rules: book, refusals (nothing written), overlap, family, cancel/reschedule cut-off, doctor cancel."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import AuditEvent, Notification, OutboundEmail, Relationship
from accounts.services import family_member_add
from consult.models import (
    Appointment,
    AppointmentReminder,
    AppointmentStatus,
    ConsultationThread,
    Slot,
    SlotKind,
)
from consult.services.booking import (
    appointment_book,
    appointment_cancel,
    appointment_confirmations_send,
    appointment_doctor_cancel,
    appointment_reschedule,
    appointment_set_status,
)
from core.errors import ApplicationError, Conflict, NotFound, PermissionDeniedError
from tests.consult.factories import AppointmentFactory, SlotFactory
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_book_happy_path_writes_appointment_reminders_and_thread(patient):
    slot = SlotFactory(kind=SlotKind.ONLINE)

    appointment = appointment_book(booked_by=patient, patient=patient, slot_id=slot.pk, reason="Cough",
                                   symptoms="Dry cough for a week")

    assert Appointment.objects.get() == appointment
    assert (appointment.slot, appointment.patient, appointment.booked_by, appointment.doctor) == (
        slot, patient, patient, slot.doctor)
    assert (appointment.start, appointment.end, appointment.kind, appointment.status) == (
        slot.start, slot.end, "online", "booked")
    reminders = {r.kind: r.due_at for r in AppointmentReminder.objects.filter(appointment=appointment)}
    assert reminders == {"day": slot.start - timedelta(days=1), "hour": slot.start - timedelta(hours=1)}
    assert ConsultationThread.objects.filter(appointment=appointment, status="open").count() == 1


def test_booking_is_confirmed_once_in_app_and_by_email(patient, django_capture_on_commit_callbacks, mailoutbox):
    # Given a committed booking: the request itself writes no confirmation
    slot = SlotFactory(kind=SlotKind.IN_PERSON)
    appointment = appointment_book(booked_by=patient, patient=patient, slot_id=slot.pk, reason="Cough")
    assert Notification.objects.count() == 0

    # When the periodic sender runs (twice: the second run finds nothing to do)
    with django_capture_on_commit_callbacks(execute=True):
        assert appointment_confirmations_send() == 1
    assert appointment_confirmations_send() == 0

    # Then exactly one confirmation, to the patient, keyed by appointment and person, and its e-mail left
    note = Notification.objects.get()
    when = timezone.localtime(slot.start).strftime("%Y-%m-%d %H:%M")
    assert (note.user, note.kind, note.dedupe_key, note.url) == (
        patient, "appointment_booked", f"consult:booked:{appointment.pk}:{patient.pk}",
        f"/appointments/{appointment.pk}/")
    assert note.title == f"Appointment booked: {when} with {slot.doctor.display_name}"
    assert note.body == f"{patient.display_name}, In person. Reason: Cough"
    assert [(m.subject, m.to) for m in mailoutbox] == [(note.title, [patient.email])]


def test_family_booking_is_confirmed_to_the_booker_not_the_managed_member(patient):
    child = family_member_add(principal=patient, full_name="Demo Child", relationship=Relationship.CHILD)
    appointment = appointment_book(booked_by=patient, patient=child, slot_id=SlotFactory().pk, reason="Fever")
    assert appointment_confirmations_send() == 1
    assert list(Notification.objects.values_list("user", "dedupe_key")) == [
        (patient.pk, f"consult:booked:{appointment.pk}:{patient.pk}")]
    assert Notification.objects.get().body.startswith("Demo Child, ")
    assert list(OutboundEmail.objects.values_list("to", flat=True)) == [[patient.email]]


def test_booking_confirmation_in_the_bookers_language(patient):
    patient.preferred_language = "zh-hans"
    patient.save(update_fields=["preferred_language"])
    appointment_book(booked_by=patient, patient=patient, slot_id=SlotFactory().pk, reason="Cough")
    appointment_confirmations_send()
    assert Notification.objects.get().title.startswith("预约成功")


def test_no_confirmation_for_cancelled_past_or_old_bookings(patient):
    # Given a booking cancelled before the sender ran, one that starts in 3 hours, one in 5 days
    cancelled = appointment_book(booked_by=patient, patient=patient, slot_id=SlotFactory().pk, reason="Rash")
    appointment_cancel(user=patient, appointment_id=cancelled.pk)
    soon = SlotFactory(start=timezone.now() + timedelta(hours=3))
    appointment_book(booked_by=patient, patient=patient, slot_id=soon.pk, reason="Cough")
    later = SlotFactory(start=timezone.now() + timedelta(days=5))
    kept = appointment_book(booked_by=patient, patient=patient, slot_id=later.pk, reason="Check-up")
    # When the sender first runs two days later (past its one-day window), nothing is confirmed
    assert appointment_confirmations_send(now=timezone.now() + timedelta(days=2), window=timedelta(days=1)) == 0
    # Then run after the 3-hour one started, only the one still ahead is confirmed (never the cancelled one)
    assert appointment_confirmations_send(now=soon.start + timedelta(minutes=1)) == 1
    assert list(Notification.objects.values_list("dedupe_key", flat=True)) == [
        f"consult:booked:{kept.pk}:{patient.pk}"]


def test_in_person_booking_has_no_thread(patient):
    slot = SlotFactory(kind=SlotKind.IN_PERSON)
    appointment_book(booked_by=patient, patient=patient, slot_id=slot.pk, reason="Check-up")
    assert ConsultationThread.objects.count() == 0


def _nothing_written():
    return (Appointment.objects.count(), AppointmentReminder.objects.count(), ConsultationThread.objects.count(),
            Notification.objects.count(), OutboundEmail.objects.count())


def test_taken_slot_is_refused_and_nothing_written(patient):
    existing = AppointmentFactory()
    before = _nothing_written()
    with pytest.raises(Conflict) as exc:
        appointment_book(booked_by=patient, patient=patient, slot_id=existing.slot_id, reason="Cough")
    assert exc.value.code == "slot_taken"
    assert _nothing_written() == before


def test_past_slot_is_refused(patient):
    slot = SlotFactory(start=timezone.now() - timedelta(hours=1))
    with pytest.raises(ApplicationError) as exc:
        appointment_book(booked_by=patient, patient=patient, slot_id=slot.pk, reason="Cough")
    assert exc.value.code == "slot_past"
    assert _nothing_written() == (0, 0, 0, 0, 0)


def test_missing_slot_is_not_found(patient):
    with pytest.raises(NotFound):
        appointment_book(booked_by=patient, patient=patient, slot_id=987654, reason="Cough")
    assert _nothing_written() == (0, 0, 0, 0, 0)


def test_blocked_slot_and_empty_reason_refused(patient):
    slot = SlotFactory(is_blocked=True)
    with pytest.raises(Conflict):
        appointment_book(booked_by=patient, patient=patient, slot_id=slot.pk, reason="Cough")
    with pytest.raises(ApplicationError):
        appointment_book(booked_by=patient, patient=patient, slot_id=SlotFactory().pk, reason="  ")
    assert _nothing_written() == (0, 0, 0, 0, 0)


def test_doctor_cannot_book(doctor):
    with pytest.raises(PermissionDeniedError):
        appointment_book(booked_by=doctor, patient=doctor, slot_id=SlotFactory().pk, reason="x")


def test_cancelled_slot_can_be_booked_again(patient):
    old = AppointmentFactory(status=AppointmentStatus.CANCELLED)
    new = appointment_book(booked_by=patient, patient=patient, slot_id=old.slot_id, reason="Cough")
    assert Appointment.objects.filter(slot=old.slot).exclude(status="cancelled").get() == new


def test_patient_cannot_hold_overlapping_appointments(patient):
    first = SlotFactory()
    other_doctor_same_time = SlotFactory(start=first.start + timedelta(minutes=10), end=first.end + timedelta(minutes=10))
    appointment_book(booked_by=patient, patient=patient, slot_id=first.pk, reason="Cough")
    with pytest.raises(Conflict) as exc:
        appointment_book(booked_by=patient, patient=patient, slot_id=other_doctor_same_time.pk, reason="Rash")
    assert exc.value.code == "overlap"
    assert Appointment.objects.count() == 1


def test_book_for_family_member_but_not_for_a_stranger(patient):
    child = family_member_add(principal=patient, full_name="Demo Child", relationship=Relationship.CHILD)
    appointment = appointment_book(booked_by=patient, patient=child, slot_id=SlotFactory().pk, reason="Fever")
    assert (appointment.patient, appointment.booked_by) == (child, patient)

    stranger = PatientFactory()
    with pytest.raises(NotFound):
        appointment_book(booked_by=patient, patient=stranger, slot_id=SlotFactory().pk, reason="Fever")
    assert Appointment.objects.count() == 1
    assert AuditEvent.objects.filter(action="denied", object_type="appointment", subject=stranger).count() == 1


def test_cancel_before_cutoff_frees_slot(patient):
    slot = SlotFactory(start=timezone.now() + timedelta(days=1))
    appointment = appointment_book(booked_by=patient, patient=patient, slot_id=slot.pk, reason="Cough")
    appointment_cancel(user=patient, appointment_id=appointment.pk, reason="Feeling better")
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason, appointment.cancelled_by) == ("cancelled", "Feeling better",
                                                                                          patient)
    assert AppointmentReminder.objects.filter(appointment=appointment).count() == 0
    other = PatientFactory()
    assert appointment_book(booked_by=other, patient=other, slot_id=slot.pk, reason="Rash").status == "booked"


def test_cancel_after_cutoff_is_refused(patient, settings):
    settings.CONSULT_CHANGE_CUTOFF_MINUTES = 120
    slot = SlotFactory(start=timezone.now() + timedelta(minutes=90))
    appointment = appointment_book(booked_by=patient, patient=patient, slot_id=slot.pk, reason="Cough")
    with pytest.raises(ApplicationError) as exc:
        appointment_cancel(user=patient, appointment_id=appointment.pk)
    assert exc.value.code == "cutoff"
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_someone_elses_appointment_cannot_be_cancelled(patient):
    appointment = AppointmentFactory()
    with pytest.raises(NotFound):
        appointment_cancel(user=patient, appointment_id=appointment.pk)
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_reschedule_moves_and_failure_changes_nothing(patient):
    doctor_slot = SlotFactory()
    later = SlotFactory(doctor=doctor_slot.doctor)
    taken = AppointmentFactory(slot=SlotFactory(doctor=doctor_slot.doctor))
    appointment = appointment_book(booked_by=patient, patient=patient, slot_id=doctor_slot.pk, reason="Cough")

    with pytest.raises(Conflict):
        appointment_reschedule(user=patient, appointment_id=appointment.pk, new_slot_id=taken.slot_id)
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    assert Appointment.objects.filter(patient=patient).count() == 1

    new = appointment_reschedule(user=patient, appointment_id=appointment.pk, new_slot_id=later.pk)
    appointment.refresh_from_db()
    assert (appointment.status, new.slot, new.status, new.reason) == ("cancelled", later, "booked", "Cough")


def test_doctor_cancel_needs_reason_and_tells_patient(patient):
    appointment = appointment_book(booked_by=patient, patient=patient, slot_id=SlotFactory().pk, reason="Cough")
    doctor = appointment.doctor
    with pytest.raises(ApplicationError):
        appointment_doctor_cancel(doctor=doctor, appointment_id=appointment.pk, reason="")
    appointment.refresh_from_db()
    assert appointment.status == "booked"

    appointment_doctor_cancel(doctor=doctor, appointment_id=appointment.pk, reason="Called to the ward")
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason, appointment.cancelled_by) == (
        "cancelled", "Called to the ward", doctor)
    assert Slot.objects.get(pk=appointment.slot_id).is_blocked is True
    note = Notification.objects.get(user=patient, kind="appointment_cancelled")
    assert "Called to the ward" in note.body


def test_other_doctor_cannot_cancel_or_change_status(patient):
    from tests.factories import DoctorFactory

    appointment = AppointmentFactory()
    other = DoctorFactory()
    with pytest.raises(NotFound):
        appointment_doctor_cancel(doctor=other, appointment_id=appointment.pk, reason="x")
    with pytest.raises(NotFound):
        appointment_set_status(doctor=other, appointment_id=appointment.pk, action="check_in")
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_status_flow(patient):
    appointment = AppointmentFactory()
    for action, expected in (("check_in", "checked_in"), ("start", "in_progress"), ("complete", "completed")):
        assert appointment_set_status(doctor=appointment.doctor, appointment_id=appointment.pk,
                                      action=action).status == expected
    with pytest.raises(Conflict):
        appointment_set_status(doctor=appointment.doctor, appointment_id=appointment.pk, action="check_in")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_bookings_of_one_slot_yield_exactly_one():
    slot = SlotFactory()
    patients = [PatientFactory() for _ in range(50)]
    barrier = threading.Barrier(50)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(p):  # type: ignore[no-untyped-def]
        try:
            barrier.wait(timeout=30)
            appointment_book(booked_by=p, patient=p, slot_id=slot.pk, reason="Race")
            result = "ok"
        except Conflict as exc:
            result = exc.code
        except Exception as exc:  # noqa: BLE001 - any other error is a test failure, recorded as such
            result = f"error {type(exc).__name__}: {exc}"
        finally:
            connection.close()  # each thread had its own connection
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(p,)) for p in patients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sorted(set(outcomes)) == ["ok", "slot_taken"]
    assert outcomes.count("ok") == 1
    assert outcomes.count("slot_taken") == 49
    assert Appointment.objects.filter(slot=slot).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_confirmation_senders_at_once_confirm_each_booking_once():
    # Given 6 committed bookings by 6 patients
    made = []
    for _ in range(6):
        p = PatientFactory()
        made.append(appointment_book(booked_by=p, patient=p, slot_id=SlotFactory().pk, reason="Cough"))
    barrier = threading.Barrier(2)
    results: list[object] = []

    def sender():  # type: ignore[no-untyped-def]
        try:
            barrier.wait(timeout=30)
            results.append(appointment_confirmations_send(batch_size=2))
        except Exception as exc:  # noqa: BLE001 - recorded, the assertion below shows it
            results.append(exc)
        finally:
            connection.close()

    # When two workers run the sender at the same moment (small batches, so they interleave)
    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    # Then every booking is confirmed exactly once, with one e-mail each
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 6, results  # type: ignore[arg-type]
    assert sorted(Notification.objects.values_list("dedupe_key", flat=True)) == sorted(
        f"consult:booked:{a.pk}:{a.patient_id}" for a in made)
    assert OutboundEmail.objects.count() == 6
