"""Paying an unpaid booking, and releasing the holds nobody paid (the periodic task).

Lock order as in booking.py: slot -> appointment. Paying locks only the appointment row; the release sweep
locks the slot, then the appointment with SKIP LOCKED, so a patient paying at this moment (who holds the
appointment row) wins and the sweep passes on.
"""
from __future__ import annotations

import re
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_record
from core.errors import ApplicationError, Conflict
from core.payments import ChargeRequest, payment_provider

from ..models import Appointment, AppointmentPayment, AppointmentReminder, AppointmentStatus, Slot
from .booking import _free_slot, _reminders, appointment_for_patient_side
from .care import care_refresh

KEY_FORMAT = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def appointment_pay(*, user: User, appointment_id: int, idempotency_key: str,
                    now: datetime | None = None) -> Appointment:
    """Pay an appointment awaiting payment through the platform's provider; it is then booked.

    `idempotency_key` comes with the request (the pay form carries one): the same key again answers with the
    same paid appointment and charges nothing. Raises NotFound (not the user's), ApplicationError (bad key,
    the provider declined), Conflict (not awaiting payment, already paid under another key, hold expired).
    """
    appointment_for_patient_side(user=user, appointment_id=appointment_id)  # someone else's: 404 + audit, first
    key = str(idempotency_key or "")
    if not KEY_FORMAT.match(key):
        raise ApplicationError(_("The payment request is not valid. Please reload the page."), code="bad_key")
    with transaction.atomic():
        return _pay_locked(user=user, appointment_id=appointment_id, key=key, now=now or timezone.now())


def _pay_locked(*, user: User, appointment_id: int, key: str, now: datetime) -> Appointment:
    # Row lock: a double submit (or two tabs) queues here; the second sees the first one's payment below.
    appointment = Appointment.objects.select_for_update(of=("self",)).select_related("patient").get(pk=appointment_id)
    done = AppointmentPayment.objects.filter(idempotency_key=key).values_list("appointment_id", flat=True).first()
    if done is not None:
        if done == appointment.pk:
            return appointment  # the same request again: already paid, nothing charged
        raise Conflict(_("This payment request was already used."), code="key_reused")
    if appointment.status != AppointmentStatus.PENDING_PAYMENT:
        raise Conflict(_("This appointment is not awaiting payment."), code="not_payable")
    if appointment.hold_expires_at <= now:
        raise Conflict(_("The time to pay has run out and the slot was released. Please book again."),
                       code="hold_expired")
    provider = payment_provider()
    # The gateway's key is the appointment's, not the request's: two different requests never charge twice.
    reference = provider.charge(request=ChargeRequest(
        key=f"appointment-{appointment.pk}", amount=appointment.fee,
        description=_("Appointment %(id)s") % {"id": appointment.pk}))
    try:
        # Savepoint: the OneToOne (one payment per appointment) and the unique key are the backstop.
        with transaction.atomic():
            payment = AppointmentPayment.objects.create(appointment=appointment, provider=provider.code,
                                                        amount=appointment.fee, idempotency_key=key,
                                                        reference=reference[:100])
    except IntegrityError:
        raise Conflict(_("This appointment is already paid."), code="already_paid") from None
    appointment.status, appointment.paid_at, appointment.hold_expires_at = AppointmentStatus.BOOKED, now, None
    appointment.save(update_fields=["status", "paid_at", "hold_expires_at", "updated_at"])
    AppointmentReminder.objects.bulk_create(_reminders(appointment, now))
    audit_record(actor=user, action="create", object_type="consult.appointment_payment", object_id=payment.pk,
                 subject=appointment.patient, detail={"appointment": appointment.pk, "amount": str(payment.amount)})
    return appointment


def appointment_holds_release(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """Periodic: cancel the bookings whose payment hold ran out, free their slots and offer each slot to the
    doctor's waitlist. Each appointment is its own transaction; safe to run twice. Returns how many."""
    now = now or timezone.now()
    released = 0
    due = list(Appointment.objects.filter(status=AppointmentStatus.PENDING_PAYMENT, hold_expires_at__lte=now)
               .order_by("hold_expires_at", "pk").values_list("pk", "slot_id")[:batch_size])
    for appointment_id, slot_id in due:
        with transaction.atomic():
            released += _release_one(appointment_id=appointment_id, slot_id=slot_id, now=now)
    return released


def _release_one(*, appointment_id: int, slot_id: int, now: datetime) -> int:
    # Slot first, then the appointment (the lock order of booking and cancelling); SKIP LOCKED on both: a
    # booking, a cancellation or a payment in progress wins, and the next run looks again.
    if not Slot.objects.select_for_update(skip_locked=True).filter(pk=slot_id).exists():
        return 0
    appointment = (Appointment.objects.select_for_update(skip_locked=True).select_related("slot")
                   .filter(pk=appointment_id, status=AppointmentStatus.PENDING_PAYMENT, hold_expires_at__lte=now)
                   .first())
    if appointment is None:
        return 0
    appointment.status, appointment.cancelled_at = AppointmentStatus.CANCELLED, now
    appointment.cancel_reason = "payment_timeout"
    appointment.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    care_refresh(patient_id=appointment.patient_id, doctor_id=appointment.doctor_id)
    _free_slot(appointment, now=now)
    return 1
