"""consult: waitlist entries and follow-up proposals (booking side)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["WaitlistEntry", "WaitlistStatus", "FollowUpProposal", "FollowUpStatus"]


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    OFFERED = "offered", _("Slot offered")
    BOOKED = "booked", _("Booked")
    EXPIRED = "expired", _("Offer expired")
    CANCELLED = "cancelled", _("Left the waitlist")


class WaitlistEntry(models.Model):
    """A patient waiting for any freed slot of a doctor. First come, first offered."""

    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries")
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_places")
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=300)
    status = models.CharField(max_length=10, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING,
                              db_index=True)
    offered_slot = models.ForeignKey("consult.Slot", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    appointment = models.ForeignKey("consult.Appointment", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist")
        constraints = [
            # A patient waits at most once per doctor at a time.
            models.UniqueConstraint(fields=["doctor", "patient"], condition=Q(status__in=["waiting", "offered"]),
                                    name="waitlist_one_open_entry"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} waits for {self.doctor}"


class FollowUpStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class FollowUpProposal(models.Model):
    """The doctor's one-click proposal of their next free slots; the patient accepts one of them."""

    appointment = models.ForeignKey("consult.Appointment", on_delete=models.CASCADE, related_name="follow_up_proposals")
    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follow_up_proposals")
    slots = models.ManyToManyField("consult.Slot", related_name="+")
    note = models.CharField(_("note"), max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.PROPOSED)
    accepted_appointment = models.ForeignKey("consult.Appointment", on_delete=models.SET_NULL, null=True, blank=True,
                                             related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("follow-up proposal")

    def __str__(self) -> str:
        return f"follow-up of {self.appointment_id}"
