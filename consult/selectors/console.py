"""The doctor console: today's queue and the summary of the selected patient (bounded queries).

The queue is read as plain rows in one SQL query (groups, per-group ranks and totals computed by the
database), not model instances: a day can hold a thousand appointments and the console must answer in well
under 100 ms (bench/booking.py).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from accounts import policy
from accounts.models import User

from ..models import (
    Appointment,
    AppointmentStatus,
    ConsultationThread,
    Encounter,
    EncounterDiagnosis,
    SlotKind,
    ThreadStatus,
)
from ..rawsql import built_once, column, convert, converters, db_datetime, fetch_all_binary, qn, table

QUEUE_GROUPS = ("in_consultation", "checked_in", "waiting_online", "upcoming", "done")
WAITING_ONLINE_FROM = timedelta(minutes=15)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, start + timedelta(days=1)


def console_queue_counts(*, doctor: User, day: date | None = None, now: datetime | None = None) -> dict[str, int]:
    """How many appointments each queue group holds (the same query, one row per group kept)."""
    return console_day(doctor=doctor, day=day, now=now, limit=1)[1]


def _console_day_sql(*, limited: bool, one_group: bool) -> str:
    """The console_day statement; its parameters are listed in console_day, in the order of the %s here."""
    a_status, a_kind, a_start = (f"a.{column(Appointment, f)}" for f in ("status", "kind", "start"))
    inner = (
        f"SELECT a.{qn('id')} AS id, {a_start} AS start, a.{column(Appointment, 'end')} AS finish, {a_kind} AS kind, "
        f"{a_status} AS status, a.{column(Appointment, 'reason')} AS reason, "
        f"a.{column(Appointment, 'patient')} AS patient_id, t.{column(ConsultationThread, 'status')} AS thread_status, "
        f"CASE WHEN {a_status} = %s THEN %s WHEN {a_status} = %s THEN %s "
        # An online patient is "waiting" once their thread opens (15 minutes before the start).
        f"WHEN {a_status} = %s AND {a_kind} = %s AND t.{column(ConsultationThread, 'status')} = %s "
        f"AND {a_start} <= %s THEN %s WHEN {a_status} = %s THEN %s ELSE %s END AS grp "
        f"FROM {table(Appointment)} a LEFT JOIN {table(ConsultationThread)} t "
        f"ON t.{column(ConsultationThread, 'appointment')} = a.{qn('id')} "
        f"WHERE a.{column(Appointment, 'doctor')} = %s AND {a_start} >= %s AND {a_start} < %s"
    )
    ranked = (f"SELECT i.*, ROW_NUMBER() OVER (PARTITION BY i.grp ORDER BY i.start, i.id) AS rn, "
              f"COUNT(*) OVER (PARTITION BY i.grp) AS total FROM ({inner}) i")
    where = []
    if limited:
        where.append("m.rn > %s AND m.rn <= %s")
    if one_group:
        where.append("m.grp = %s")
    return (
        f"SELECT m.id, m.start, m.finish, m.kind, m.status, m.reason, m.patient_id, u.{column(User, 'full_name')}, "
        f"u.{column(User, 'email')}, m.thread_status, m.grp, m.total, EXISTS(SELECT 1 FROM {table(Encounter)} e "
        f"WHERE e.{column(Encounter, 'appointment')} = m.id) "
        f"FROM ({ranked}) m JOIN {table(User)} u ON u.{qn('id')} = m.patient_id "
        f"{'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY m.start, m.id"
    )


def console_day(*, doctor: User, day: date | None = None, now: datetime | None = None, limit: int | None = None,
                offset: int = 0, group: str | None = None) -> tuple[dict[str, list[dict[str, Any]]], dict[str, int]]:
    """The doctor's queue of one local day: (rows per group, how many each group holds), in one query.

    With `limit`, each group holds its rows `offset`+1 … `offset`+`limit` in start order (so a day of a thousand
    appointments builds only the rows per group a page shows); `group` keeps one group only. The counts are
    always the whole day's (a window COUNT over each group), for every group with at least one row.

    Hand-written SQL (see consult/rawsql.py): the ranking runs on the appointments and their threads only,
    and the patients' names are joined for the rows that are kept, not for the whole day.
    """
    start, end = day_bounds(day or timezone.localdate())
    now = now or timezone.now()
    # Groups are numbered (their index in QUEUE_GROUPS): the database sorts 1,000 integers in half the time it
    # takes to sort 1,000 collated strings.
    g = {name: i for i, name in enumerate(QUEUE_GROUPS)}
    params: list[Any] = [
        AppointmentStatus.IN_PROGRESS.value, g["in_consultation"], AppointmentStatus.CHECKED_IN.value, g["checked_in"],
        AppointmentStatus.BOOKED.value, SlotKind.ONLINE.value, ThreadStatus.OPEN.value,
        db_datetime(now + WAITING_ONLINE_FROM), g["waiting_online"], AppointmentStatus.BOOKED.value, g["upcoming"],
        g["done"], doctor.pk, db_datetime(start), db_datetime(end),
    ]
    if limit is not None:
        params += [offset, offset + limit]
    if group is not None:
        params.append(g[group])
    # The statement's text depends only on which filters apply: built once per database and kept.
    sql = built_once(f"console_day.{limit is not None}.{group is not None}",
                     lambda: _console_day_sql(limited=limit is not None, one_group=group is not None))
    rows = fetch_all_binary(sql, params)
    start_conv, end_conv = built_once("console_day.converters", lambda: converters(Appointment, ["start", "end"]))
    tz = timezone.get_current_timezone()
    status_label = {value: str(label) for value, label in AppointmentStatus.choices}
    kind_label = {value: str(label) for value, label in SlotKind.choices}
    groups: dict[str, list[dict[str, Any]]] = {g: [] for g in QUEUE_GROUPS}
    counts = dict.fromkeys(QUEUE_GROUPS, 0)
    for pk, a_start_v, a_end_v, kind, status, reason, patient_id, full_name, email, thread, grp, total, enc in rows:
        a_start_v = convert(a_start_v, start_conv)
        local = a_start_v.astimezone(tz)
        grp = QUEUE_GROUPS[grp]
        groups[grp].append({
            "pk": pk, "start": a_start_v, "end": convert(a_end_v, end_conv), "kind": kind, "status": status,
            "reason": reason, "patient_id": patient_id, "patient_name": full_name or email or f"#{patient_id}",
            "thread_status": thread, "has_encounter": bool(enc), "status_label": status_label[status],
            "kind_label": kind_label[kind], "time": f"{local.hour:02d}:{local.minute:02d}",  # strftime costs 4x
        })
        counts[grp] = total
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
