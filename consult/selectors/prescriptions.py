"""Reads of prescriptions: what the pharmacy may fill, what a patient or doctor sees."""
from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from accounts.models import User

from ..models import Prescription, PrescriptionItem


def prescription_items_fillable(*, patient: User, at: dt.datetime | None = None) -> QuerySet[PrescriptionItem]:
    """Items of the patient's prescriptions the pharmacy may still fill: the prescription is active and not
    expired, and some quantity remains. Ordered oldest prescription first (fill the oldest first)."""
    return (
        PrescriptionItem.objects.fillable(at)
        .filter(prescription__patient=patient)
        .select_related("prescription", "drug")
        .order_by("prescription__issued_at", "id")
    )


def prescriptions_of(*, patient: User) -> QuerySet[Prescription]:
    return (
        Prescription.objects.filter(patient=patient)
        .select_related("doctor", "encounter")
        .prefetch_related("items__drug")
        .order_by("-issued_at")
    )
