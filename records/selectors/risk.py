"""The risk flags of one patient's record, read through the access-checked record selectors."""
from __future__ import annotations

from typing import Any

from ..models import PrescriptionItem, PrescriptionStatus
from ..services.risk import RiskResult, risk_flags
from .prescriptions import prescriptions_of
from .records import observations_of, problems_of


def risk_flags_for(*, actor: Any, patient: Any) -> list[RiskResult]:
    observations = list(observations_of(actor=actor, patient=patient).filter(kind__in=["blood_pressure", "bmi"])[:200])
    problems = list(problems_of(actor=actor, patient=patient, status="active"))
    prescriptions = prescriptions_of(actor=actor, patient=patient).filter(status=PrescriptionStatus.ACTIVE)
    items = list(PrescriptionItem.objects.filter(prescription__in=prescriptions).select_related("drug"))
    return risk_flags(patient=patient, observations=observations, problems=problems, prescription_items=items)
