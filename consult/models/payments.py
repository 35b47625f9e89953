"""consult: appointment fees paid through the platform's payment provider (core/payments.py) and their refunds."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["AppointmentPayment", "PaymentState", "AppointmentRefund", "RefundRule"]


class PaymentState(models.TextChoices):
    CAPTURED = "captured", _("Paid")
    REFUNDED = "refunded", _("Refunded")


class AppointmentPayment(models.Model):
    # One payment per appointment (OneToOne: a second charge of the same appointment is refused by the database).
    appointment = models.OneToOneField("consult.Appointment", on_delete=models.PROTECT, related_name="payment")
    provider = models.CharField(_("payment method"), max_length=50)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=8, decimal_places=2)
    # The client's key of the pay request (a double submit sends the same key and gets the same payment).
    idempotency_key = models.CharField(max_length=64, unique=True)
    reference = models.CharField(_("reference"), max_length=100)
    status = models.CharField(_("status"), max_length=12, choices=PaymentState.choices, default=PaymentState.CAPTURED)
    created_at = models.DateTimeField(_("paid at"), auto_now_add=True)

    class Meta:
        verbose_name = _("appointment payment")
        verbose_name_plural = _("appointment payments")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="appointment_payment_positive")]

    def __str__(self) -> str:
        return f"{self.appointment_id} {self.amount} {self.status}"


class RefundRule(models.TextChoices):
    BEFORE_CUTOFF = "before_cutoff", _("Cancelled before the refund cut-off: full refund")
    AFTER_CUTOFF = "after_cutoff", _("Cancelled after the refund cut-off: no refund")
    DOCTOR_CANCELLED = "doctor_cancelled", _("Cancelled by the doctor: full refund")


class AppointmentRefund(models.Model):
    """The refund decision of a paid appointment's cancellation, recorded once (also when it is nothing)."""

    # One decision per payment: two cancellations racing cannot refund twice.
    payment = models.OneToOneField(AppointmentPayment, on_delete=models.PROTECT, related_name="refund")
    appointment = models.ForeignKey("consult.Appointment", on_delete=models.PROTECT, related_name="refunds")
    rule = models.CharField(_("rule"), max_length=20, choices=RefundRule.choices)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=8, decimal_places=2)
    reference = models.CharField(_("refund reference"), max_length=100, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("appointment refund")
        verbose_name_plural = _("appointment refunds")
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="appointment_refund_not_negative")]

    def __str__(self) -> str:
        return f"{self.appointment_id} {self.rule} {self.amount}"
