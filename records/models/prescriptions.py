"""consult: prescriptions written by a doctor in an encounter, their items and the pharmacy's fills."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.fields import EncryptedTextField

__all__ = [
    "ReviewStatus", "PrescriptionReview",
    "PrescriptionStatus", "Prescription", "DoseUnit", "Route", "Frequency", "DEFAULT_TIMES",
    "PrescriptionItem", "PrescriptionFill", "PrescriptionQuerySet", "PrescriptionItemQuerySet",
]


class PrescriptionStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CANCELLED = "cancelled", _("Cancelled")
    COMPLETED = "completed", _("Completed")


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting pharmacist review")
    APPROVED = "approved", _("Approved by the pharmacist")
    REJECTED = "rejected", _("Rejected by the pharmacist")


class PrescriptionQuerySet(models.QuerySet["Prescription"]):
    def for_patient(self, patient) -> PrescriptionQuerySet:  # type: ignore[no-untyped-def]
        return self.filter(patient=patient)

    def valid(self, at: dt.datetime | None = None) -> PrescriptionQuerySet:
        """Active and not yet past its validity period."""
        return self.filter(status=PrescriptionStatus.ACTIVE, valid_until__gt=at or timezone.now())


class Prescription(models.Model):
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="prescriptions")
    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="written_prescriptions")
    encounter = models.ForeignKey("consult.Encounter", on_delete=models.PROTECT, related_name="prescriptions")
    status = models.CharField(_("status"), max_length=12, choices=PrescriptionStatus.choices,
                              default=PrescriptionStatus.ACTIVE, db_index=True)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    valid_until = models.DateTimeField(_("valid until"))
    note = models.TextField(_("note"), blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    # Rules of internet diagnosis (docs/compliance.md, records/services/rx_rules.py).
    valid_days = models.PositiveSmallIntegerField(_("valid for (days)"), default=1)
    is_chronic_long = models.BooleanField(_("long prescription for a chronic disease"), default=False)
    is_online = models.BooleanField(_("written in an online consultation"), default=False)
    follow_up_code = models.CharField(_("follow-up of"), max_length=8, blank=True)
    guardian_name = models.CharField(_("guardian's name"), max_length=150, blank=True)
    guardian_relation = models.CharField(_("guardian's relation to the child"), max_length=50, blank=True)
    guardian_id_number = EncryptedTextField(_("guardian's ID number"), blank=True)
    guardian_id_masked = models.CharField(_("guardian's ID number"), max_length=40, blank=True)
    guardian_present = models.BooleanField(_("guardian present"), default=False)
    # Electronic signature: HMAC-SHA256 with the doctor's key over the SHA-256 of the content (rx_rules.py).
    content_hash = models.CharField(max_length=64, blank=True)
    signature = models.CharField(max_length=64, blank=True)
    signature_key_version = models.CharField(max_length=20, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    replaces = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="replaced_by", verbose_name=_("corrects"))
    review_status = models.CharField(_("pharmacist review"), max_length=10, choices=ReviewStatus.choices,
                                     default=ReviewStatus.PENDING, db_index=True)

    objects = PrescriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("prescription")
        # The index names are the ones consult created (the tables moved with their indexes).
        indexes = [models.Index(fields=["patient", "-issued_at"], name="consult_pre_patient_b1f8e3_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(valid_until__gt=F("issued_at")), name="prescription_valid_after_issue"),
        ]

    def __str__(self) -> str:
        return f"Rx #{self.pk} {self.issued_at:%Y-%m-%d}"

    @property
    def is_expired(self) -> bool:
        return self.valid_until <= timezone.now()

    @property
    def is_valid(self) -> bool:
        return self.status == PrescriptionStatus.ACTIVE and not self.is_expired


class PrescriptionReview(models.Model):
    """One pharmacist review of a prescription (append-only): approved, or rejected with a reason for the
    doctor. `content_hash` is the signed content the pharmacist saw."""

    prescription = models.ForeignKey(Prescription, on_delete=models.PROTECT, related_name="reviews")
    pharmacist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("decision"), max_length=10, choices=ReviewStatus.choices)
    reason = models.TextField(_("reason"), blank=True)
    content_hash = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("pharmacist review")
        constraints = [models.CheckConstraint(condition=~Q(decision="pending"), name="rxreview_decided"),
                       models.CheckConstraint(condition=~Q(decision="rejected") | ~Q(reason=""),
                                              name="rxreview_rejection_has_reason")]

    def __str__(self) -> str:
        return f"{self.prescription_id} {self.decision}"


class DoseUnit(models.TextChoices):
    MG = "mg", _("mg")
    G = "g", _("g")
    MCG = "mcg", _("µg")
    ML = "mL", _("mL")
    IU = "IU", _("IU")
    TABLET = "tablet", _("tablet(s)")
    CAPSULE = "capsule", _("capsule(s)")
    PUFF = "puff", _("puff(s)")
    DROP = "drop", _("drop(s)")
    SACHET = "sachet", _("sachet(s)")
    PATCH = "patch", _("patch(es)")
    APPLICATION = "application", _("application(s)")


class Route(models.TextChoices):
    # SNOMED CT route codes are attached in the FHIR export (services/fhir.py).
    ORAL = "oral", _("By mouth")
    SUBLINGUAL = "sublingual", _("Under the tongue")
    TOPICAL = "topical", _("On the skin")
    INHALED = "inhaled", _("Inhaled")
    NASAL = "nasal", _("In the nose")
    OPHTHALMIC = "ophthalmic", _("In the eye")
    OTIC = "otic", _("In the ear")
    RECTAL = "rectal", _("Rectal")
    TRANSDERMAL = "transdermal", _("Transdermal")
    SUBCUTANEOUS = "subcutaneous", _("Subcutaneous injection")
    INTRAMUSCULAR = "intramuscular", _("Intramuscular injection")
    INTRAVENOUS = "intravenous", _("Intravenous")


class Frequency(models.TextChoices):
    ONCE_DAILY = "once_daily", _("Once daily")
    TWICE_DAILY = "twice_daily", _("Twice daily")
    THREE_TIMES_DAILY = "three_daily", _("Three times daily")
    FOUR_TIMES_DAILY = "four_daily", _("Four times daily")
    EVERY_N_HOURS = "every_n_hours", _("Every N hours")
    AS_NEEDED = "as_needed", _("As needed")


# Local clock times used when the doctor gives none (a common ward schedule).
DEFAULT_TIMES: dict[str, list[str]] = {
    Frequency.ONCE_DAILY: ["08:00"],
    Frequency.TWICE_DAILY: ["08:00", "20:00"],
    Frequency.THREE_TIMES_DAILY: ["08:00", "14:00", "20:00"],
    Frequency.FOUR_TIMES_DAILY: ["08:00", "12:00", "16:00", "20:00"],
    Frequency.EVERY_N_HOURS: ["08:00"],  # the first dose of each course; then every N hours of elapsed time
    Frequency.AS_NEEDED: [],
}


class PrescriptionItemQuerySet(models.QuerySet["PrescriptionItem"]):
    def fillable(self, at: dt.datetime | None = None) -> PrescriptionItemQuerySet:
        return self.filter(
            prescription__status=PrescriptionStatus.ACTIVE,
            prescription__valid_until__gt=at or timezone.now(),
            quantity_filled__lt=F("quantity"),
        )


class PrescriptionItem(models.Model):
    prescription = models.ForeignKey(Prescription, on_delete=models.CASCADE, related_name="items")
    # A string reference: consult never imports pharmacy.
    drug = models.ForeignKey("pharmacy.Drug", on_delete=models.PROTECT, related_name="prescription_items",
                             verbose_name=_("drug"))
    dose = models.DecimalField(_("dose"), max_digits=8, decimal_places=3)
    dose_unit = models.CharField(_("dose unit"), max_length=12, choices=DoseUnit.choices)
    route = models.CharField(_("route"), max_length=16, choices=Route.choices, default=Route.ORAL)
    frequency = models.CharField(_("frequency"), max_length=16, choices=Frequency.choices)
    interval_hours = models.PositiveSmallIntegerField(_("every N hours"), null=True, blank=True)
    # Local clock times "HH:MM" in the patient's time zone.
    times_of_day = models.JSONField(_("times of day"), default=list, blank=True)
    start_date = models.DateField(_("start date"))
    duration_days = models.PositiveSmallIntegerField(_("duration (days)"))
    quantity = models.PositiveIntegerField(_("quantity (packs)"))
    quantity_filled = models.PositiveIntegerField(_("quantity filled"), default=0)
    instructions = models.CharField(_("instructions"), max_length=300, blank=True)
    # Allergy check: the substances that matched and, when the doctor overrode the block, the written reason.
    allergy_conflicts = models.JSONField(default=list, blank=True)
    allergy_override_reason = models.TextField(_("reason for overriding the allergy warning"), blank=True)
    allergy_overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                              blank=True, related_name="+")

    objects = PrescriptionItemQuerySet.as_manager()

    class Meta:
        ordering = ["prescription_id", "id"]
        verbose_name = _("prescription item")
        constraints = [
            models.CheckConstraint(condition=Q(dose__gt=0), name="rxitem_dose_positive"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="rxitem_quantity_positive"),
            models.CheckConstraint(condition=Q(duration_days__gt=0), name="rxitem_duration_positive"),
            # Never fill more than was prescribed, whatever the code above does.
            models.CheckConstraint(condition=Q(quantity_filled__lte=F("quantity")), name="rxitem_not_overfilled"),
            models.CheckConstraint(condition=~Q(frequency="every_n_hours")
                                   | Q(interval_hours__gte=1, interval_hours__lte=72),
                                   name="rxitem_interval_for_every_n_hours"),
        ]

    def __str__(self) -> str:
        return f"{self.drug} {self.dose} {self.dose_unit} {self.frequency}"

    @property
    def quantity_remaining(self) -> int:
        return self.quantity - self.quantity_filled

    @property
    def end_date(self) -> dt.date:
        return self.start_date + dt.timedelta(days=self.duration_days)


class PrescriptionFill(models.Model):
    """One fill of an item by the pharmacy, keyed by the pharmacy's reference (e.g. an order line)."""

    item = models.ForeignKey(PrescriptionItem, on_delete=models.CASCADE, related_name="fills")
    reference = models.CharField(max_length=100)
    quantity = models.PositiveIntegerField()
    filled_at = models.DateTimeField(default=timezone.now)
    # Set when the fill is returned (order cancelled or refunded); its quantity went back to the item.
    unfilled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["filled_at"]
        constraints = [
            # One fill per pharmacy reference: a retried fill never counts twice.
            models.UniqueConstraint(fields=["item", "reference"], name="rxfill_unique_reference"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="rxfill_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} × {self.quantity}"
