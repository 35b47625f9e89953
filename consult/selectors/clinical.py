"""Read-only views of consult's clinical data for other apps (rarecases): they go through these functions
instead of importing consult's models, so consult can change its tables without breaking them. Callers
decide who may see what; each function says which rows it returns."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, QuerySet

from accounts.models import User

from ..models import Appointment, Encounter, EncounterDiagnosis


def encounter_of_doctor(*, doctor: User, encounter_id: int) -> Encounter | None:
    """The encounter with its patient (and profile), doctor and diagnoses (with codes), if `doctor` wrote it."""
    return (Encounter.objects.select_related("patient", "patient__patient_profile", "doctor")
            .prefetch_related("diagnoses__code").filter(pk=encounter_id, doctor=doctor).first())


def encounter_by_id(*, encounter_id: int) -> Encounter | None:
    """The encounter with its patient (and profile), doctor and diagnoses — whoever wrote it. The caller asks
    the access policy before using it."""
    return (Encounter.objects.select_related("patient", "patient__patient_profile", "doctor")
            .prefetch_related("diagnoses__code").filter(pk=encounter_id).first())


def appointment_by_id(*, appointment_id: int) -> Appointment | None:
    """The appointment (any doctor's); the caller asks the access policy."""
    return Appointment.objects.filter(pk=appointment_id).select_related("patient").first()


def appointments_of_doctor(*, doctor: User, since: datetime) -> QuerySet[Appointment]:
    """The doctor's own appointments starting at or after `since`, newest first, with their patient."""
    return Appointment.objects.filter(doctor=doctor, start__gte=since).select_related("patient").order_by("-start")


def appointment_of_doctor(*, doctor: User, appointment_id: int) -> Appointment | None:
    return Appointment.objects.filter(pk=appointment_id, doctor=doctor).first()


def patients_seen(*, start: datetime, end: datetime) -> int:
    """Distinct patients with an encounter in [start, end]."""
    return Encounter.objects.filter(occurred_at__gte=start, occurred_at__lte=end).values("patient").distinct().count()


def diagnoses_per_code(*, start: datetime, end: datetime) -> QuerySet[Any]:
    """Per ICD-10 code diagnosed in [start, end]: `code`, `n` (distinct patients), and the code's `code__block`,
    `code__chapter`, `code__name_en` on request (a values() queryset the caller filters and orders)."""
    return (EncounterDiagnosis.objects.filter(diagnosed_at__gte=start, diagnosed_at__lte=end)
            .values("code").annotate(n=Count("patient", distinct=True)))


def diagnoses_with_codes(*, start: datetime, end: datetime, codes: list[str]) -> QuerySet[Any]:
    """Diagnoses in [start, end] with one of `codes`, oldest id first, as rows of `pk`, `encounter_id`,
    `encounter__doctor_id`, `code_id`."""
    return (EncounterDiagnosis.objects.filter(diagnosed_at__gte=start, diagnosed_at__lte=end, code__in=codes)
            .values("pk", "encounter_id", "encounter__doctor_id", "code_id").order_by("pk"))
