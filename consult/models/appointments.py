from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["Department", "Slot", "SlotKind", "Appointment", "AppointmentStatus", "ACTIVE_APPOINTMENT_STATUSES"]


class Department(models.Model):
    code = models.SlugField(unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("department")

    def __str__(self) -> str:
        return self.name_en

    @property
    def name(self) -> str:
        from django.utils.translation import get_language

        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en


class SlotKind(models.TextChoices):
    ONLINE = "online", _("Online")
    IN_PERSON = "in_person", _("In person")


class Slot(models.Model):
    """A bookable period of one doctor's time, generated from the weekly schedule."""

    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="slots")
    start = models.DateTimeField(db_index=True)
    end = models.DateTimeField()
    kind = models.CharField(max_length=12, choices=SlotKind.choices, default=SlotKind.ONLINE)
    is_blocked = models.BooleanField(default=False)

    class Meta:
        ordering = ["start"]
        constraints = [
            # Generating slots twice never creates duplicates.
            models.UniqueConstraint(fields=["doctor", "start"], name="slot_unique_doctor_start"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="slot_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.doctor} {self.start:%Y-%m-%d %H:%M}"


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CHECKED_IN = "checked_in", _("Checked in")
    IN_PROGRESS = "in_progress", _("In consultation")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


ACTIVE_APPOINTMENT_STATUSES = (
    AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.IN_PROGRESS, AppointmentStatus.COMPLETED,
)


class Appointment(models.Model):
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments")
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="doctor_appointments")
    # Denormalised from the slot so overlap checks and the doctor's day query need no join.
    start = models.DateTimeField(db_index=True)
    end = models.DateTimeField()
    kind = models.CharField(max_length=12, choices=SlotKind.choices)
    status = models.CharField(max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED)
    reason = models.CharField(_("reason"), max_length=300)
    symptoms = models.TextField(_("symptoms"), blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    follow_up_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="follow_ups")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start"]
        constraints = [
            # One active appointment per slot: the database, not Python, decides who wins a race.
            models.UniqueConstraint(
                fields=["slot"], condition=~Q(status__in=["cancelled", "no_show"]), name="appointment_one_active_per_slot"
            ),
        ]
        indexes = [models.Index(fields=["doctor", "start"]), models.Index(fields=["patient", "start"])]

    def __str__(self) -> str:
        return f"{self.patient} with {self.doctor} at {self.start:%Y-%m-%d %H:%M}"
