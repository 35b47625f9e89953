"""The doctor console: today's queue and the summary of the selected patient (bounded queries).

The queue is read as plain rows in one ORM query (window functions rank and count each group), not model instances: a day can hold a thousand appointments
and the console must answer in well under 100 ms (bench/booking.py).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Prefetch, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User

from ..models import (
    ONLINE_KINDS,
    Appointment,
    AppointmentStatus,
    Encounter,
    EncounterDiagnosis,
    SlotKind,
    ThreadStatus,
)

QUEUE_GROUPS = ("in_consultation", "checked_in", "waiting_online", "upcoming", "done")
WAITING_ONLINE_FROM = timedelta(minutes=15)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, start + timedelta(days=1)


def console_queue_counts(*, doctor: User, day: date | None = None, now: datetime | None = None) -> dict[str, int]:
    """How many appointments each queue group holds (the same query, one row per group kept)."""
    return console_day(doctor=doctor, day=day, now=now, limit=1)[1]


def _group_case(now: datetime) -> Case:
    """The queue group of an appointment, as its index in QUEUE_GROUPS (integers sort faster than strings)."""
    g = {name: i for i, name in enumerate(QUEUE_GROUPS)}
    return Case(
        When(status=AppointmentStatus.IN_PROGRESS, then=Value(g["in_consultation"])),
        When(status=AppointmentStatus.CHECKED_IN, then=Value(g["checked_in"])),
        # An online patient is "waiting" once their thread opens (15 minutes before the start).
        When(status=AppointmentStatus.BOOKED, kind__in=ONLINE_KINDS, thread__status=ThreadStatus.OPEN,
             start__lte=now + WAITING_ONLINE_FROM, then=Value(g["waiting_online"])),
        When(status__in=(AppointmentStatus.BOOKED, AppointmentStatus.PENDING_PAYMENT), then=Value(g["upcoming"])),
        default=Value(g["done"]), output_field=IntegerField(),
    )


def console_day(*, doctor: User, day: date | None = None, now: datetime | None = None, limit: int | None = None,
                offset: int = 0, group: str | None = None) -> tuple[dict[str, list[dict[str, Any]]], dict[str, int]]:
    """The doctor's queue of one local day: (rows per group, how many each group holds), in one query.

    With `limit`, each group holds its rows `offset`+1 … `offset`+`limit` in start order, so a day of a thousand
    appointments builds only the rows a page shows; `group` keeps one group only. The counts are the whole day's
    (a window COUNT over each group), for every group with at least one row kept.

    ORM: the group is a CASE, the rank and the count are window functions over it, and the filter on the rank
    makes Django wrap the query (the (doctor, start) index finds the day); rows come back as plain values.
    """
    start, end = day_bounds(day or timezone.localdate())
    now = now or timezone.now()
    qs = (Appointment.objects.filter(doctor=doctor, start__gte=start, start__lt=end)
          .annotate(grp=_group_case(now))
          .annotate(rn=Window(RowNumber(), partition_by=[F("grp")], order_by=[F("start").asc(), F("pk").asc()]),
                    total=Window(Count("pk"), partition_by=[F("grp")]),
                    has_encounter=Exists(Encounter.objects.filter(appointment=OuterRef("pk")))))
    if limit is not None:
        qs = qs.filter(rn__gt=offset, rn__lte=offset + limit)
    if group is not None:
        qs = qs.filter(grp=QUEUE_GROUPS.index(group))
    rows = qs.order_by("start", "pk").values_list(
        "pk", "start", "end", "kind", "status", "reason", "patient_id", "patient__full_name", "patient__email",
        "thread__status", "grp", "total", "has_encounter", "fee", "paid_at")
    tz = timezone.get_current_timezone()
    status_label = {value: str(label) for value, label in AppointmentStatus.choices}
    kind_label = {value: str(label) for value, label in SlotKind.choices}
    groups: dict[str, list[dict[str, Any]]] = {g: [] for g in QUEUE_GROUPS}
    counts = dict.fromkeys(QUEUE_GROUPS, 0)
    payment_label = {"free": "", "paid": str(_("Paid")), "unpaid": str(_("Unpaid"))}
    for (pk, a_start, a_end, kind, status, reason, patient_id, full_name, email, thread, grp, total, enc, fee,
         paid_at) in rows:
        local = a_start.astimezone(tz)
        name = QUEUE_GROUPS[grp]
        groups[name].append({
            "pk": pk, "start": a_start, "end": a_end, "kind": kind, "status": status,
            "reason": reason, "patient_id": patient_id, "patient_name": full_name or email or f"#{patient_id}",
            "thread_status": thread, "has_encounter": bool(enc), "status_label": status_label[status],
            "kind_label": kind_label[kind],
            "payment_label": payment_label["free" if not fee else "paid" if paid_at else "unpaid"], "time": f"{local.hour:02d}:{local.minute:02d}",  # strftime costs 4x
        })
        counts[name] = total
    return groups, counts


def console_queue(*, doctor: User, day: date | None = None, now: datetime | None = None,
                  limit: int | None = None) -> dict[str, list[dict[str, Any]]]:
    """The doctor's appointments of one local day as rows, grouped for the queue (see console_day)."""
    return console_day(doctor=doctor, day=day, now=now, limit=limit)[0]


def console_selected(*, doctor: User, appointment_id: str | int | None) -> Appointment | None:
    """The appointment picked in the queue, with what the summary panel shows (one query). Another doctor's
    appointment (or none with that id) is refused — audited, the 404 page."""
    try:
        pk = int(appointment_id or 0)
    except (ValueError, OverflowError):
        return None
    if pk <= 0 or pk > 2**63 - 1:
        return None  # nothing picked: no query
    return policy.obtain(Appointment.objects.select_related("patient__patient_profile", "thread", "encounter"), pk,
                         actor=doctor, object_type="appointment",
                         decide=lambda a: policy.appointment_doctor(doctor, doctor_id=a.doctor_id))


def recent_encounters(*, actor: User, patient_id: int, limit: int = 5) -> list[Encounter]:
    """The patient's latest encounters, when the doctor may read the record now (a cancelled appointment alone
    is no care relation: then nothing)."""
    if not policy.patient_record(actor, patient_id):
        return []
    return list(
        Encounter.objects.filter(patient_id=patient_id).select_related("doctor")
        .prefetch_related(Prefetch("diagnoses", queryset=EncounterDiagnosis.objects.select_related("code")
                                   .order_by("-is_primary", "id")))
        .order_by("-occurred_at")[:limit]
    )
