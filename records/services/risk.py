"""Health-risk information computed from the record (information for the patient and their doctor, never a
diagnosis).

1. **Framingham general cardiovascular disease 10-year risk** — D'Agostino RB Sr, Vasan RS, Pencina MJ, et al.
   "General cardiovascular risk profile for use in primary care: the Framingham Heart Study."
   Circulation 2008;117:743–753 (doi:10.1161/CIRCULATIONAHA.107.699579), the sex-specific Cox model with
   laboratory values: risk = 1 − S0(10) ** exp(Σβx − Σβx̄). Derived in a US (Framingham) population aged 30–74
   without cardiovascular disease; it is not the China-PAR equation (whose coefficients we could not verify).
2. **FINDRISC** (Finnish Diabetes Risk Score) — Lindström J, Tuomilehto J. "The diabetes risk score: a practical
   tool to predict type 2 diabetes risk." Diabetes Care 2003;26:725–731; the 8-question score sheet (0–26
   points) and its five bands.

Every input is taken from the record (observations, problems, prescriptions, the profile). An input the record
does not hold is named as missing and the score is not computed: nothing is guessed."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_record
from core.errors import ApplicationError

from ..models import (
    FamilyDiabetes,
    Observation,
    Prescription,
    PrescriptionItem,
    PrescriptionStatus,
    Problem,
    RiskAssessment,
    RiskFactors,
    SmokingStatus,
)
from ..selectors.prescriptions import prescriptions_of
from ..selectors.records import observations_of, problems_of

# ---------------------------------------------------------------------------------------------------------
# Framingham general CVD (D'Agostino 2008, Table 2): β for ln(age), ln(total cholesterol mg/dL), ln(HDL mg/dL),
# ln(SBP) untreated, ln(SBP) treated, smoker, diabetes; the mean of Σβx and the 10-year baseline survival.
# ---------------------------------------------------------------------------------------------------------
FRAMINGHAM = {
    "female": {"ln_age": 2.32888, "ln_tc": 1.20904, "ln_hdl": -0.70833, "ln_sbp_untreated": 2.76157,
               "ln_sbp_treated": 2.82263, "smoker": 0.52873, "diabetes": 0.69154, "mean": 26.1931,
               "s0": 0.95012},
    "male": {"ln_age": 3.06117, "ln_tc": 1.12370, "ln_hdl": -0.93263, "ln_sbp_untreated": 1.93303,
             "ln_sbp_treated": 1.99881, "smoker": 0.65451, "diabetes": 0.57367, "mean": 23.9802,
             "s0": 0.88936},
}
MG_DL_PER_MMOL_L_CHOLESTEROL = 38.67


def framingham_cvd_10y(*, sex: str, age: float, total_chol_mg_dl: float, hdl_mg_dl: float, sbp: float,
                       bp_treated: bool, smoker: bool, diabetes: bool) -> float:
    """The 10-year probability (0–1) of a first cardiovascular event (D'Agostino 2008)."""
    b = FRAMINGHAM[sex]
    s = (b["ln_age"] * math.log(age) + b["ln_tc"] * math.log(total_chol_mg_dl) + b["ln_hdl"] * math.log(hdl_mg_dl)
         + (b["ln_sbp_treated"] if bp_treated else b["ln_sbp_untreated"]) * math.log(sbp)
         + (b["smoker"] if smoker else 0.0) + (b["diabetes"] if diabetes else 0.0))
    return 1.0 - b["s0"] ** math.exp(s - b["mean"])


def framingham_band(risk: float) -> str:
    # The paper's usual categories: < 10 % low, 10–20 % intermediate, ≥ 20 % high.
    return "low" if risk < 0.10 else ("intermediate" if risk < 0.20 else "high")


# ---------------------------------------------------------------------------------------------------------
# FINDRISC (Lindström & Tuomilehto 2003)
# ---------------------------------------------------------------------------------------------------------
def findrisc_points(*, age: float, bmi: float, waist_cm: float, sex: str, active_30_min_daily: bool,
                    vegetables_daily: bool, antihypertensive: bool, high_glucose_history: bool,
                    family_diabetes: str) -> int:
    """family_diabetes: "none", "second_degree" (grandparent, aunt, uncle, first cousin) or "first_degree"
    (parent, brother, sister, child)."""
    points = 0 if age < 45 else 2 if age < 55 else 3 if age < 65 else 4
    points += 0 if bmi < 25 else 1 if bmi <= 30 else 3
    low, high = (94, 102) if sex == "male" else (80, 88)
    points += 0 if waist_cm < low else 3 if waist_cm <= high else 4
    points += 0 if active_30_min_daily else 2
    points += 0 if vegetables_daily else 1
    points += 2 if antihypertensive else 0
    points += 5 if high_glucose_history else 0
    points += {"none": 0, "second_degree": 3, "first_degree": 5}[family_diabetes]
    return points


FINDRISC_BANDS = (  # (upper bound inclusive, band, estimated 10-year risk of type 2 diabetes)
    (6, "low", "1 in 100"), (11, "slightly_elevated", "1 in 25"), (14, "moderate", "1 in 6"),
    (20, "high", "1 in 3"), (26, "very_high", "1 in 2"),
)


def findrisc_band(points: int) -> tuple[str, str]:
    for upper, band, odds in FINDRISC_BANDS:
        if points <= upper:
            return band, odds
    raise ValueError(points)


BAND_LABELS = {
    "low": _("Low"), "intermediate": _("Intermediate"), "high": _("High"),
    "slightly_elevated": _("Slightly elevated"), "moderate": _("Moderate"), "very_high": _("Very high"),
}

# ---------------------------------------------------------------------------------------------------------
# From the record
# ---------------------------------------------------------------------------------------------------------
DIABETES_CODES = ("E10", "E11", "E12", "E13", "E14")
HIGH_GLUCOSE_CODES = (*DIABETES_CODES, "R73", "O24")
CVD_CODES = ("I20", "I21", "I22", "I23", "I24", "I25", "I50", "I60", "I61", "I62", "I63", "I64", "I65", "I66",
             "I70", "I73", "G45")
ANTIHYPERTENSIVE_ATC = ("C02", "C03", "C07", "C08", "C09")


@dataclass
class RiskResult:
    key: str
    name: Any
    source: str
    value: str = ""
    band: str = ""
    band_label: Any = ""
    inputs: list[tuple[Any, str]] = field(default_factory=list)
    missing: list[Any] = field(default_factory=list)
    not_applicable: Any = ""
    lower_it: list[Any] = field(default_factory=list)

    @property
    def computed(self) -> bool:
        return bool(self.value)


def _age(profile: Any, today: dt.date) -> int | None:
    dob = getattr(profile, "date_of_birth", None)
    if not dob:
        return None
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))


def gather(*, patient: Any, observations: list[Any], problems: list[Any], prescription_items: list[Any],
           factors: Any = None, today: dt.date | None = None) -> dict[str, Any]:
    """The inputs the record holds (None = the record does not say). Callers pass what the access-checked
    selectors returned."""
    today = today or timezone.localdate()
    profile = getattr(patient, "patient_profile", None)
    sex = getattr(profile, "sex", "unknown")
    latest: dict[str, Any] = {}
    for obs in sorted(observations, key=lambda o: o.effective_at, reverse=True):
        latest.setdefault(obs.kind, obs)
    active_codes = [p.code_id for p in problems if p.status == "active"]
    atcs = [getattr(i.drug, "atc_code", "") or "" for i in prescription_items]
    bp = latest.get("blood_pressure")
    bmi = latest.get("bmi")
    tc, hdl, waist = latest.get("total_cholesterol"), latest.get("hdl_cholesterol"), latest.get("waist")
    smoking = getattr(factors, "smoking", "") or None
    return {
        "sex": sex if sex in ("male", "female") else None,
        "age": _age(profile, today),
        "sbp": float(bp.value) if bp else None,
        "bmi": float(bmi.value) if bmi else None,
        "diabetes": any(c.startswith(DIABETES_CODES) for c in active_codes),
        "cvd": any(c.startswith(CVD_CODES) for c in active_codes),
        "high_glucose_on_record": any(c.startswith(HIGH_GLUCOSE_CODES) for c in active_codes),
        "antihypertensive": any(a.startswith(ANTIHYPERTENSIVE_ATC) for a in atcs),
        # Laboratory results and the waist are measurements; the rest are the patient's answers (RiskFactors).
        "total_chol_mmol_l": float(tc.value) if tc else None,
        "hdl_mmol_l": float(hdl.value) if hdl else None,
        "waist_cm": float(waist.value) if waist else None,
        "smoker": None if smoking is None else smoking == "current",
        "active_30_min_daily": getattr(factors, "active_30_min_daily", None),
        "vegetables_daily": getattr(factors, "vegetables_daily", None),
        "family_diabetes": getattr(factors, "family_diabetes", "") or None,
        "high_glucose_answer": getattr(factors, "high_glucose_history", None),
    }


def framingham_from(inputs: dict[str, Any]) -> RiskResult:
    r = RiskResult("framingham", _("Framingham general cardiovascular risk (10 years)"),
                   "D'Agostino et al., Circulation 2008;117:743–753")
    if inputs["cvd"]:
        r.not_applicable = _("Not applicable: the problem list holds a cardiovascular disease (the equation is "
                             "for people without one).")
        return r
    age = inputs["age"]
    if age is not None and not 30 <= age <= 74:
        r.not_applicable = _("Not applicable: the equation was derived for ages 30 to 74.")
        return r
    needed = [("sex", _("sex (profile)")), ("age", _("date of birth (profile)")),
              ("sbp", _("systolic blood pressure (measurement)")),
              ("total_chol_mmol_l", _("total cholesterol (laboratory result)")),
              ("hdl_mmol_l", _("HDL cholesterol (laboratory result)")), ("smoker", _("smoking status"))]
    r.missing = [label for key, label in needed if inputs[key] is None]
    if inputs["sex"] is not None:
        r.inputs.append((_("sex"), str(inputs["sex"])))
    if age is not None:
        r.inputs.append((_("age"), str(age)))
    if inputs["sbp"] is not None:
        r.inputs.append((_("systolic blood pressure"), f"{inputs['sbp']:.0f} mmHg"))
    r.inputs.append((_("blood-pressure medicine"), str(_("yes") if inputs["antihypertensive"] else _("no"))))
    r.inputs.append((_("diabetes on the problem list"), str(_("yes") if inputs["diabetes"] else _("no"))))
    if inputs["total_chol_mmol_l"] is not None:
        r.inputs.append((_("total cholesterol"), f"{inputs['total_chol_mmol_l']:.2f} mmol/L"))
    if inputs["hdl_mmol_l"] is not None:
        r.inputs.append((_("HDL cholesterol"), f"{inputs['hdl_mmol_l']:.2f} mmol/L"))
    if inputs["smoker"] is not None:
        r.inputs.append((_("smokes now"), str(_("yes") if inputs["smoker"] else _("no"))))
    if r.missing:
        return r
    risk = framingham_cvd_10y(
        sex=inputs["sex"], age=age, sbp=inputs["sbp"], bp_treated=inputs["antihypertensive"],
        total_chol_mg_dl=inputs["total_chol_mmol_l"] * MG_DL_PER_MMOL_L_CHOLESTEROL,
        hdl_mg_dl=inputs["hdl_mmol_l"] * MG_DL_PER_MMOL_L_CHOLESTEROL, smoker=inputs["smoker"],
        diabetes=inputs["diabetes"])
    r.value, r.band = f"{risk * 100:.1f} %", framingham_band(risk)
    r.band_label = BAND_LABELS[r.band]
    if inputs["smoker"]:
        r.lower_it.append(_("Stopping smoking."))
    if inputs["sbp"] >= 130:
        r.lower_it.append(_("A lower blood pressure (talk to your doctor about the target)."))
    r.lower_it.append(_("Better cholesterol values (diet, activity, and medicine if your doctor advises it)."))
    return r


def findrisc_from(inputs: dict[str, Any]) -> RiskResult:
    r = RiskResult("findrisc", _("FINDRISC diabetes risk score"), "Lindström & Tuomilehto, Diabetes Care 2003;26:725–731")
    if inputs["diabetes"]:
        r.not_applicable = _("Not applicable: diabetes is already on the problem list (the score screens for "
                             "undiagnosed type 2 diabetes).")
        return r
    needed = [("age", _("date of birth (profile)")), ("sex", _("sex (profile)")),
              ("bmi", _("body mass index (weight and height)")), ("waist_cm", _("waist circumference")),
              ("active_30_min_daily", _("at least 30 minutes of physical activity daily")),
              ("vegetables_daily", _("vegetables, fruit or berries every day")),
              ("family_diabetes", _("diabetes in the family"))]
    r.missing = [label for key, label in needed if inputs[key] is None]
    # Absent from the problem list does not mean "never": then the patient's own answer decides, or it is missing.
    high_glucose = True if inputs["high_glucose_on_record"] else inputs.get("high_glucose_answer")
    if high_glucose is None:
        r.missing.append(_("ever found to have high blood glucose"))
    if inputs["age"] is not None:
        r.inputs.append((_("age"), str(inputs["age"])))
    if inputs["bmi"] is not None:
        r.inputs.append((_("body mass index"), f"{inputs['bmi']:.1f}"))
    if inputs["waist_cm"] is not None:
        r.inputs.append((_("waist circumference"), f"{inputs['waist_cm']:.0f} cm"))
    r.inputs.append((_("blood-pressure medicine"), str(_("yes") if inputs["antihypertensive"] else _("no"))))
    if r.missing:
        return r
    points = findrisc_points(age=inputs["age"], bmi=inputs["bmi"], waist_cm=inputs["waist_cm"], sex=inputs["sex"],
                             active_30_min_daily=inputs["active_30_min_daily"],
                             vegetables_daily=inputs["vegetables_daily"], antihypertensive=inputs["antihypertensive"],
                             high_glucose_history=bool(high_glucose), family_diabetes=inputs["family_diabetes"])
    r.band, odds = findrisc_band(points)
    r.value, r.band_label = f"{points} / 26 ({odds})", BAND_LABELS[r.band]
    if inputs["bmi"] >= 25:
        r.lower_it.append(_("Losing weight towards a BMI under 25."))
    if not inputs["active_30_min_daily"]:
        r.lower_it.append(_("At least 30 minutes of physical activity every day."))
    if not inputs["vegetables_daily"]:
        r.lower_it.append(_("Vegetables, fruit or berries every day."))
    return r


def risk_flags(**record: Any) -> list[RiskResult]:
    inputs = gather(**record)
    return [framingham_from(inputs), findrisc_from(inputs)]


RISK_KINDS = ("blood_pressure", "bmi", "total_cholesterol", "hdl_cholesterol", "waist")


def _record_of(*, actor: Any, patient: Any) -> dict[str, Any]:
    """What the equations read, through the access-checked record selectors (the actor must be allowed)."""
    observations = list(observations_of(actor=actor, patient=patient).filter(kind__in=RISK_KINDS)[:500])
    problems = list(problems_of(actor=actor, patient=patient, status="active"))
    prescriptions = prescriptions_of(actor=actor, patient=patient).filter(status=PrescriptionStatus.ACTIVE)
    items = list(PrescriptionItem.objects.filter(prescription__in=prescriptions).select_related("drug"))
    factors = RiskFactors.objects.filter(patient=patient).first()
    return {"patient": patient, "observations": observations, "problems": problems, "prescription_items": items,
            "factors": factors}


def _record_unchecked(patient: Any) -> dict[str, Any]:
    """The same inputs read directly, for the periodic recomputation (internal processing, no reader: what it
    stores is shown only through the access-checked selector records.selectors.records.risk_assessments_of)."""
    return {"patient": patient,
            "observations": list(Observation.objects.filter(patient=patient, kind__in=RISK_KINDS)
                                 .order_by("-effective_at")[:500]),
            "problems": list(Problem.objects.filter(patient=patient, status="active")),
            "prescription_items": list(PrescriptionItem.objects.filter(
                prescription__patient=patient, prescription__status=PrescriptionStatus.ACTIVE).select_related("drug")),
            "factors": RiskFactors.objects.filter(patient=patient).first()}


def risk_flags_for(*, actor: Any, patient: Any) -> list[RiskResult]:
    """The risk information of one patient's record, read through the access-checked record selectors."""
    return risk_flags(**_record_of(actor=actor, patient=patient))


def _inputs_key(result: RiskResult) -> str:
    payload = json.dumps([result.value, result.band, [str(k) + "=" + v for k, v in result.inputs],
                          [str(m) for m in result.missing], str(result.not_applicable)])
    return hashlib.sha256(payload.encode()).hexdigest()


def risk_refresh(*, patient_ids: list[int] | None = None, since: dt.datetime | None = None) -> int:
    """Recompute the stored assessments (RiskAssessment) of the given patients, or of every patient whose record
    changed since `since` (new measurements, problems, prescriptions or risk answers). Runs as the system (the
    periodic task `records.risk_refresh`); only stored bands and missing-input names leave this function.
    Returns how many assessments changed."""
    User = get_user_model()
    if patient_ids is None:
        since = since or timezone.now() - dt.timedelta(days=1)
        ids: set[int] = set(Observation.objects.filter(created_at__gte=since, kind__in=RISK_KINDS)
                            .values_list("patient_id", flat=True))
        ids |= set(Problem.objects.filter(recorded_at__gte=since).values_list("patient_id", flat=True))
        ids |= set(Prescription.objects.filter(issued_at__gte=since).values_list("patient_id", flat=True))
        ids |= set(RiskFactors.objects.filter(updated_at__gte=since).values_list("patient_id", flat=True))
        patient_ids = sorted(ids)
    changed = 0
    for patient in User.objects.filter(pk__in=patient_ids).select_related("patient_profile"):
        for result in risk_flags(**_record_unchecked(patient)):
            key = _inputs_key(result)
            row = RiskAssessment.objects.filter(patient=patient, key=result.key).first()
            if row and row.inputs_key == key:
                continue
            RiskAssessment.objects.update_or_create(
                patient=patient, key=result.key,
                defaults={"value": result.value, "band": result.band, "inputs_key": key,
                          "missing": [str(m) for m in result.missing], "computed_at": timezone.now()})
            changed += 1
    return changed


_TRI = {"": None, "yes": True, "no": False}


def risk_factors_save(*, actor: Any, patient: Any, smoking: str = "", active_30_min_daily: str = "",
                      vegetables_daily: str = "", high_glucose_history: str = "", family_diabetes: str = ""
                      ) -> Any:
    """Save the patient's answers to the risk questions (the caller obtained `patient` from the policy with the
    write action: the patient themself, a proxy, or a doctor with a care relation). An empty answer means "not
    answered". Bad values are refused and nothing changes. Recomputes the stored bands at once."""
    answers = {"active_30_min_daily": active_30_min_daily, "vegetables_daily": vegetables_daily,
               "high_glucose_history": high_glucose_history}
    if smoking not in ("", *SmokingStatus.values) or family_diabetes not in ("", *FamilyDiabetes.values) \
            or any(v not in _TRI for v in answers.values()):
        raise ApplicationError(_("Please choose one of the offered answers."))
    with transaction.atomic():
        factors, _created = RiskFactors.objects.update_or_create(
            patient=patient, defaults={"smoking": smoking, "family_diabetes": family_diabetes,
                                       **{k: _TRI[v] for k, v in answers.items()},
                                       "updated_by": actor, "updated_at": timezone.now()})
        audit_record(actor=actor, action="update", object_type="risk_factors", object_id=factors.pk,
                     subject=patient, detail={"answered": sum(1 for v in (smoking, family_diabetes,
                                                                          *answers.values()) if v)})
    risk_refresh(patient_ids=[patient.pk])
    return factors
