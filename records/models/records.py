"""consult: the health record — allergies, problem list, observations (vitals and self-measurements), documents."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = [
    "AllergyCategory", "AllergySeverity", "AllergyStatus", "Allergy",
    "ProblemStatus", "Problem",
    "ObservationKind", "ObservationSource", "ObservationSpec", "OBSERVATION_SPECS", "SYSTOLIC_LOINC", "Observation",
    "HealthDocumentKind", "HealthDocument", "LABORATORY_KINDS", "SmokingStatus", "FamilyDiabetes", "RiskFactors",
    "RiskAssessment",
]


class AllergyCategory(models.TextChoices):
    # FHIR AllergyIntolerance.category (required binding).
    MEDICATION = "medication", _("Medication")
    FOOD = "food", _("Food")
    ENVIRONMENT = "environment", _("Environment")
    BIOLOGIC = "biologic", _("Biologic")


class AllergySeverity(models.TextChoices):
    # FHIR AllergyIntolerance.reaction.severity (required binding) plus "life-threatening" → criticality high.
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")
    LIFE_THREATENING = "life_threatening", _("Life-threatening")


class AllergyStatus(models.TextChoices):
    # FHIR allergyintolerance-clinical clinicalStatus codes.
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")
    RESOLVED = "resolved", _("Resolved")


class Allergy(models.Model):
    """A recorded allergy or intolerance. `substance` is stored lower-case: the prescription check compares it
    with a drug's `active_ingredients` (lower-case names)."""

    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="allergies")
    substance = models.CharField(_("substance"), max_length=120)
    category = models.CharField(_("category"), max_length=20, choices=AllergyCategory.choices,
                                default=AllergyCategory.MEDICATION)
    reaction = models.CharField(_("reaction"), max_length=200, blank=True)
    severity = models.CharField(_("severity"), max_length=20, choices=AllergySeverity.choices,
                                default=AllergySeverity.MODERATE)
    status = models.CharField(_("status"), max_length=12, choices=AllergyStatus.choices, default=AllergyStatus.ACTIVE)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["substance"]
        verbose_name = _("allergy")
        verbose_name_plural = _("allergies")
        constraints = [
            # Recording the same active allergy twice (e.g. a double submit) is refused by the database.
            models.UniqueConstraint(fields=["patient", "substance"], condition=Q(status="active"),
                                    name="allergy_one_active_per_substance"),
        ]

    def __str__(self) -> str:
        return f"{self.substance} ({self.get_severity_display()})"


class ProblemStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RESOLVED = "resolved", _("Resolved")


class Problem(models.Model):
    """One entry of the problem list: an ICD-10 coded condition, active or resolved."""

    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="problems")
    code = models.ForeignKey("consult.ICD10Code", on_delete=models.PROTECT, related_name="+", verbose_name=_("ICD-10 code"))
    status = models.CharField(_("status"), max_length=10, choices=ProblemStatus.choices, default=ProblemStatus.ACTIVE)
    onset_date = models.DateField(_("onset"), null=True, blank=True)
    resolved_date = models.DateField(_("resolved on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    encounter = models.ForeignKey("consult.Encounter", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="problems")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["status", "-recorded_at"]
        verbose_name = _("problem")
        constraints = [
            models.UniqueConstraint(fields=["patient", "code"], condition=Q(status="active"),
                                    name="problem_one_active_per_code"),
            models.CheckConstraint(condition=Q(status="active") | Q(resolved_date__isnull=False),
                                   name="problem_resolved_has_date"),
        ]

    def __str__(self) -> str:
        return f"{self.code_id} ({self.status})"


class ObservationKind(models.TextChoices):
    BLOOD_PRESSURE = "blood_pressure", _("Blood pressure")
    HEART_RATE = "heart_rate", _("Heart rate")
    TEMPERATURE = "temperature", _("Body temperature")
    WEIGHT = "weight", _("Body weight")
    HEIGHT = "height", _("Body height")
    BMI = "bmi", _("Body mass index")
    GLUCOSE = "glucose", _("Blood glucose")
    SPO2 = "spo2", _("Oxygen saturation")
    # Inputs of the risk equations (records/services/risk.py), laboratory results and a tape measurement.
    TOTAL_CHOLESTEROL = "total_cholesterol", _("Total cholesterol")
    HDL_CHOLESTEROL = "hdl_cholesterol", _("HDL cholesterol")
    WAIST = "waist", _("Waist circumference")


@dataclass(frozen=True)
class ObservationSpec:
    """Units, the LOINC code, what is physically plausible (else refused) and the usual adult range (else flagged).

    Plausible limits are wide on purpose (they catch typos such as a negative weight or BP 400/20); normal ranges
    are common adult reference values (WHO/AHA for BP, fasting capillary glucose 3.9–6.1 mmol/L)."""

    unit: str  # UCUM
    unit_label: str
    loinc: str
    loinc_display: str
    plausible: tuple[Decimal, Decimal]
    normal: tuple[Decimal, Decimal]
    # Blood pressure only: the diastolic component.
    loinc2: str = ""
    loinc2_display: str = ""
    plausible2: tuple[Decimal, Decimal] | None = None
    normal2: tuple[Decimal, Decimal] | None = None


D = Decimal
OBSERVATION_SPECS: dict[str, ObservationSpec] = {
    ObservationKind.BLOOD_PRESSURE: ObservationSpec(
        "mm[Hg]", "mmHg", "85354-9", "Blood pressure panel with all children optional",
        plausible=(D(50), D(260)), normal=(D(90), D(139)),
        loinc2="8462-4", loinc2_display="Diastolic blood pressure", plausible2=(D(25), D(160)), normal2=(D(60), D(89)),
    ),
    ObservationKind.HEART_RATE: ObservationSpec("/min", "bpm", "8867-4", "Heart rate", (D(20), D(250)), (D(50), D(100))),
    ObservationKind.TEMPERATURE: ObservationSpec("Cel", "°C", "8310-5", "Body temperature",
                                                 (D(30), D(44)), (D("36.0"), D("37.5"))),
    ObservationKind.WEIGHT: ObservationSpec("kg", "kg", "29463-7", "Body weight", (D("0.3"), D(400)), (D(0), D(400))),
    ObservationKind.HEIGHT: ObservationSpec("cm", "cm", "8302-2", "Body height", (D(20), D(250)), (D(0), D(250))),
    ObservationKind.BMI: ObservationSpec("kg/m2", "kg/m²", "39156-5", "Body mass index (BMI) [Ratio]",
                                         (D(8), D(90)), (D("18.5"), D("23.9"))),
    ObservationKind.GLUCOSE: ObservationSpec("mmol/L", "mmol/L", "15074-8", "Glucose [Moles/volume] in Blood",
                                             (D("0.5"), D(45)), (D("3.9"), D("7.8"))),
    ObservationKind.SPO2: ObservationSpec("%", "%", "59408-5",
                                          "Oxygen saturation in Arterial blood by Pulse oximetry",
                                          (D(50), D(100)), (D(95), D(100))),
    # Reference ranges: 中国成人血脂异常防治指南 (2016) — total cholesterol < 5.2 mmol/L desirable, HDL ≥ 1.0 mmol/L;
    # waist: WS/T 428-2013 central obesity at ≥ 90 cm (men) / ≥ 85 cm (women) — the upper bound here is the
    # women's one, so a man's 86–89 cm is flagged too (the flag is a prompt to look, not a diagnosis).
    ObservationKind.TOTAL_CHOLESTEROL: ObservationSpec("mmol/L", "mmol/L", "14647-2",
                                                       "Cholesterol [Moles/volume] in Serum or Plasma",
                                                       (D("1.0"), D(25)), (D("2.8"), D("5.2"))),
    ObservationKind.HDL_CHOLESTEROL: ObservationSpec("mmol/L", "mmol/L", "14646-4",
                                                     "Cholesterol in HDL [Moles/volume] in Serum or Plasma",
                                                     (D("0.1"), D(6)), (D("1.0"), D("3.0"))),
    ObservationKind.WAIST: ObservationSpec("cm", "cm", "8280-0", "Waist Circumference at umbilicus by Tape measure",
                                           (D(30), D(250)), (D(0), D(85))),
}
LABORATORY_KINDS = ("glucose", "total_cholesterol", "hdl_cholesterol")
SYSTOLIC_LOINC = ("8480-6", "Systolic blood pressure")


class ObservationSource(models.TextChoices):
    PATIENT = "patient", _("Self-measured")
    CLINICIAN = "clinician", _("Clinician")


class Observation(models.Model):
    """One measurement. Blood pressure keeps systolic in `value` and diastolic in `value2`."""

    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="observations")
    kind = models.CharField(_("measurement"), max_length=20, choices=ObservationKind.choices)
    value = models.DecimalField(_("value"), max_digits=7, decimal_places=2)
    value2 = models.DecimalField(_("second value"), max_digits=7, decimal_places=2, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=12)
    effective_at = models.DateTimeField(_("measured at"), db_index=True)
    source = models.CharField(_("source"), max_length=10, choices=ObservationSource.choices)
    is_out_of_range = models.BooleanField(_("out of range"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)
    encounter = models.ForeignKey("consult.Encounter", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="observations")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_at"]
        verbose_name = _("observation")
        indexes = [models.Index(fields=["patient", "kind", "effective_at"], name="consult_obs_patient_31692c_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="observation_value_not_negative"),
            models.CheckConstraint(condition=Q(kind="blood_pressure", value2__isnull=False)
                                   | (~Q(kind="blood_pressure") & Q(value2__isnull=True)),
                                   name="observation_value2_only_for_bp"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.display_value}"

    @property
    def spec(self) -> ObservationSpec:
        return OBSERVATION_SPECS[self.kind]

    @property
    def display_value(self) -> str:
        v = f"{self.value.normalize():f}"
        if self.value2 is not None:
            v = f"{v}/{self.value2.normalize():f}"
        return f"{v} {self.spec.unit_label}"


class HealthDocumentKind(models.TextChoices):
    LAB_REPORT = "lab_report", _("Lab report")
    IMAGING = "imaging", _("Imaging report")
    DISCHARGE = "discharge", _("Discharge summary")
    REFERRAL = "referral", _("Referral letter")
    OTHER = "other", _("Other")


class HealthDocument(models.Model):
    """An uploaded document (PDF or image) kept in private storage and served only through a permission check."""

    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="health_documents")
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=HealthDocumentKind.choices, default=HealthDocumentKind.OTHER)
    # Name in the private store (platform_site.storage: PRIVATE_MEDIA_ROOT or S3; never web-served directly).
    path = models.CharField(max_length=300)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("health document")

    def __str__(self) -> str:
        return self.title


class SmokingStatus(models.TextChoices):
    NEVER = "never", _("Never smoked")
    FORMER = "former", _("Former smoker")
    CURRENT = "current", _("Smokes now")


class FamilyDiabetes(models.TextChoices):
    # The FINDRISC question (Lindström & Tuomilehto 2003).
    NONE = "none", _("No")
    SECOND_DEGREE = "second_degree", _("Yes: grandparent, aunt, uncle or first cousin")
    FIRST_DEGREE = "first_degree", _("Yes: parent, brother, sister or own child")


class RiskFactors(models.Model):
    """The answers the risk equations need that no measurement holds. A blank answer means "not answered" and
    the equation names it as missing (nothing is guessed)."""

    patient = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="risk_factors")
    smoking = models.CharField(_("smoking"), max_length=10, choices=SmokingStatus.choices, blank=True)
    active_30_min_daily = models.BooleanField(_("at least 30 minutes of physical activity daily"), null=True,
                                              blank=True)
    vegetables_daily = models.BooleanField(_("vegetables, fruit or berries every day"), null=True, blank=True)
    high_glucose_history = models.BooleanField(_("ever found to have high blood glucose"), null=True, blank=True)
    family_diabetes = models.CharField(_("diabetes in the family"), max_length=16, choices=FamilyDiabetes.choices,
                                       blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("risk factors")
        verbose_name_plural = _("risk factors")

    def __str__(self) -> str:
        return f"risk factors of patient {self.patient_id}"


class RiskAssessment(models.Model):
    """The last computed value of one risk equation for one patient (records.services.risk.risk_refresh); the
    doctor's console shows the bands from here. `inputs_key` is a digest of the inputs used: a recomputation with
    the same inputs changes nothing."""

    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="risk_assessments")
    key = models.CharField(max_length=20)
    value = models.CharField(max_length=40, blank=True)
    band = models.CharField(max_length=20, blank=True)
    missing = models.JSONField(default=list, blank=True)
    inputs_key = models.CharField(max_length=64)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["patient", "key"], name="risk_assessment_one_per_key")]

    def __str__(self) -> str:
        return f"{self.key} {self.value} ({self.band})"

    def get_key_display(self) -> str:
        return str(RISK_NAMES.get(self.key, self.key))

    @property
    def band_display(self) -> str:
        return str(RISK_BAND_NAMES.get(self.band, self.band))


RISK_NAMES = {"framingham": _("Cardiovascular risk (Framingham, 10 years)"), "findrisc": _("Diabetes risk (FINDRISC)")}
RISK_BAND_NAMES = {
    "low": _("Low"), "intermediate": _("Intermediate"), "high": _("High"),
    "slightly_elevated": _("Slightly elevated"), "moderate": _("Moderate"), "very_high": _("Very high"),
}
