"""consult: the in-person basis of online follow-up visits (《互联网诊疗管理办法（试行）》第十六条, docs/compliance.md).

An online visit needs a prior diagnosis of the same condition made in person. On the platform that is an
in-person encounter with a diagnosis (read from `EncounterDiagnosis`); from another hospital it is an uploaded
record (outpatient record, discharge summary, diagnosis certificate) that a doctor accepted: one row here.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["PriorRecordKind", "AcceptedPriorRecord", "ConsultationOutcome"]


class PriorRecordKind(models.TextChoices):
    OUTPATIENT = "outpatient", _("Outpatient record")
    DISCHARGE = "discharge", _("Discharge summary")
    CERTIFICATE = "certificate", _("Diagnosis certificate")


class AcceptedPriorRecord(models.Model):
    """A record of an in-person diagnosis made elsewhere, accepted by a doctor as the basis of follow-ups."""

    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    code = models.ForeignKey("consult.ICD10Code", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("diagnosis"))
    kind = models.CharField(_("kind of record"), max_length=12, choices=PriorRecordKind.choices)
    # The records app's HealthDocument id: records sits above consult, so no foreign key points up to it.
    document_id = models.PositiveIntegerField(null=True, blank=True)
    diagnosed_on = models.DateField(_("diagnosed on"), null=True, blank=True)
    institution = models.CharField(_("institution"), max_length=200, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-accepted_at"]
        verbose_name = _("accepted prior record")
        constraints = [models.UniqueConstraint(fields=["patient", "code", "document_id"],
                                               name="prior_record_once_per_document_code")]

    def __str__(self) -> str:
        return f"{self.patient_id} {self.code_id} ({self.kind})"


class ConsultationOutcome(models.TextChoices):
    TREATED = "treated", _("Follow-up done online")
    NEEDS_IN_PERSON = "needs_in_person", _("Needs an in-person examination")
