"""Health-record pages: the record (patient or doctor), measurements with charts, timeline, documents, FHIR."""
from __future__ import annotations

import datetime as dt
import json

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from accounts import policy
from accounts.models import Role
from accounts.policy import access, page
from accounts.services import audit_record
from consult.models import Encounter
from core.errors import ApplicationError
from core.pages import flash_error

from ..models import (
    OBSERVATION_SPECS,
    AllergyCategory,
    AllergySeverity,
    FamilyDiabetes,
    HealthDocumentKind,
    ObservationKind,
    SmokingStatus,
)
from ..selectors import prescriptions as rx_selectors
from ..selectors import records as selectors
from ..services import records as services
from ..services.fhir import patient_everything
from ..services.risk import risk_factors_save, risk_flags_for


def _patient_or_404(request: HttpRequest, patient_id: int):  # type: ignore[no-untyped-def]
    """The record's patient if the policy lets the user (read on GET, write on POST); a refusal is audited and
    answered with the 404 page (accounts.policy.pages.RefusalMiddleware)."""
    action = policy.Action.READ if request.method in ("GET", "HEAD") else policy.Action.WRITE
    return selectors.record_patient_for(user=request.user, patient_id=patient_id, action=action)


@access("own")
@page("records.use")
def records_home(request: HttpRequest) -> HttpResponse:
    if request.user.role == Role.PATIENT:
        return redirect("records:record", patient_id=request.user.pk)
    patients = selectors.doctor_patients(doctor=request.user)
    return render(request, "records/doctor_patients.html", {"patients": patients})


CHART_ORDER = [ObservationKind.BLOOD_PRESSURE, ObservationKind.HEART_RATE, ObservationKind.GLUCOSE,
               ObservationKind.WEIGHT, ObservationKind.BMI, ObservationKind.SPO2, ObservationKind.TEMPERATURE,
               ObservationKind.HEIGHT, ObservationKind.TOTAL_CHOLESTEROL, ObservationKind.HDL_CHOLESTEROL,
               ObservationKind.WAIST]


def chart_series(observations) -> dict:  # type: ignore[no-untyped-def]
    """Plotly traces per measurement kind in CHART_ORDER, oldest point first (pure: observations in, a dict out)."""
    series: dict[str, dict] = {}
    for obs in sorted(observations, key=lambda o: o.effective_at):
        if obs.kind not in series:
            series[obs.kind] = {"label": str(ObservationKind(obs.kind).label),
                                "unit": OBSERVATION_SPECS[obs.kind].unit_label, "x": [], "y": [], "y2": [], "flag": []}
        entry = series[obs.kind]
        entry["x"].append(obs.effective_at.isoformat())
        entry["y"].append(float(obs.value))
        entry["y2"].append(float(obs.value2) if obs.value2 is not None else None)
        entry["flag"].append(obs.is_out_of_range)
    return {kind.value: series[kind.value] for kind in CHART_ORDER if kind.value in series}


@access("patient_record")
@page("records.use")
def record_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient_or_404(request, patient_id)
    decision = policy.patient_record(request.user, patient.pk)
    audit_record(actor=request.user, action="read", object_type="health_record", object_id=patient.pk,
                 subject=patient, detail={"via": decision.rule})
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=365)
    actor = request.user
    observations = list(selectors.observations_of(actor=actor, patient=patient).filter(effective_at__gte=since)[:2000])
    context = {
        "patient": patient,
        "access_rule": decision.rule,
        "read_only": not policy.patient_record(actor, patient.pk, policy.Action.WRITE),
        "colleagues": (selectors.colleagues_to_share_with(doctor=actor, patient=patient)
                       if decision.rule == "care_relation" else []),
        "allergies": selectors.allergies_of(actor=actor, patient=patient),
        "problems": selectors.problems_of(actor=actor, patient=patient),
        "observations": observations[:15],
        "series_json": json.dumps(chart_series(observations)),
        "adherence": rx_selectors.adherence_for_patient(actor=actor, patient=patient),
        "prescriptions": rx_selectors.prescriptions_of(actor=actor, patient=patient)[:10],
        "documents": selectors.documents_of(actor=actor, patient=patient)[:20],
        "risks": risk_flags_for(actor=actor, patient=patient),
        "risk_factors": selectors.risk_factors_of(actor=actor, patient=patient),
        "smoking_choices": SmokingStatus.choices, "family_diabetes_choices": FamilyDiabetes.choices,
        "kinds": ObservationKind.choices, "specs": OBSERVATION_SPECS,
        "severities": AllergySeverity.choices, "categories": AllergyCategory.choices,
        "document_kinds": HealthDocumentKind.choices,
        "is_doctor": request.user.role == Role.DOCTOR,
        "my_encounters": (Encounter.objects.filter(patient=patient, doctor=request.user).order_by("-occurred_at")[:5]
                          if request.user.role == Role.DOCTOR else []),
    }
    return render(request, "records/record.html", context)


def _back(patient_id: int) -> HttpResponse:
    return redirect(reverse("records:record", args=[patient_id]))


@require_POST
@access("patient_record")
@page("records.use")
def observation_add(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient_or_404(request, patient_id)
    try:
        obs = services.observation_record(actor=request.user, patient=patient, kind=request.POST.get("kind", ""),
                                          value=request.POST.get("value", ""), value2=request.POST.get("value2") or None,
                                          note=request.POST.get("note", ""))
    except ApplicationError as exc:
        flash_error(request, exc)
    else:
        from django.contrib import messages
        from django.utils.translation import gettext as _

        if obs.is_out_of_range:
            messages.warning(request, _("Saved. %(value)s is outside the usual range.") % {"value": obs.display_value})
        else:
            messages.success(request, _("Measurement saved."))
    return _back(patient.pk)


@require_POST
@access("patient_record")
@page("records.use")
def risk_factors(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The answers to the risk questions (smoking, activity, vegetables, high glucose, diabetes in the family)."""
    patient = _patient_or_404(request, patient_id)
    try:
        risk_factors_save(actor=request.user, patient=patient,
                          **{k: request.POST.get(k, "") for k in ("smoking", "active_30_min_daily", "vegetables_daily",
                                                                   "high_glucose_history", "family_diabetes")})
    except ApplicationError as exc:
        flash_error(request, exc)
    else:
        from django.contrib import messages
        from django.utils.translation import gettext as _

        messages.success(request, _("Your answers are saved; the risk information below is up to date."))
    return _back(patient.pk)


@require_POST
@access("patient_record")
@page("records.use")
def allergy_add(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient_or_404(request, patient_id)
    try:
        services.allergy_add(actor=request.user, patient=patient, substance=request.POST.get("substance", ""),
                             reaction=request.POST.get("reaction", ""),
                             severity=request.POST.get("severity", AllergySeverity.MODERATE),
                             category=request.POST.get("category", AllergyCategory.MEDICATION))
    except ApplicationError as exc:
        flash_error(request, exc)
    return _back(patient.pk)


@require_POST
@access("patient_record")
@page("problem.write")
def problem_add(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient_or_404(request, patient_id)
    try:
        onset = parse_date(request.POST.get("onset_date") or "")
    except ValueError:
        onset = None
    try:
        services.problem_add(doctor=request.user, patient=patient, code=request.POST.get("code", ""),
                             onset_date=onset, note=request.POST.get("note", ""))
    except ApplicationError as exc:
        flash_error(request, exc)
    return _back(patient.pk)


@require_POST
@access("patient_record")
@page("problem.write")
def problem_resolve(request: HttpRequest, patient_id: int, problem_id: int) -> HttpResponse:
    patient = _patient_or_404(request, patient_id)
    try:
        services.problem_resolve(doctor=request.user, problem_id=problem_id, patient=patient)
    except ApplicationError as exc:
        flash_error(request, exc)
    return _back(patient.pk)


@require_POST
@access("patient_record")
@page("records.use")
def document_upload(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient_or_404(request, patient_id)
    uploaded = request.FILES.get("file")
    try:
        if uploaded is None:
            from django.utils.translation import gettext as _

            raise ApplicationError(_("Choose a file."))
        services.document_upload(actor=request.user, patient=patient, title=request.POST.get("title", ""),
                                 kind=request.POST.get("kind", HealthDocumentKind.OTHER), uploaded=uploaded)
    except ApplicationError as exc:
        flash_error(request, exc)
    return _back(patient.pk)


@access("patient_record", objects={"document_id": "health_document"})
@page("records.use")
def document_download(request: HttpRequest, document_id: int) -> HttpResponse:
    doc = selectors.document_for(actor=request.user, document_id=document_id)
    patient = doc.patient
    audit_record(actor=request.user, action="read", object_type="health_document", object_id=doc.pk, subject=patient)
    stored = services.document_open(doc)
    if stored is None:
        raise Http404
    return FileResponse(stored, content_type=doc.content_type, as_attachment=True, filename=doc.original_name)


@access("patient_record")
@page("records.use")
def timeline(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient_or_404(request, patient_id)
    audit_record(actor=request.user, action="read", object_type="timeline", object_id=patient.pk, subject=patient)
    return render(request, "records/timeline.html",
                  {"patient": patient, "entries": selectors.timeline_of(actor=request.user, patient=patient)})


@access("patient_record")
@page("records.use")
def fhir_download(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The record as a FHIR R4 JSON file (a patient's own copy, or a doctor's export)."""
    patient = _patient_or_404(request, patient_id)
    bundle = patient_everything(actor=request.user, patient=patient,
                                base_url=request.build_absolute_uri("/fhir/").rstrip("/"))
    response = HttpResponse(json.dumps(bundle, ensure_ascii=False, indent=1),
                            content_type="application/fhir+json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="patient-{patient.pk}-fhir.json"'
    return response
