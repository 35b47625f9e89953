"""Appointment fees: the hold of an unpaid booking, the refund rule of a cancellation, the payment of a moved
appointment. Money moves through the platform's one provider (core/payments.py), as for pharmacy orders.

The refund rule (docs/consult.md): a patient who cancels up to CONSULT_REFUND_CUTOFF_HOURS (default 24) before
the start gets the full fee back, later nothing; when the doctor cancels the fee always comes back in full.
Each decision is one AppointmentRefund row (also "no refund"), one per payment: the OneToOne closes the race of
two cancellations refunding twice. Callers hold the appointment's row lock.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings

from accounts.models import User
from accounts.services import audit_record
from core.payments import RefundRequest, payment_provider

from ..models import (
    Appointment,
    AppointmentPayment,
    AppointmentRefund,
    AppointmentStatus,
    PaymentState,
    RefundRule,
)


def payment_hold() -> timedelta:
    """How long a booking with a fee holds its slot unpaid (CONSULT_PAYMENT_HOLD_MINUTES, default 15)."""
    return timedelta(minutes=getattr(settings, "CONSULT_PAYMENT_HOLD_MINUTES", 15))


def refund_cutoff() -> timedelta:
    """A patient's cancellation up to this long before the start is refunded in full (CONSULT_REFUND_CUTOFF_HOURS)."""
    return timedelta(hours=getattr(settings, "CONSULT_REFUND_CUTOFF_HOURS", 24))


def fee_of(doctor: User) -> Decimal:
    """The doctor's consultation fee (0 without a profile: a free visit is booked at once)."""
    profile = getattr(doctor, "doctor_profile", None)
    return Decimal(profile.fee) if profile is not None and profile.fee else Decimal("0.00")


def refund_rule(*, appointment: Appointment, by_doctor: bool, now: datetime) -> str:
    if by_doctor:
        return RefundRule.DOCTOR_CANCELLED
    return RefundRule.BEFORE_CUTOFF if now <= appointment.start - refund_cutoff() else RefundRule.AFTER_CUTOFF


def refund_on_cancel(*, appointment: Appointment, actor: User, by_doctor: bool, now: datetime
                     ) -> AppointmentRefund | None:
    """Record the refund decision of a cancelled appointment and refund through the provider; None when nothing
    was paid. Runs inside the cancellation's transaction (a failing refund rolls the cancellation back)."""
    # Row lock: the payment is decided once even if a second cancel path reaches it.
    payment = AppointmentPayment.objects.select_for_update().filter(
        appointment=appointment, status=PaymentState.CAPTURED).first()
    if payment is None:
        return None
    rule = refund_rule(appointment=appointment, by_doctor=by_doctor, now=now)
    amount = Decimal("0.00") if rule == RefundRule.AFTER_CUTOFF else payment.amount
    reference = ""
    if amount:
        reference = payment_provider().refund(request=RefundRequest(
            key=f"appointment-{appointment.pk}", charge_reference=payment.reference, amount=amount))
        payment.status = PaymentState.REFUNDED
        payment.save(update_fields=["status"])
    refund = AppointmentRefund.objects.create(payment=payment, appointment=appointment, rule=rule, amount=amount,
                                              reference=reference, actor=actor)
    audit_record(actor=actor, action="update", object_type="consult.appointment_refund", object_id=refund.pk,
                 subject=appointment.patient, detail={"appointment": appointment.pk, "rule": rule,
                                                      "amount": str(amount)})
    return refund


def payment_carry_over(*, old: Appointment, new: Appointment, now: datetime) -> bool:
    """A moved appointment keeps what was paid for the old time: the payment now belongs to the new appointment,
    which is booked at once with the fee that was paid (no second charge). Returns whether a payment moved (the
    caller then writes the new appointment's reminders); an unpaid one stays unpaid with its new hold."""
    payment = AppointmentPayment.objects.select_for_update().filter(
        appointment=old, status=PaymentState.CAPTURED).first()
    if payment is None or new.status != AppointmentStatus.PENDING_PAYMENT:
        return False
    payment.appointment = new
    payment.save(update_fields=["appointment"])
    new.status, new.fee, new.paid_at, new.hold_expires_at = AppointmentStatus.BOOKED, payment.amount, now, None
    new.save(update_fields=["status", "fee", "paid_at", "hold_expires_at", "updated_at"])
    return True
