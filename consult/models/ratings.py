"""Patients' ratings of a finished appointment, their moderation and the doctor's one reply."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["Rating", "ModerationStatus", "RATING_EDIT_DAYS"]

# A patient may change their rating for this many days after first giving it.
RATING_EDIT_DAYS = 7


class ModerationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for moderation")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Not published")


class Rating(models.Model):
    """1–5 stars and an optional comment for one completed appointment (at most one per appointment).

    The stars count in the doctor's average at once; the comment is shown publicly only once a staff moderator
    approved it. The doctor may reply once."""

    appointment = models.ForeignKey("consult.Appointment", on_delete=models.CASCADE, related_name="ratings")
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings_given")
    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings_received")
    stars = models.PositiveSmallIntegerField(_("stars"))
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    moderation = models.CharField(_("moderation"), max_length=10, choices=ModerationStatus.choices,
                                  default=ModerationStatus.PENDING)
    moderated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    moderated_at = models.DateTimeField(null=True, blank=True)
    reply = models.TextField(_("doctor's reply"), blank=True, max_length=2000)
    replied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("rating")
        constraints = [
            models.UniqueConstraint(fields=["appointment"], name="rating_one_per_appointment"),
            models.CheckConstraint(condition=Q(stars__gte=1) & Q(stars__lte=5), name="rating_stars_1_to_5"),
        ]
        indexes = [models.Index(fields=["doctor", "moderation"], name="rating_doctor_moderation")]

    def __str__(self) -> str:
        return f"{self.doctor} {self.stars}★"
