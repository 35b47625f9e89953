"""Patient portraits (issue #6 §7): the platform's own data as a second feature source for the same pipeline.

Features: appointments, consultations, visit regularity (share of the last 12 months with a visit), pharmacy
spend, active problems, out-of-range observations, the worst health-risk band (records.RiskAssessment), doses
taken (%) and self-measurements per month (last 90 days).
Reads consult, records and pharmacy tables read-only, with one GROUP BY per source (models resolved through the app
registry, never written). Only patients with an active "portraits" consent are included (PIPL: separate
consent for sensitive data). Dimensions and labels: analysis.spec.PATIENTS.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from django.apps import apps
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.models import Consent, ConsentKind, Role, User

from .analysis.spec import PATIENTS


def _grouped(model: str, key: str, **aggregates) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    try:
        m = apps.get_model(model)
    except LookupError:  # the other app is not installed in this deployment
        return pd.DataFrame()
    rows = list(m.objects.values(key).annotate(**aggregates).order_by())
    frame = pd.DataFrame.from_records(rows)
    return frame.set_index(key) if not frame.empty else frame


# The bands of records.services.risk, as one ordinal (the worse of the two equations counts).
RISK_BAND_LEVEL = {"low": 0, "slightly_elevated": 1, "intermediate": 2, "moderate": 2, "high": 3, "very_high": 4}


def _visit_months(since: dt.datetime, until: dt.datetime) -> pd.DataFrame:
    """Visit regularity: the share of the last 12 months with at least one visit that was not cancelled."""
    try:
        m = apps.get_model("consult.Appointment")
    except LookupError:
        return pd.DataFrame()
    rows = list(m.objects.filter(start__gte=since, start__lte=until).exclude(status="cancelled")
                .annotate(month=TruncMonth("start")).values("patient_id", "month").distinct().order_by())
    frame = pd.DataFrame.from_records(rows)
    if frame.empty:
        return frame
    return (frame.groupby("patient_id").size() / 12.0).rename("visit_regularity").to_frame()


def _risk_levels() -> pd.DataFrame:
    try:
        m = apps.get_model("records.RiskAssessment")
    except LookupError:
        return pd.DataFrame()
    frame = pd.DataFrame.from_records(list(m.objects.exclude(band="").values("patient_id", "band")))
    if frame.empty:
        return frame
    frame["risk_level"] = frame["band"].map(RISK_BAND_LEVEL).fillna(0)
    return frame.groupby("patient_id")["risk_level"].max().to_frame()


def patient_features() -> pd.DataFrame:
    consenting = Consent.objects.filter(kind=ConsentKind.PORTRAITS, withdrawn_at__isnull=True).values("user_id")
    ids = list(User.objects.filter(role=Role.PATIENT, id__in=consenting).values_list("id", flat=True))
    out = pd.DataFrame(index=pd.Index(ids, name="patient_id"), columns=PATIENTS.features, dtype=float)
    if not ids:
        return out
    parts = {
        "appointments": _grouped("consult.Appointment", "patient_id",
                                 appointments=Count("id", filter=~Q(status="cancelled"))),
        "consultations": _grouped("consult.ConsultationThread", "appointment__patient_id",
                                  consultations=Count("id")),
        "spend": _grouped("pharmacy.Order", "patient_id",
                          spend=Sum("total", filter=~Q(status__in=["cancelled", "refunded", "rejected",
                                                                   "pending_payment"]))),
        "active_problems": _grouped("records.Problem", "patient_id",
                                    active_problems=Count("id", filter=Q(status="active"))),
        "abnormal_observations": _grouped("records.Observation", "patient_id",
                                          abnormal_observations=Count("id", filter=Q(is_out_of_range=True))),
        "doses": _grouped("records.DoseReminder", "patient_id",
                          taken=Count("id", filter=Q(status="taken")),
                          due=Count("id", filter=Q(status__in=["taken", "skipped", "missed"]))),
    }
    now = timezone.now()
    year_ago, quarter_ago = now - dt.timedelta(days=365), now - dt.timedelta(days=90)
    parts["visit_regularity"] = _visit_months(year_ago, now)
    parts["measurements_per_month"] = _grouped(
        "records.Observation", "patient_id",
        measurements_per_month=Count("id", filter=Q(source="patient", effective_at__gte=quarter_ago)))
    if not parts["measurements_per_month"].empty:
        parts["measurements_per_month"]["measurements_per_month"] /= 3.0
    parts["risk_level"] = _risk_levels()
    for feat in ["appointments", "consultations", "visit_regularity", "spend", "active_problems",
                 "abnormal_observations", "risk_level", "measurements_per_month"]:
        frame = parts[feat]
        col = frame[feat].astype(float) if not frame.empty else pd.Series(dtype=float)
        out[feat] = col.reindex(out.index).fillna(0.0).to_numpy()
    doses = parts["doses"]
    if not doses.empty:
        due = doses["due"].reindex(out.index).astype(float)
        out["doses_taken_pct"] = np.where(due > 0, 100 * doses["taken"].reindex(out.index) / due.where(due > 0, 1),
                                          np.nan)
    # No dose was due → adherence unknown → cohort median (cleaning), not 0 %.
    return out
