"""Health-risk information: the Framingham general CVD equation (D'Agostino et al., Circulation 2008;117:743–753)
and FINDRISC (Lindström & Tuomilehto, Diabetes Care 2003;26:725–731); missing inputs are named, never guessed.

Published reference values used:
- D'Agostino 2008, Table 2 (the Cox model with laboratory values): the β coefficients, the mean Σβx̄ (women
  26.1931, men 23.9802) and the 10-year baseline survival S0(10) (women 0.95012, men 0.88936) — checked against
  the paper's table as reproduced by the Medscape "Framingham 10 Year Risk of General Cardiovascular Disease
  (2008 paper)" calculator. By the equation's construction a person whose Σβx equals the published mean has
  risk 1 − S0: 4.99 % (women), 11.06 % (men).
- The paper's own patient worked example could not be verified here, so no figure from it is asserted.
- FINDRISC: the published score sheet (points per answer) and its bands (< 7 low 1 in 100, 7–11 slightly
  elevated 1 in 25, 12–14 moderate 1 in 6, 15–20 high 1 in 3, > 20 very high 1 in 2)."""
from __future__ import annotations

import datetime as dt
import math

import pytest
from django.urls import reverse
from django.utils import translation

from records.services.records import observation_record
from records.services.risk import (
    FRAMINGHAM,
    findrisc_band,
    findrisc_from,
    findrisc_points,
    framingham_cvd_10y,
    framingham_from,
    gather,
)
from tests.factories import PatientFactory


def _age_for_sum(sex: str, total: float, **fixed: float) -> float:
    """The age at which Σβx equals `total` with the other inputs fixed (so the test reaches the mean exactly)."""
    b = FRAMINGHAM[sex]
    rest = (b["ln_tc"] * math.log(fixed["tc"]) + b["ln_hdl"] * math.log(fixed["hdl"])
            + b["ln_sbp_untreated"] * math.log(fixed["sbp"]))
    return math.exp((total - rest) / b["ln_age"])


@pytest.mark.parametrize(("sex", "expected"), [("female", 1 - 0.95012), ("male", 1 - 0.88936)])
def test_at_the_published_mean_the_risk_is_one_minus_the_baseline_survival(sex: str, expected: float) -> None:
    fixed = {"tc": 200.0, "hdl": 50.0, "sbp": 125.0}
    age = _age_for_sum(sex, FRAMINGHAM[sex]["mean"], **fixed)
    risk = framingham_cvd_10y(sex=sex, age=age, total_chol_mg_dl=fixed["tc"], hdl_mg_dl=fixed["hdl"],
                              sbp=fixed["sbp"], bp_treated=False, smoker=False, diabetes=False)
    assert risk == pytest.approx(expected, abs=1e-9)


def test_published_coefficients_table_2() -> None:
    assert FRAMINGHAM["female"] == {"ln_age": 2.32888, "ln_tc": 1.20904, "ln_hdl": -0.70833,
                                    "ln_sbp_untreated": 2.76157, "ln_sbp_treated": 2.82263, "smoker": 0.52873,
                                    "diabetes": 0.69154, "mean": 26.1931, "s0": 0.95012}
    assert FRAMINGHAM["male"] == {"ln_age": 3.06117, "ln_tc": 1.12370, "ln_hdl": -0.93263,
                                  "ln_sbp_untreated": 1.93303, "ln_sbp_treated": 1.99881, "smoker": 0.65451,
                                  "diabetes": 0.57367, "mean": 23.9802, "s0": 0.88936}


def test_each_risk_factor_moves_the_risk_the_published_way() -> None:
    base = {"sex": "male", "age": 55, "total_chol_mg_dl": 213, "hdl_mg_dl": 50, "sbp": 130, "bp_treated": False,
            "smoker": False, "diabetes": False}
    r0 = framingham_cvd_10y(**base)
    # smoking multiplies the hazard by exp(β_smoker): 1 − S0^(h·e^β) with h = −ln(1 − r0)/−ln(S0)
    smoker = framingham_cvd_10y(**{**base, "smoker": True})
    assert math.log(1 - smoker) / math.log(1 - r0) == pytest.approx(math.exp(0.65451))
    assert framingham_cvd_10y(**{**base, "bp_treated": True}) > r0
    assert framingham_cvd_10y(**{**base, "hdl_mg_dl": 70}) < r0
    assert framingham_cvd_10y(**{**base, "age": 65}) > r0


def test_findrisc_score_sheet_and_bands() -> None:
    # age 58 → 3, BMI 27.1 → 1, waist (man) 99 cm → 3, not active → 2, vegetables daily → 0,
    # antihypertensive → 2, no high glucose → 0, a parent with diabetes → 5: 16 points, "high" (1 in 3)
    points = findrisc_points(age=58, bmi=27.1, waist_cm=99, sex="male", active_30_min_daily=False,
                             vegetables_daily=True, antihypertensive=True, high_glucose_history=False,
                             family_diabetes="first_degree")
    assert points == 3 + 1 + 3 + 2 + 0 + 2 + 0 + 5
    assert findrisc_band(points) == ("high", "1 in 3")
    # the maximum of the sheet is 26
    assert findrisc_points(age=70, bmi=31, waist_cm=120, sex="female", active_30_min_daily=False,
                           vegetables_daily=False, antihypertensive=True, high_glucose_history=True,
                           family_diabetes="first_degree") == 26
    assert [findrisc_band(p)[0] for p in (6, 7, 11, 12, 14, 15, 20, 21)] == [
        "low", "slightly_elevated", "slightly_elevated", "moderate", "moderate", "high", "high", "very_high"]


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def _inputs(**over: object) -> dict:
    base = {"sex": "female", "age": 61, "sbp": 124.0, "bmi": 26.0, "diabetes": False, "cvd": False,
            "high_glucose_on_record": False, "antihypertensive": False, "total_chol_mmol_l": None,
            "hdl_mmol_l": None, "smoker": None, "waist_cm": None, "active_30_min_daily": None,
            "vegetables_daily": None, "family_diabetes": None}
    return {**base, **over}


def test_missing_inputs_are_named_and_nothing_is_computed() -> None:
    r = framingham_from(_inputs(sbp=None))
    assert not r.computed
    names = [str(m) for m in r.missing]
    assert names == ["systolic blood pressure (measurement)", "total cholesterol (laboratory result)",
                     "HDL cholesterol (laboratory result)", "smoking status"]
    f = findrisc_from(_inputs())
    assert not f.computed
    assert "waist circumference" in [str(m) for m in f.missing]
    # an empty problem list does not mean "never had high glucose": it is asked, not assumed
    assert "ever found to have high blood glucose" in [str(m) for m in f.missing]


def test_complete_inputs_give_value_band_and_what_would_lower_it() -> None:
    r = framingham_from(_inputs(total_chol_mmol_l=180 / 38.67, hdl_mmol_l=47 / 38.67, smoker=True))
    expected = framingham_cvd_10y(sex="female", age=61, total_chol_mg_dl=180, hdl_mg_dl=47, sbp=124,
                                  bp_treated=False, smoker=True, diabetes=False)
    assert r.value == f"{expected * 100:.1f} %"
    assert r.band == ("low" if expected < 0.1 else "intermediate" if expected < 0.2 else "high")
    assert "Stopping smoking." in [str(t) for t in r.lower_it]


def test_not_applicable_with_known_cvd_or_diabetes_or_outside_ages() -> None:
    assert framingham_from(_inputs(cvd=True)).not_applicable
    assert framingham_from(_inputs(age=80)).not_applicable
    assert findrisc_from(_inputs(diabetes=True)).not_applicable


@pytest.mark.django_db
def test_record_inputs_come_from_profile_observations_and_problems() -> None:
    patient = PatientFactory()
    profile = patient.patient_profile
    profile.sex, profile.date_of_birth = "male", dt.date(1970, 6, 1)
    profile.save()
    observation_record(actor=patient, patient=patient, kind="blood_pressure", value="138", value2="86")
    obs = list(patient.observations.all())
    inputs = gather(patient=patient, observations=obs, problems=[], prescription_items=[],
                    today=dt.date(2026, 12, 7))
    assert (inputs["sex"], inputs["age"], inputs["sbp"], inputs["diabetes"]) == ("male", 56, 138.0, False)


@pytest.mark.django_db
def test_record_page_shows_the_risk_section_with_missing_inputs(client) -> None:  # type: ignore[no-untyped-def]
    patient = PatientFactory()
    profile = patient.patient_profile
    profile.date_of_birth = dt.date(1970, 6, 1)
    profile.save()
    client.force_login(patient)
    html = client.get(reverse("records:record", args=[patient.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Framingham general cardiovascular risk (10 years)" in html
    assert "not a diagnosis" in html
    assert "total cholesterol (laboratory result)" in html
    zh = client.get(reverse("records:record", args=[patient.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "总胆固醇" in zh


def _complete_patient():  # type: ignore[no-untyped-def]
    """A 56-year-old man with blood pressure, cholesterol, HDL, weight/height and waist on the record."""
    patient = PatientFactory()
    profile = patient.patient_profile
    profile.sex, profile.date_of_birth = "male", dt.date(1970, 6, 1)
    profile.save()
    for kind, value, value2 in (("blood_pressure", "142", "88"), ("total_cholesterol", "5.6", None),
                                ("hdl_cholesterol", "1.1", None), ("height", "172", None), ("weight", "82", None),
                                ("waist", "97", None)):
        observation_record(actor=patient, patient=patient, kind=kind, value=value, value2=value2)
    return patient


@pytest.mark.django_db
def test_answers_and_laboratory_results_make_both_equations_computable() -> None:
    from records.models import RiskAssessment
    from records.services.risk import risk_factors_save, risk_flags_for

    patient = _complete_patient()
    before = {r.key: r for r in risk_flags_for(actor=patient, patient=patient)}
    assert not before["framingham"].computed
    assert [str(m) for m in before["framingham"].missing] == ["smoking status"]
    risk_factors_save(actor=patient, patient=patient, smoking="current", active_30_min_daily="no",
                      vegetables_daily="yes", high_glucose_history="no", family_diabetes="second_degree")
    after = {r.key: r for r in risk_flags_for(actor=patient, patient=patient)}
    shown = after["framingham"].inputs  # the inputs are shown with their values
    assert any(str(label) == "total cholesterol" and value == "5.60 mmol/L" for label, value in shown)
    today = dt.datetime.now(tz=dt.UTC).date()
    years = today.year - 1970 - ((today.month, today.day) < (6, 1))
    expected = framingham_cvd_10y(sex="male", age=years,
                                  total_chol_mg_dl=5.6 * 38.67, hdl_mg_dl=1.1 * 38.67, sbp=142, bp_treated=False,
                                  smoker=True, diabetes=False)
    assert after["framingham"].value == f"{expected * 100:.1f} %"
    bmi = 82 / 1.72 ** 2
    points = findrisc_points(age=years, bmi=round(bmi, 1), waist_cm=97, sex="male", active_30_min_daily=False,
                             vegetables_daily=True, antihypertensive=False, high_glucose_history=False,
                             family_diabetes="second_degree")
    assert after["findrisc"].value.startswith(f"{points} / 26")
    # the answers were stored and the bands recomputed at once; a second run with the same inputs changes nothing
    stored = {a.key: a for a in RiskAssessment.objects.filter(patient=patient)}
    assert stored["framingham"].value == after["framingham"].value
    assert stored["findrisc"].band == after["findrisc"].band
    from records.services.risk import risk_refresh

    assert risk_refresh(patient_ids=[patient.pk]) == 0


@pytest.mark.django_db
def test_bad_answers_are_refused_and_change_nothing() -> None:
    from core.errors import ApplicationError
    from records.models import RiskFactors
    from records.services.risk import risk_factors_save

    patient = _complete_patient()
    with pytest.raises(ApplicationError):
        risk_factors_save(actor=patient, patient=patient, smoking="sometimes")
    with pytest.raises(ApplicationError):
        risk_factors_save(actor=patient, patient=patient, vegetables_daily="maybe")
    assert not RiskFactors.objects.filter(patient=patient).exists()


@pytest.mark.django_db
def test_the_periodic_refresh_picks_up_changed_records_only() -> None:
    from records.models import RiskAssessment
    from records.tasks import risk_refresh as task

    _complete_patient()
    other = PatientFactory()
    assert task.apply().get() >= 2  # both equations of the changed record (none for `other`: no inputs changed)
    assert not RiskAssessment.objects.filter(patient=other).exists()
    assert task.apply().get() == 0


@pytest.mark.django_db
def test_the_answers_page_and_the_console_summary(client) -> None:  # type: ignore[no-untyped-def]
    from django.template.loader import render_to_string

    patient = _complete_patient()
    client.force_login(patient)
    url = reverse("records:risk-factors", args=[patient.pk])
    r = client.post(url, {"smoking": "current", "active_30_min_daily": "no", "vegetables_daily": "no",
                          "high_glucose_history": "no", "family_diabetes": "first_degree"})
    assert r.status_code == 302
    html = client.get(reverse("records:record", args=[patient.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="risk-value"' in html
    assert "Not computed" not in html
    summary = render_to_string("records/summary.html", {"patient": patient})
    assert "Diabetes risk (FINDRISC)" in summary
    # another patient may not answer for this one: refused as not found, nothing stored for them
    stranger = PatientFactory()
    client.force_login(stranger)
    assert client.post(url, {"smoking": "never"}).status_code == 404
    assert patient.risk_factors.smoking == "current"
