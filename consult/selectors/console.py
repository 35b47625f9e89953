"""The doctor console: today's queue and the summary of the selected patient (bounded queries).

The queue is read as plain rows (values()), not model instances: a day can hold a thousand
appointments and the console must answer in well under 100 ms (bench/booking.py).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.models import User

from ..models import Appointment, AppointmentStatus, Encounter, EncounterDiagnosis, SlotKind

QUEUE_GROUPS = ("in_consultation", "checked_in", "waiting_online", "upcoming", "done")
WAITING_ONLINE_FROM = timedelta(minutes=15)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, start + timedelta(days=1)


def _grouped(*, doctor: User, day: date | None, now: datetime) -> QuerySet[Appointment]:
    """The doctor's appointments of one local day, each annotated with its queue group (in SQL)."""
    start, end = day_bounds(day or timezone.localdate())
    booked = Q(status=AppointmentStatus.BOOKED)
    return (
        Appointment.objects.filter(doctor=doctor, start__gte=start, start__lt=end)
        .annotate(queue_group=Case(
            When(status=AppointmentStatus.IN_PROGRESS, then=Value("in_consultation")),
            When(status=AppointmentStatus.CHECKED_IN, then=Value("checked_in")),
            # An online patient is "waiting" once their thread opens (15 minutes before the start).
            When(booked & Q(kind=SlotKind.ONLINE, thread__status="open", start__lte=now + WAITING_ONLINE_FROM),
                 then=Value("waiting_online")),
            When(booked, then=Value("upcoming")),
            default=Value("done"),
            output_field=CharField(),
        ))
    )


def console_queue_counts(*, doctor: User, day: date | None = None, now: datetime | None = None) -> dict[str, int]:
    """How many appointments each queue group holds (one GROUP BY query)."""
    rows = (_grouped(doctor=doctor, day=day, now=now or timezone.now())
            .order_by().values("queue_group").annotate(n=Count("pk")).values_list("queue_group", "n"))
    counts = dict.fromkeys(QUEUE_GROUPS, 0)
    counts.update(dict(rows))
    return counts


def console_queue(*, doctor: User, day: date | None = None, now: datetime | None = None,
                  limit: int | None = None) -> dict[str, list[dict[str, Any]]]:
    """The doctor's appointments of one local day as rows, grouped for the queue (one query).

    With `limit`, each group holds only its first `limit` rows (a window function in the same query), so a
    day of a thousand appointments does not build a thousand rows for a page that shows fifty per group.
    """
    qs = _grouped(doctor=doctor, day=day, now=now or timezone.now())
    if limit is not None:
        qs = qs.annotate(rank=Window(RowNumber(), partition_by=[F("queue_group")], order_by=[F("start"), F("pk")]))
        qs = qs.filter(rank__lte=limit)
    rows = (
        qs.order_by("start", "pk")
        .values("pk", "start", "end", "kind", "status", "reason", "patient_id", "patient__full_name",
                "patient__email", "thread__status", "queue_group")
        .annotate(has_encounter=Exists(Encounter.objects.filter(appointment=OuterRef("pk"))))
    )
    tz = timezone.get_current_timezone()
    status_label = {value: str(label) for value, label in AppointmentStatus.choices}
    kind_label = {value: str(label) for value, label in SlotKind.choices}
    groups: dict[str, list[dict[str, Any]]] = {g: [] for g in QUEUE_GROUPS}
    for row in rows:
        row["thread_status"] = row.pop("thread__status")
        row["patient_name"] = row.pop("patient__full_name") or row.pop("patient__email") or f"#{row['patient_id']}"
        row.pop("patient__email", None)
        row["status_label"] = status_label[row["status"]]
        row["kind_label"] = kind_label[row["kind"]]
        row["time"] = row["start"].astimezone(tz).strftime("%H:%M")
        groups[row.pop("queue_group")].append(row)
    return groups


def console_selected(*, doctor: User, appointment_id: str | int | None) -> Appointment | None:
    """The appointment picked in the queue, with what the summary panel shows (one query)."""
    try:
        pk = int(appointment_id or 0)
    except ValueError:
        return None
    return (Appointment.objects.filter(doctor=doctor, pk=pk)
            .select_related("patient__patient_profile", "thread", "encounter").first())


def recent_encounters(*, patient_id: int, limit: int = 5) -> list[Encounter]:
    return list(
        Encounter.objects.filter(patient_id=patient_id).select_related("doctor")
        .prefetch_related(Prefetch("diagnoses", queryset=EncounterDiagnosis.objects.select_related("code")
                                   .order_by("-is_primary", "id")))
        .order_by("-occurred_at")[:limit]
    )
