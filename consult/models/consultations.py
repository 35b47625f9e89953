"""consult: online consultation threads and their messages (booking side)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .followup import ConsultationOutcome

__all__ = ["ConsultationThread", "ThreadStatus", "ConsultationMessage"]


class ThreadStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("consultation status", "Open")
    CLOSED = "closed", _("Closed")


class ConsultationThread(models.Model):
    """The message thread of one online appointment, between its patient and its doctor."""

    appointment = models.OneToOneField("consult.Appointment", on_delete=models.CASCADE, related_name="thread")
    status = models.CharField(max_length=8, choices=ThreadStatus.choices, default=ThreadStatus.OPEN)
    summary = models.TextField(_("summary"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The doctor's confirmation "follow-up of <diagnosis>" before writing (consult/services/followup.py), and
    # how the consultation ended ("needs in-person examination" offers the patient in-person slots).
    follow_up_code = models.ForeignKey("consult.ICD10Code", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", verbose_name=_("follow-up of"))
    follow_up_confirmed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, blank=True,
                               choices=ConsultationOutcome.choices)

    class Meta:
        verbose_name = _("consultation")

    def __str__(self) -> str:
        return f"consultation {self.appointment_id}"


class ConsultationMessage(models.Model):
    """A text message with at most one attachment (an image or a PDF kept under PRIVATE_MEDIA_ROOT)."""

    thread = models.ForeignKey(ConsultationThread, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("message"), blank=True)
    # Name in the private store (platform_site.storage: PRIVATE_MEDIA_ROOT or S3); never web-served.
    attachment_path = models.CharField(max_length=200, blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    attachment_type = models.CharField(max_length=40, blank=True)
    attachment_size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("consultation message")

    def __str__(self) -> str:
        return f"{self.thread_id}#{self.pk}"
