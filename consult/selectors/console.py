"""The doctor console: today's queue and the summary of the selected patient (bounded queries)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import User

from ..models import Appointment, Encounter, EncounterDiagnosis

QUEUE_GROUPS = ("in_consultation", "checked_in", "waiting_online", "upcoming", "done")


def day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, start + timedelta(days=1)


def console_day(*, doctor: User, day: date | None = None) -> QuerySet[Appointment]:
    """All of the doctor's appointments of one local day, with what the queue shows (one query)."""
    day = day or timezone.localdate()
    start, end = day_bounds(day)
    return (
        Appointment.objects.filter(doctor=doctor, start__gte=start, start__lt=end)
        .select_related("patient__patient_profile", "doctor", "thread", "encounter")
        .order_by("start", "pk")
    )


def queue_group(appointment: Appointment, now: datetime) -> str:
    if appointment.status == "in_progress":
        return "in_consultation"
    if appointment.status == "checked_in":
        return "checked_in"
    if appointment.status == "booked":
        thread = getattr(appointment, "thread", None)
        if appointment.kind == "online" and thread is not None and thread.status == "open" \
                and now >= appointment.start - timedelta(minutes=15):
            return "waiting_online"
        return "upcoming"
    return "done"


def console_queue(*, doctor: User, day: date | None = None, now: datetime | None = None
                  ) -> dict[str, list[Appointment]]:
    now = now or timezone.now()
    groups: dict[str, list[Appointment]] = {g: [] for g in QUEUE_GROUPS}
    for appointment in console_day(doctor=doctor, day=day):
        groups[queue_group(appointment, now)].append(appointment)
    return groups


def recent_encounters(*, patient_id: int, limit: int = 5) -> list[Encounter]:
    return list(
        Encounter.objects.filter(patient_id=patient_id).select_related("doctor")
        .prefetch_related(Prefetch("diagnoses", queryset=EncounterDiagnosis.objects.select_related("code")
                                   .order_by("-is_primary", "id")))
        .order_by("-occurred_at")[:limit]
    )
