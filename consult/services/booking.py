"""Booking: book, cancel, reschedule, doctor's cancel and status changes, appointment reminders.

Lock order everywhere: slot -> appointment -> patient. Keeping one order prevents deadlocks between a
booking and a cancellation of the same slot.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import policy
from accounts.models import User
from accounts.services import notify
from core.errors import ApplicationError, Conflict, NotFound

from ..models import (
    ONLINE_KINDS,
    Appointment,
    AppointmentReminder,
    AppointmentStatus,
    ConsultationThread,
    ReminderKind,
    Slot,
    WaitlistEntry,
    WaitlistStatus,
)
from . import payments
from .care import care_contact_record, care_refresh
from .followup import online_booking_check, online_consultation_start_check

OPEN_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.IN_PROGRESS)
# What a patient's new booking may not overlap: their open appointments and their unpaid holds.
CLASH_STATUSES = (AppointmentStatus.PENDING_PAYMENT, *OPEN_STATUSES)
SLOT_TAKEN = gettext_lazy("This slot was just taken by someone else. Please pick another time.")


def change_cutoff() -> timedelta:
    """Patients may cancel or reschedule until this long before the start (CONSULT_CHANGE_CUTOFF_MINUTES)."""
    return timedelta(minutes=getattr(settings, "CONSULT_CHANGE_CUTOFF_MINUTES", 120))


def _lock_slot(slot_id: int) -> Slot:
    # Row lock on the slot: concurrent bookings of one slot queue here, and the second one then sees the
    # first one's appointment. The partial unique index `appointment_one_active_per_slot` is the backstop
    # (it is what still holds on SQLite, which has no row locks).
    try:
        # The doctor comes along in the same query (the response shows their name); only the slot is locked.
        return (Slot.objects.select_related("doctor__doctor_profile").select_for_update(of=("self",))
                .get(pk=slot_id))
    except (Slot.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("This slot does not exist.")) from None


def _check_patient(*, booked_by: User, patient: User) -> None:
    policy.require(policy.acts_for(booked_by, patient.pk), actor=booked_by, object_type="appointment",
                   object_id=patient.pk, action=policy.Action.WRITE, subject=patient,
                   message=_("Patient not found."))


REMINDERS_BEFORE = ((ReminderKind.DAY_BEFORE, timedelta(days=1)), (ReminderKind.HOUR_BEFORE, timedelta(hours=1)))


def _reminders(appointment: Appointment, now: datetime) -> list[AppointmentReminder]:
    """The appointment's reminders still ahead (the day before, the hour before)."""
    return [AppointmentReminder(appointment=appointment, kind=kind.value, due_at=appointment.start - before)
            for kind, before in REMINDERS_BEFORE if appointment.start - before > now]


def booking_check(*, booked_by: User, patient_id: object = None) -> None:
    """Before anything else of a booking request is read: only patients book, and only for themselves or a
    family member they act for (refused and audited otherwise)."""
    policy.require(policy.can(booked_by, "booking.book"), actor=booked_by, object_type="appointment",
                   action=policy.Action.WRITE, status=403, message=_("Only patients can book appointments."))
    if patient_id not in (None, "") and str(patient_id).isdigit() and int(patient_id) != booked_by.pk:
        patient = User.objects.filter(pk=int(patient_id)).first()
        policy.require(policy.acts_for(booked_by, patient.pk) if patient else
                       policy.deny(policy.Reason.NO_SUCH_OBJECT, "patient_side"),
                       actor=booked_by, object_type="appointment", object_id=patient_id, action=policy.Action.WRITE,
                       subject=patient, message=_("Patient not found."))


def appointment_book(
    *, booked_by: User, patient: User, slot_id: int, reason: str, symptoms: str = "",
    follow_up_of: Appointment | None = None, now: datetime | None = None,
) -> Appointment:
    """Book `slot_id` for `patient` (the booker or a family member they act for).

    Raises NotFound (no such slot / patient not actable), ApplicationError (past slot, empty reason),
    Conflict (slot taken, blocked, held for someone else, or overlapping another appointment of the patient).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Please give a reason for the appointment."), extra={"reason": [_("Required.")]})
    # Outside the transaction: the audit entry of a refusal must survive the rollback.
    policy.require(policy.can(booked_by, "booking.book"), actor=booked_by, object_type="appointment",
                   action=policy.Action.WRITE, status=403, message=_("Only patients can book appointments."))
    _check_patient(booked_by=booked_by, patient=patient)
    online_booking_check(booked_by=booked_by, patient=patient, slot_id=slot_id)  # 复诊 only online (issue 20)
    with transaction.atomic():
        return _book_locked(booked_by=booked_by, patient=patient, slot_id=slot_id, reason=reason, symptoms=symptoms,
                            follow_up_of=follow_up_of, now=now or timezone.now())


def _book_locked(*, booked_by: User, patient: User, slot_id: int, reason: str, symptoms: str,
                 follow_up_of: Appointment | None, now: datetime) -> Appointment:
    slot = _lock_slot_for_booking(slot_id)
    if slot.start <= now:
        raise ApplicationError(_("This slot is in the past."), code="slot_past")
    if slot.is_blocked:
        raise Conflict(_("This slot is not available."), code="slot_unavailable")
    if slot.held_until and slot.held_until > now and slot.held_for_id != patient.pk:
        raise Conflict(_("This slot is held for a patient on the waitlist. Please pick another time."),
                       code="slot_held")
    clashes = _lock_patient_and_find_clashes(slot=slot, patient_id=patient.pk)
    if slot.pk in clashes:
        raise Conflict(SLOT_TAKEN, code="slot_taken")
    if clashes:
        raise Conflict(_("You already have an appointment at this time."), code="overlap")
    fee = payments.fee_of(slot.doctor)
    appointment = Appointment(
        slot=slot, patient=patient, booked_by=booked_by, doctor=slot.doctor, start=slot.start,
        end=slot.end, kind=slot.kind, reason=reason[:300], symptoms=symptoms or "", follow_up_of=follow_up_of,
        # With a fee the slot is held until the hold ends, then released (services/payments.py).
        fee=fee, status=AppointmentStatus.PENDING_PAYMENT if fee else AppointmentStatus.BOOKED,
        hold_expires_at=now + payments.payment_hold() if fee else None,
    )
    try:
        # No savepoint: if the index refuses the row, the whole booking transaction is rolled back anyway.
        appointment.save(force_insert=True)
    except IntegrityError:
        raise Conflict(SLOT_TAKEN, code="slot_taken") from None
    if appointment.status == AppointmentStatus.BOOKED:  # an unpaid hold gets its reminders when it is paid
        AppointmentReminder.objects.bulk_create(_reminders(appointment, now))
    if slot.kind in ONLINE_KINDS:  # a video visit keeps its consultation thread beside the video
        ConsultationThread.objects.create(appointment=appointment)
    care_contact_record(patient_id=patient.pk, doctor_id=slot.doctor_id, at=slot.start)
    if slot.held_for_id:
        # The waitlisted patient took their offer (or the hold lapsed and someone else booked).
        WaitlistEntry.objects.filter(offered_slot=slot, status=WaitlistStatus.OFFERED, patient=patient).update(
            status=WaitlistStatus.BOOKED, appointment=appointment
        )
        slot.held_for = None
        slot.held_until = None
        slot.save(update_fields=["held_for", "held_until"])
    # No confirmation is written here: appointment_confirmations_send (every 30 s) confirms committed bookings
    # in batches. A rolled-back booking confirms nothing, and the booking request pays neither for the two
    # inserts and the e-mail nor for queueing a task (~2 ms of CPU each, measured in bench/booking.py).
    return appointment


CONFIRMATION_PREFIX = "consult:booked:"


def _confirmation_key(appointment_id: int, person_id: int) -> str:
    return f"{CONFIRMATION_PREFIX}{appointment_id}:{person_id}"


def appointment_confirmations_send(*, now: datetime | None = None, window: timedelta = timedelta(days=1),
                                   batch_size: int = 500) -> int:
    """Confirm committed bookings (in-app + e-mail, in each person's language), exactly once per person;
    returns how many confirmations this run wrote. Runs every 30 seconds (consult/schedule.py).

    Who: the person who booked, and the patient when that is someone else with a log-in. Which bookings: open,
    still ahead, made within `window`, whose booker has no confirmation yet (the notification's dedupe key,
    one per appointment and person, is the record of what was sent). Each batch row-locks its appointments
    (SKIP LOCKED), so two workers never confirm the same booking; the unique key backs that up.
    """
    now = now or timezone.now()
    written = 0
    for _batch in range(20):  # bounded: 20 batches a run; the next run takes the rest
        fetched, new = _confirmations_batch(now=now, window=window, batch_size=batch_size)
        written += new
        if fetched < batch_size:
            break
    return written


def _confirmations_batch(*, now: datetime, window: timedelta, batch_size: int) -> tuple[int, int]:
    """(appointments fetched, confirmations written). A booking another sender confirmed after this batch's
    query began can still be fetched; notify_many then skips its existing keys (we hold its row lock)."""
    from django.db.models import CharField, Exists, OuterRef, Value
    from django.db.models.functions import Cast, Concat

    from accounts.models import Notification
    from accounts.services import notify_many

    key = Concat(Value(CONFIRMATION_PREFIX), Cast(OuterRef("pk"), CharField()), Value(":"),
                 Cast(OuterRef("booked_by_id"), CharField()), output_field=CharField())
    with transaction.atomic():
        appointments = list(
            Appointment.objects.filter(status__in=OPEN_STATUSES, start__gt=now, created_at__gte=now - window)
            .filter(~Exists(Notification.objects.filter(dedupe_key=key)))
            .select_related("patient", "booked_by", "doctor")
            .select_for_update(of=("self",), skip_locked=True)
            .order_by("created_at")[:batch_size]
        )
        rows = []
        for appointment in appointments:
            recipients = [appointment.booked_by]
            if appointment.patient_id != appointment.booked_by_id and not appointment.patient.is_managed:
                recipients.append(appointment.patient)
            url = reverse("consult:appointment_detail", args=[appointment.pk])
            for person in recipients:
                with translation.override(person.preferred_language or "en"):
                    rows.append({
                        "user_id": person.pk, "kind": "appointment_booked", "url": url,
                        "dedupe_key": _confirmation_key(appointment.pk, person.pk),
                        "email_to": person.email if person.email and not person.is_managed else "",
                        "title": _("Appointment booked: %(when)s with %(doctor)s") % {
                            "when": timezone.localtime(appointment.start).strftime("%Y-%m-%d %H:%M"),
                            "doctor": appointment.doctor.display_name},
                        "body": _("%(patient)s, %(kind)s. Reason: %(reason)s") % {
                            "patient": appointment.patient.display_name, "kind": appointment.get_kind_display(),
                            "reason": appointment.reason},
                    })
        written = notify_many(notifications=rows) if rows else 0
    return len(appointments), written


def _lock_slot_for_booking(slot_id: int) -> Slot:
    """The slot, row-locked (see _lock_slot), with its doctor for the answer (not locked)."""
    try:
        slot_id = int(slot_id)
    except (ValueError, TypeError):
        raise NotFound(_("This slot does not exist.")) from None
    return _lock_slot(slot_id)


def _lock_patient_and_find_clashes(*, slot: Slot, patient_id: int) -> list[int]:
    """Lock the patient's row, then return the slot ids that refuse this booking: an active appointment on
    this slot, or one of the patient's open appointments overlapping it (at most two rows)."""
    if connection.features.has_select_for_update:
        # Lock the patient's row so two bookings of the same patient (two tabs, two family members' phones)
        # cannot both pass the overlap check below. Lock order: slot (above), then patient.
        list(User.objects.select_for_update().filter(pk=patient_id).values_list("pk", flat=True))
    # A new statement, so it sees every booking committed while we waited for the locks.
    taken = Q(slot=slot) & ~Q(status__in=(AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW))
    overlapping = Q(patient_id=patient_id, status__in=CLASH_STATUSES, start__lt=slot.end, end__gt=slot.start)
    return list(Appointment.objects.filter(taken | overlapping).values_list("slot_id", flat=True)[:2])


def appointment_for_patient_side(*, user: User, appointment_id: int) -> Appointment:
    """An appointment of a patient the user acts for, or NotFound (+ audit)."""
    appointment = Appointment.objects.filter(pk=appointment_id).select_related("slot", "doctor", "patient").first()
    decision = (policy.acts_for(user, appointment.patient_id) if appointment is not None
                else policy.deny(policy.Reason.NO_SUCH_OBJECT, "patient_side"))
    policy.require(decision, actor=user, object_type="appointment", object_id=appointment_id,
                   action=policy.Action.WRITE, subject=appointment.patient if appointment else None,
                   message=_("Appointment not found."))
    return appointment


def _free_slot(appointment: Appointment, *, now: datetime) -> None:
    AppointmentReminder.objects.filter(appointment=appointment, sent_at__isnull=True).delete()
    if appointment.slot.start > now + change_cutoff() and not appointment.slot.is_blocked:
        from .waitlist import waitlist_offer_next

        waitlist_offer_next(slot=appointment.slot, now=now)


def appointment_cancel(*, user: User, appointment_id: int, reason: str = "", now: datetime | None = None) -> Appointment:
    """The patient (or who acts for them) cancels, up to the cut-off before the start.

    Raises NotFound, Conflict (already cancelled/finished), ApplicationError (past the cut-off).
    """
    appointment = appointment_for_patient_side(user=user, appointment_id=appointment_id)
    with transaction.atomic():
        return _cancel_locked(user=user, appointment=appointment, reason=reason, now=now or timezone.now())


def _cancel_locked(*, user: User, appointment: Appointment, reason: str, now: datetime,
                   refund: bool = True) -> Appointment:
    _lock_slot(appointment.slot_id)
    appointment = Appointment.objects.select_for_update().select_related("slot").get(pk=appointment.pk)
    if appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.PENDING_PAYMENT):
        raise Conflict(_("This appointment can no longer be changed."), code="not_cancellable")
    if appointment.start - change_cutoff() <= now:
        raise ApplicationError(
            _("Appointments can only be changed up to %(hours)s hours before the start.")
            % {"hours": f"{change_cutoff().total_seconds() / 3600:g}"}, code="cutoff")
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancel_reason = (reason or "").strip()[:300]
    appointment.cancelled_by = user
    appointment.cancelled_at = now
    appointment.save(update_fields=["status", "cancel_reason", "cancelled_by", "cancelled_at", "updated_at"])
    care_refresh(patient_id=appointment.patient_id, doctor_id=appointment.doctor_id)
    if refund:
        payments.refund_on_cancel(appointment=appointment, actor=user, by_doctor=False, now=now)
    _free_slot(appointment, now=now)
    return appointment


def appointment_reschedule(
    *, user: User, appointment_id: int, new_slot_id: int, now: datetime | None = None
) -> Appointment:
    """Move a booked appointment to another slot (same rules as cancel + book); returns the new appointment.

    All or nothing: if the new slot cannot be booked, the old appointment stays as it was.
    """
    now = now or timezone.now()
    old = appointment_for_patient_side(user=user, appointment_id=appointment_id)
    if int(new_slot_id) == old.slot_id:
        raise ApplicationError(_("Please pick a different time."), code="same_slot")
    online_booking_check(booked_by=user, patient=old.patient, slot_id=new_slot_id)  # 复诊 only online (issue 20)
    with transaction.atomic():
        _cancel_locked(user=user, appointment=old, reason="rescheduled", now=now, refund=False)
        new = _book_locked(booked_by=user, patient=old.patient, slot_id=new_slot_id, reason=old.reason,
                           symptoms=old.symptoms, follow_up_of=old.follow_up_of, now=now)
        # What was paid for the old time pays for the new one.
        if payments.payment_carry_over(old=old, new=new, now=now):
            AppointmentReminder.objects.bulk_create(_reminders(new, now))
        return new


def appointment_for_doctor(*, doctor: User, appointment_id: int, lock: bool = False) -> Appointment:
    """The doctor's own appointment; anyone else's (or none) is refused (audited) as not found. Call it
    outside the write transaction first (with lock=False): a refusal inside one would roll its row back."""
    qs = Appointment.objects.filter(pk=appointment_id).select_related("slot", "patient")
    if lock:
        qs = qs.filter(doctor=doctor).select_for_update(of=("self",))
    appointment = qs.first()
    decision = (policy.appointment_doctor(doctor, doctor_id=appointment.doctor_id) if appointment is not None
                else policy.deny(policy.Reason.NO_SUCH_OBJECT, "appointment_doctor"))
    policy.require(decision, actor=doctor, object_type="appointment", object_id=appointment_id,
                   action=policy.Action.WRITE, subject=appointment.patient if appointment else None,
                   message=_("Appointment not found."))
    return appointment


def appointment_doctor_cancel(
    *, doctor: User, appointment_id: int, reason: str, block_slot: bool = True, now: datetime | None = None
) -> Appointment:
    """The doctor cancels with a reason; the patient (and the family member who booked) is told.

    With `block_slot` the time is no longer offered (the doctor is away); otherwise it goes to the waitlist.
    """
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Please tell the patient why the appointment is cancelled."),
                               extra={"reason": [_("Required.")]})
    appointment = appointment_for_doctor(doctor=doctor, appointment_id=appointment_id)
    with transaction.atomic():
        return _doctor_cancel_locked(doctor=doctor, appointment=appointment, reason=reason, block_slot=block_slot,
                                     now=now)


def _doctor_cancel_locked(*, doctor: User, appointment: Appointment, reason: str, block_slot: bool,
                          now: datetime) -> Appointment:
    slot = _lock_slot(appointment.slot_id)
    appointment = Appointment.objects.select_for_update().select_related("slot", "patient", "booked_by").get(
        pk=appointment.pk)
    if appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN,
                                  AppointmentStatus.PENDING_PAYMENT):
        raise Conflict(_("This appointment can no longer be cancelled."), code="not_cancellable")
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancel_reason = reason[:300]
    appointment.cancelled_by = doctor
    appointment.cancelled_at = now
    appointment.save(update_fields=["status", "cancel_reason", "cancelled_by", "cancelled_at", "updated_at"])
    care_refresh(patient_id=appointment.patient_id, doctor_id=appointment.doctor_id)
    payments.refund_on_cancel(appointment=appointment, actor=doctor, by_doctor=True, now=now)
    if block_slot:
        slot.is_blocked = True
        slot.save(update_fields=["is_blocked"])
        appointment.slot = slot
    _free_slot(appointment, now=now)
    url = reverse("consult:appointment_detail", args=[appointment.pk])
    for person in {appointment.patient, appointment.booked_by}:
        with translation.override(person.preferred_language or "en"):
            notify(
                user=person, kind="appointment_cancelled",
                title=_("Your appointment on %(when)s was cancelled by the doctor")
                % {"when": timezone.localtime(appointment.start).strftime("%Y-%m-%d %H:%M")},
                body=_("Reason: %(reason)s") % {"reason": reason}, url=url,
                dedupe_key=f"consult:doctor-cancel:{appointment.pk}:{person.pk}",
            )
    return appointment


STATUS_TRANSITIONS = {
    "check_in": ((AppointmentStatus.BOOKED,), AppointmentStatus.CHECKED_IN),
    "start": ((AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN), AppointmentStatus.IN_PROGRESS),
    "complete": ((AppointmentStatus.IN_PROGRESS, AppointmentStatus.CHECKED_IN, AppointmentStatus.BOOKED),
                 AppointmentStatus.COMPLETED),
    "no_show": ((AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN), AppointmentStatus.NO_SHOW),
}


def appointment_set_status(*, doctor: User, appointment_id: int, action: str) -> Appointment:
    """The doctor moves an appointment through the day: check_in, start, complete, no_show."""
    appointment = appointment_for_doctor(doctor=doctor, appointment_id=appointment_id)
    if action not in STATUS_TRANSITIONS:
        raise ApplicationError(_("Unknown action."), code="bad_action")
    if action == "start":
        online_consultation_start_check(doctor=doctor, appointment=appointment)  # 第二十五条 (issue 20)
    with transaction.atomic():
        appointment = appointment_for_doctor(doctor=doctor, appointment_id=appointment_id, lock=True)
        return _set_status(appointment, action)


def _set_status(appointment: Appointment, action: str) -> Appointment:
    allowed_from, target = STATUS_TRANSITIONS[action]
    if appointment.status not in allowed_from:
        raise Conflict(_("This appointment is %(status)s; that step is not possible now.")
                       % {"status": appointment.get_status_display()}, code="bad_transition")
    appointment.status = target
    appointment.save(update_fields=["status", "updated_at"])
    return appointment


def reminders_send_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send every reminder that is due, exactly once; returns how many were sent by this run.

    Each reminder: notify() with the reminder's dedupe key (the unique index on Notification.dedupe_key
    makes a second notify a no-op), then mark it sent. A crash between the two leaves it unmarked; the
    next run calls notify() again, which sends nothing, and marks it. Two workers at once: the same.
    """
    now = now or timezone.now()
    due = (
        AppointmentReminder.objects.filter(
            sent_at__isnull=True, due_at__lte=now, appointment__status__in=OPEN_STATUSES, appointment__start__gt=now
        )
        .select_related("appointment__patient", "appointment__doctor", "appointment__booked_by")
        .order_by("due_at")[:limit]
    )
    sent = 0
    for reminder in due:
        appointment = reminder.appointment
        recipient = appointment.patient if not appointment.patient.is_managed else appointment.booked_by
        with translation.override(recipient.preferred_language or "en"):
            when = timezone.localtime(appointment.start).strftime("%Y-%m-%d %H:%M")
            title = (_("Reminder: appointment tomorrow at %(when)s") if reminder.kind == ReminderKind.DAY_BEFORE
                     else _("Reminder: appointment in one hour (%(when)s)")) % {"when": when}
            body = _("%(patient)s with %(doctor)s (%(kind)s).") % {
                "patient": appointment.patient.display_name, "doctor": appointment.doctor.display_name,
                "kind": appointment.get_kind_display()}
            result = notify(user=recipient, kind="appointment_reminder", title=title, body=body,
                            url=reverse("consult:appointment_detail", args=[appointment.pk]),
                            dedupe_key=reminder.dedupe_key)
        _mark_reminder_sent(reminder, now)
        sent += result is not None
    return sent


def _mark_reminder_sent(reminder: AppointmentReminder, now: datetime) -> None:
    AppointmentReminder.objects.filter(pk=reminder.pk, sent_at__isnull=True).update(sent_at=now)
