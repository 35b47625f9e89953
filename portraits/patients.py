"""Patient portraits (issue #6 §7): the platform's own data as a second feature source for the same pipeline.

Reads consult and pharmacy tables read-only, with one GROUP BY per source (models resolved through the app
registry, never written). Only patients with an active "portraits" consent are included (PIPL: separate
consent for sensitive data). Dimensions and labels: analysis.spec.PATIENTS.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from django.apps import apps
from django.db.models import Count, Q, Sum

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
    for feat in ["appointments", "consultations", "spend", "active_problems", "abnormal_observations"]:
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
