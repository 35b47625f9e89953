"""consult: medication reminders — a plan per prescription item and one row per scheduled dose."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["ReminderPlan", "ReminderPlanSource", "DoseStatus", "DoseReminder", "DOSE_FINAL_STATUSES"]


class ReminderPlanSource(models.TextChoices):
    PRESCRIPTION = "prescription", _("Prescription")
    DISPENSE = "dispense", _("Pharmacy dispense")


class ReminderPlan(models.Model):
    """How one prescription item is reminded: the local times (the patient may change them), the time zone the
    doses were generated in, and whether reminders are paused."""

    item = models.OneToOneField("records.PrescriptionItem", on_delete=models.CASCADE, related_name="reminder_plan")
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_plans")
    source = models.CharField(max_length=12, choices=ReminderPlanSource.choices, default=ReminderPlanSource.PRESCRIPTION)
    times_of_day = models.JSONField(_("times of day"), default=list)
    time_zone = models.CharField(_("time zone"), max_length=64)
    # First moment a dose may be scheduled (the start date's midnight, or the dispense time).
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    is_paused = models.BooleanField(_("paused"), default=False)
    paused_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("reminder plan")

    def __str__(self) -> str:
        return f"plan for item {self.item_id}"


class DoseStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENT = "sent", _("Reminded")
    TAKEN = "taken", _("Taken")
    SKIPPED = "skipped", _("Skipped")
    MISSED = "missed", _("Missed")


DOSE_FINAL_STATUSES = (DoseStatus.TAKEN, DoseStatus.SKIPPED, DoseStatus.MISSED)


class DoseReminder(models.Model):
    """One scheduled dose. `scheduled_at` is an absolute (UTC) instant computed from the local time in the plan's
    time zone, so a daylight-saving change moves the UTC instant, not the patient's clock time."""

    plan = models.ForeignKey(ReminderPlan, on_delete=models.CASCADE, related_name="doses")
    # Denormalised so the sweep, adherence and the patient's list need no joins.
    item = models.ForeignKey("records.PrescriptionItem", on_delete=models.CASCADE, related_name="doses")
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="doses")
    scheduled_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=DoseStatus.choices, default=DoseStatus.SCHEDULED)
    sent_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["scheduled_at"]
        verbose_name = _("dose reminder")
        constraints = [
            # Generating the same schedule twice (a retried dispense hook, a second call) adds nothing.
            models.UniqueConstraint(fields=["item", "scheduled_at"], name="dose_unique_item_time"),
        ]
        indexes = [
            # The sweep's query: due doses still waiting to be sent.
            models.Index(fields=["scheduled_at"], condition=Q(status="scheduled"), name="dose_due_idx"),
            models.Index(fields=["scheduled_at"], condition=Q(status="sent"), name="dose_sent_idx"),
            models.Index(fields=["patient", "scheduled_at"], name="consult_dos_patient_99479c_idx"),
        ]

    def __str__(self) -> str:
        return f"dose {self.item_id} {self.scheduled_at:%Y-%m-%d %H:%M} {self.status}"
