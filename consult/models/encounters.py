from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["ICD10Code", "Encounter", "EncounterDiagnosis", "EncounterAmendment"]


class ICD10Code(models.Model):
    """An ICD-10 code with its English and Chinese names (loaded offline by `consult_load_icd10`)."""

    code = models.CharField(max_length=8, primary_key=True)
    name_en = models.CharField(max_length=300)
    name_zh = models.CharField(max_length=300, blank=True)
    block = models.CharField(max_length=10, blank=True, db_index=True, help_text=_("ICD-10 block, e.g. E70-E90"))
    chapter = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("ICD-10 code")

    def __str__(self) -> str:
        return f"{self.code} {self.name_en}"

    @property
    def name(self) -> str:
        from django.utils.translation import get_language

        if (get_language() or "").startswith("zh") and self.name_zh:
            return self.name_zh
        return self.name_en


class Encounter(models.Model):
    """A doctor's record of one appointment (online or in person)."""

    appointment = models.OneToOneField("consult.Appointment", on_delete=models.PROTECT, related_name="encounter",
                                       null=True, blank=True)
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="encounters")
    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authored_encounters")
    occurred_at = models.DateTimeField(db_index=True)
    chief_complaint = models.TextField(_("chief complaint"), blank=True)
    history = models.TextField(_("history"), blank=True)
    findings = models.TextField(_("findings"), blank=True)
    assessment = models.TextField(_("assessment"), blank=True)
    plan = models.TextField(_("plan"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = _("encounter")
        indexes = [models.Index(fields=["patient", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.patient} {self.occurred_at:%Y-%m-%d}"


class EncounterDiagnosis(models.Model):
    """A diagnosis recorded in an encounter. rarecases analyses these (distinct patients per code)."""

    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="diagnoses")
    code = models.ForeignKey(ICD10Code, on_delete=models.PROTECT, related_name="+")
    # Denormalised for rarity analysis: distinct patients per code over a window without joins.
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    diagnosed_at = models.DateTimeField(db_index=True)
    is_primary = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["encounter", "code"], name="diagnosis_unique_per_encounter")]
        indexes = [models.Index(fields=["code", "diagnosed_at"])]

    def __str__(self) -> str:
        return f"{self.code_id} ({self.encounter_id})"


class EncounterAmendment(models.Model):
    """One amendment of an encounter by its author: what changed (old and new values), when and why.

    Append-only: the encounter row holds the current text, these rows hold its history.
    """

    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="amendments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(_("reason for the amendment"), max_length=300, blank=True)
    # {"field": {"old": ..., "new": ...}}; diagnoses as lists of codes.
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("encounter amendment")

    def __str__(self) -> str:
        return f"amendment of {self.encounter_id} at {self.at:%Y-%m-%d %H:%M}"
