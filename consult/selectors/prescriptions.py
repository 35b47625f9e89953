"""Reads of prescriptions: what the pharmacy may fill, what a patient or doctor sees."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from accounts.models import User

from ..models import DoseReminder, DoseStatus, Prescription, PrescriptionItem


def prescription_items_fillable(*, patient: User, at: dt.datetime | None = None) -> QuerySet[PrescriptionItem]:
    """Items of the patient's prescriptions the pharmacy may still fill: the prescription is active and not
    expired, and some quantity remains. Ordered oldest prescription first (fill the oldest first)."""
    return (
        PrescriptionItem.objects.fillable(at)
        .filter(prescription__patient=patient)
        .select_related("prescription", "drug")
        .order_by("prescription__issued_at", "id")
    )


def prescription_items_by_ids(ids: list[int]) -> dict[int, PrescriptionItem]:
    """Prescription items by id with their prescription, doctor and drug — for another app showing the
    prescriptions it links to (the pharmacist's order review). Read-only; the caller has checked access."""
    return {i.pk: i for i in PrescriptionItem.objects.filter(pk__in=ids)
            .select_related("prescription__doctor", "drug")}


def prescriptions_of(*, patient: User) -> QuerySet[Prescription]:
    return (
        Prescription.objects.filter(patient=patient)
        .select_related("doctor", "encounter")
        .prefetch_related("items__drug")
        .order_by("-issued_at")
    )


@dataclass(frozen=True)
class Adherence:
    """taken ÷ (taken + skipped + missed): doses whose outcome is known. A dose still within its grace period
    (reminded, not yet answered) or in the future does not count either way."""

    taken: int
    skipped: int
    missed: int
    pending: int

    @property
    def due(self) -> int:
        return self.taken + self.skipped + self.missed

    @property
    def rate(self) -> float | None:
        return None if self.due == 0 else self.taken / self.due

    @property
    def percent(self) -> int | None:
        rate = self.rate
        return None if rate is None else int(round(rate * 100))


def _adherence(rows: dict[str, int]) -> Adherence:
    return Adherence(taken=rows.get(DoseStatus.TAKEN, 0), skipped=rows.get(DoseStatus.SKIPPED, 0),
                     missed=rows.get(DoseStatus.MISSED, 0), pending=rows.get(DoseStatus.SENT, 0))


def adherence_for_patient(*, patient: User) -> Adherence:
    """Over all of the patient's medicines (one GROUP BY query)."""
    rows = dict(DoseReminder.objects.filter(patient=patient).values("status").annotate(n=Count("id"))
                .values_list("status", "n"))
    return _adherence(rows)


def adherence_by_item(*, patient: User) -> dict[int, Adherence]:
    """Per prescription item (one GROUP BY query)."""
    grouped: dict[int, dict[str, int]] = {}
    for item_id, status, n in (DoseReminder.objects.filter(patient=patient).values("item_id", "status")
                               .annotate(n=Count("id")).values_list("item_id", "status", "n")):
        grouped.setdefault(item_id, {})[status] = n
    return {item_id: _adherence(rows) for item_id, rows in grouped.items()}


def adherence_by_prescription(*, patient: User) -> dict[int, Adherence]:
    return _adherence_grouped(DoseReminder.objects.filter(patient=patient))


def adherence_for_prescriptions(*, prescription_ids: list[int]) -> dict[int, Adherence]:
    return _adherence_grouped(DoseReminder.objects.filter(item__prescription_id__in=prescription_ids))


def _adherence_grouped(qs: QuerySet[DoseReminder]) -> dict[int, Adherence]:
    grouped: dict[int, dict[str, int]] = {}
    for rx_id, status, n in (qs.values("item__prescription_id", "status")
                             .annotate(n=Count("id")).values_list("item__prescription_id", "status", "n")):
        grouped.setdefault(rx_id, {})[status] = grouped.get(rx_id, {}).get(status, 0) + n
    return {rx_id: _adherence(rows) for rx_id, rows in grouped.items()}


def doses_of(*, patient: User, start: dt.datetime | None = None, end: dt.datetime | None = None) -> QuerySet[DoseReminder]:
    qs = DoseReminder.objects.filter(patient=patient).select_related("item__drug", "plan")
    if start:
        qs = qs.filter(scheduled_at__gte=start)
    if end:
        qs = qs.filter(scheduled_at__lt=end)
    return qs.order_by("scheduled_at")


def prescriptions_by_doctor(*, doctor: User) -> QuerySet[Prescription]:
    return (Prescription.objects.filter(doctor=doctor).select_related("patient", "encounter")
            .prefetch_related("items__drug").order_by("-issued_at"))
