"""Reads of prescriptions: what the pharmacy may fill, what a patient or doctor sees."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import Role, User

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


def prescription_items_not_approved(item_ids: list[int]) -> list[PrescriptionItem]:
    """Of these items, those whose prescription the pharmacist has not approved (pending or rejected) — for
    pharmacy's gates before payment and dispensing."""
    return list(PrescriptionItem.objects.filter(pk__in=item_ids).exclude(prescription__review_status="approved")
                .select_related("prescription", "drug"))


def prescription_item_owner(*, item_id: int) -> int | None:
    """Whose prescription an item is (the patient's id), or None when there is no such item — for another app's
    ownership check through the access policy."""
    return PrescriptionItem.objects.filter(pk=item_id).values_list("prescription__patient_id", flat=True).first()


def prescription_items_by_ids(ids: list[int]) -> dict[int, PrescriptionItem]:
    """Prescription items by id with their prescription, doctor and drug — for another app showing the
    prescriptions it links to (the pharmacist's order review). Read-only; the caller has checked access."""
    return {i.pk: i for i in PrescriptionItem.objects.filter(pk__in=ids)
            .select_related("prescription__doctor", "drug")}


def prescriptions_of(*, actor: Any, patient: User) -> QuerySet[Prescription]:
    from .records import readable

    readable(actor=actor, patient=patient, object_type="prescription")
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


def adherence_for_patient(*, actor: Any, patient: User) -> Adherence:
    """Over all of the patient's medicines (one GROUP BY query)."""
    from .records import readable

    readable(actor=actor, patient=patient, object_type="dose")
    rows = dict(DoseReminder.objects.filter(patient=patient).values("status").annotate(n=Count("id"))
                .values_list("status", "n"))
    return _adherence(rows)


def adherence_by_item(*, actor: Any, patient: User) -> dict[int, Adherence]:
    """Per prescription item (one GROUP BY query)."""
    from .records import readable

    readable(actor=actor, patient=patient, object_type="dose")
    grouped: dict[int, dict[str, int]] = {}
    for item_id, status, n in (DoseReminder.objects.filter(patient=patient).values("item_id", "status")
                               .annotate(n=Count("id")).values_list("item_id", "status", "n")):
        grouped.setdefault(item_id, {})[status] = n
    return {item_id: _adherence(rows) for item_id, rows in grouped.items()}


def adherence_by_prescription(*, actor: Any, patient: User) -> dict[int, Adherence]:
    from .records import readable

    readable(actor=actor, patient=patient, object_type="dose")
    return _adherence_grouped(DoseReminder.objects.filter(patient=patient))


def adherence_for_prescriptions(*, prescription_ids: list[int]) -> dict[int, Adherence]:
    return _adherence_grouped(DoseReminder.objects.filter(item__prescription_id__in=prescription_ids))


def _adherence_grouped(qs: QuerySet[DoseReminder]) -> dict[int, Adherence]:
    grouped: dict[int, dict[str, int]] = {}
    for rx_id, status, n in (qs.values("item__prescription_id", "status")
                             .annotate(n=Count("id")).values_list("item__prescription_id", "status", "n")):
        grouped.setdefault(rx_id, {})[status] = grouped.get(rx_id, {}).get(status, 0) + n
    return {rx_id: _adherence(rows) for rx_id, rows in grouped.items()}


def doses_of(*, actor: Any, patient: User, start: dt.datetime | None = None, end: dt.datetime | None = None) -> QuerySet[DoseReminder]:
    policy.require(policy.acts_for(actor, patient.pk), actor=actor, object_type="dose", object_id=patient.pk,
                   subject=patient, message=_("Not found."))
    qs = DoseReminder.objects.filter(patient=patient).select_related("item__drug", "plan")
    if start:
        qs = qs.filter(scheduled_at__gte=start)
    if end:
        qs = qs.filter(scheduled_at__lt=end)
    return qs.order_by("scheduled_at")


def prescriptions_by_doctor(*, doctor: User) -> QuerySet[Prescription]:
    return (Prescription.objects.filter(doctor=doctor).select_related("patient", "encounter")
            .prefetch_related("items__drug").order_by("-issued_at"))


def prescriptions_visible_to(actor: Any) -> QuerySet[Prescription]:
    """A doctor's own prescriptions; a patient's own and their family's (the prescription list page)."""
    qs = (Prescription.objects.select_related("doctor", "patient", "encounter").prefetch_related("items__drug")
          .order_by("-issued_at"))
    if getattr(actor, "role", None) == Role.DOCTOR:
        return qs.filter(doctor=actor)
    return qs.filter(Q(patient__in=policy.patient_side_ids(actor)))


def prescription_for(*, actor: Any, prescription_id: int) -> Prescription:
    """One prescription, if the actor may read its patient's record (the patient side, a doctor in care of the
    patient); anyone else is refused (audited) as not found."""
    rx = (Prescription.objects.select_related("doctor", "patient", "encounter").prefetch_related("items__drug")
          .filter(pk=prescription_id).first())
    decision = (policy.patient_record(actor, rx.patient_id) if rx is not None
                else policy.deny(policy.Reason.NO_SUCH_OBJECT, "patient_record"))
    policy.require(decision, actor=actor, object_type="prescription", object_id=prescription_id,
                   subject=rx.patient if rx else None, message=_("Prescription not found."))
    return rx


def dose_for(*, actor: Any, dose_id: int) -> DoseReminder:
    """One dose reminder of a patient the actor acts for; anyone else is refused (audited) as not found."""
    return policy.obtain(DoseReminder.objects.select_related("item__drug", "patient", "plan"), dose_id,
                         actor=actor, object_type="dose", decide=lambda d: policy.acts_for(actor, d.patient_id),
                         message=_("Dose not found."))


def plan_for(*, actor: Any, item_id: int, action: str = policy.Action.WRITE) -> Any:
    """The reminder plan of a prescription item of a patient the actor acts for; otherwise refused (audited)."""
    from ..models import ReminderPlan

    plan = ReminderPlan.objects.select_related("patient").filter(item_id=item_id).first()
    decision = (policy.acts_for(actor, plan.patient_id) if plan is not None
                else policy.deny(policy.Reason.NO_SUCH_OBJECT, "patient_side"))
    policy.require(decision, actor=actor, object_type="reminder_plan", object_id=item_id, action=action,
                   subject=plan.patient if plan else None, message=_("No reminders for this medicine."))
    return plan


def doses_visible_to(actor: Any) -> QuerySet[DoseReminder]:
    """Doses of every patient the actor acts for (the API's list)."""
    return DoseReminder.objects.filter(patient__in=policy.patient_side_ids(actor)).select_related("item__drug")
