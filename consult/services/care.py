"""Care relations as the access policy reads them: consult records each contact between a doctor and a
patient (a booked appointment, a consultation — which always belongs to an appointment —, an encounter) in
accounts' CareRelation table, and recomputes it when a contact is withdrawn (a cancelled appointment)."""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max

from accounts.models import CareRelation
from accounts.services import care_relation_record, care_relation_set

from ..models import Appointment, AppointmentStatus, Encounter


def care_contact_record(*, patient_id: int, doctor_id: int, at: dt.datetime) -> None:
    """A new contact (booking, encounter) between the two."""
    care_relation_record(patient_id=patient_id, doctor_id=doctor_id, at=at)


def last_contact(*, patient_id: int, doctor_id: int) -> dt.datetime | None:
    """The latest contact that still counts: an appointment that is not cancelled (no-shows count: the patient
    was booked), or an encounter."""
    appointment = (Appointment.objects.filter(patient_id=patient_id, doctor_id=doctor_id)
                   .exclude(status=AppointmentStatus.CANCELLED).aggregate(m=Max("start"))["m"])
    encounter = Encounter.objects.filter(patient_id=patient_id, doctor_id=doctor_id).aggregate(
        m=Max("occurred_at"))["m"]
    dates = [d for d in (appointment, encounter) if d is not None]
    return max(dates) if dates else None


def care_refresh(*, patient_id: int, doctor_id: int) -> None:
    """After a cancellation: the relation follows the contacts that remain (none left: no relation)."""
    care_relation_set(patient_id=patient_id, doctor_id=doctor_id,
                      last_contact_at=last_contact(patient_id=patient_id, doctor_id=doctor_id))


@transaction.atomic
def care_relations_rebuild() -> int:
    """Recompute every care relation from the contacts on record (demo data, a restored backup, a repair).
    Returns how many relations exist afterwards."""
    latest: dict[tuple[int, int], dt.datetime] = {}
    rows = (Appointment.objects.exclude(status=AppointmentStatus.CANCELLED).values("patient_id", "doctor_id")
            .annotate(m=Max("start")).values_list("patient_id", "doctor_id", "m"))
    for patient_id, doctor_id, at in rows:
        latest[(patient_id, doctor_id)] = at
    for patient_id, doctor_id, at in (Encounter.objects.values("patient_id", "doctor_id")
                                      .annotate(m=Max("occurred_at")).values_list("patient_id", "doctor_id", "m")):
        key = (patient_id, doctor_id)
        latest[key] = max(at, latest.get(key, at))
    CareRelation.objects.all().delete()
    CareRelation.objects.bulk_create([CareRelation(patient_id=p, doctor_id=d, last_contact_at=at)
                                      for (p, d), at in latest.items()], batch_size=1000)
    return len(latest)
