"""Medication reminders: generate each scheduled dose in the patient's time zone, send what is due exactly once,
record the patient's answer, mark missed doses, pause and change times.

Exactly once: a batch of due doses is claimed inside one transaction — `SELECT … FOR UPDATE SKIP LOCKED` on
PostgreSQL (a second worker or a second beat skips rows another worker holds) followed by a conditional
`UPDATE … WHERE status='scheduled'` that must match every selected row (on SQLite, which has no row locks,
writers are serialised by the database lock and the conditional update is the claim). The notifications are
written in the same transaction, so a crash before commit leaves the doses 'scheduled' and nothing sent,
and a crash after commit leaves them 'sent'. Each notification also carries `dedupe_key="dose:<id>"`.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import ApplicationError, NotFound

from ..models import (
    DEFAULT_TIMES,
    DoseReminder,
    Frequency,
    PrescriptionItem,
    PrescriptionStatus,
    ReminderPlan,
    ReminderPlanSource,
)

logger = logging.getLogger(__name__)


def grace_period() -> dt.timedelta:
    """How long after the reminder a dose without an answer counts as missed (setting, default 2 hours)."""
    return dt.timedelta(minutes=getattr(settings, "RECORDS_DOSE_GRACE_MINUTES", 120))


# --- generation (pure) -------------------------------------------------------------------------------------

def parse_times(times: Iterable[str]) -> list[dt.time]:
    """'HH:MM' strings → sorted unique times. Raises ApplicationError on a malformed value."""
    out = set()
    for raw in times:
        try:
            hh, mm = str(raw).strip().split(":")
            out.add(dt.time(int(hh), int(mm)))
        except (ValueError, TypeError):
            raise ApplicationError(_("“%(value)s” is not a time of day (HH:MM).") % {"value": raw}) from None
    return sorted(out)


def local_instant(day: dt.date, clock: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The UTC instant of a local clock time. A time that does not exist (the spring-forward gap) moves forward
    by the gap (02:30 → 03:30); a time that occurs twice (fall back) is taken at its first occurrence."""
    naive = dt.datetime.combine(day, clock)
    aware = naive.replace(tzinfo=tz, fold=0)
    # zoneinfo gives a gap time the offset from before the change; the round-trip through UTC lands on the
    # wall-clock time after the gap, which is what a patient's phone alarm does.
    return aware.astimezone(dt.UTC)


def course_bounds(*, start_date: dt.date, duration_days: int, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start = local_instant(start_date, dt.time(0, 0), tz)
    end = local_instant(start_date + dt.timedelta(days=duration_days), dt.time(0, 0), tz)
    return start, end


def dose_instants(
    *, frequency: str, times_of_day: Iterable[str], interval_hours: int | None, start_date: dt.date,
    duration_days: int, time_zone: str, not_before: dt.datetime | None = None,
) -> list[dt.datetime]:
    """Every dose of a course as UTC instants, sorted and unique.

    Daily frequencies: each local time of day on each day of the course (the local clock time stays the same
    across a daylight-saving change; the UTC instant moves). Every N hours: from the first time of day on the
    start date, every N hours of elapsed time (an 8-hourly antibiotic stays 8 real hours apart across a
    change). As needed: no reminders.
    """
    tz = ZoneInfo(time_zone)
    if frequency == Frequency.AS_NEEDED:
        return []
    times = parse_times(times_of_day) or parse_times(DEFAULT_TIMES.get(frequency, []))
    if not times:
        return []
    start, end = course_bounds(start_date=start_date, duration_days=duration_days, tz=tz)
    instants: set[dt.datetime] = set()
    if frequency == Frequency.EVERY_N_HOURS:
        if not interval_hours or interval_hours < 1:
            raise ApplicationError(_("Give the number of hours between doses."))
        at = local_instant(start_date, times[0], tz)
        step = dt.timedelta(hours=interval_hours)
        while at < end:
            instants.add(at)
            at += step
    else:
        for offset in range(duration_days):
            day = start_date + dt.timedelta(days=offset)
            for clock in times:
                instants.add(local_instant(day, clock, tz))
    if not_before is not None:
        instants = {i for i in instants if i >= not_before}
    return sorted(i for i in instants if start <= i < end)


# --- plans -------------------------------------------------------------------------------------------------

def _generate(plan: ReminderPlan, item: PrescriptionItem, *, not_before: dt.datetime) -> int:
    instants = dose_instants(
        frequency=item.frequency, times_of_day=plan.times_of_day, interval_hours=item.interval_hours,
        start_date=item.start_date, duration_days=item.duration_days, time_zone=plan.time_zone,
        not_before=max(not_before, plan.starts_at),
    )
    if not instants:
        return 0
    existing = set(DoseReminder.objects.filter(item=item, scheduled_at__in=instants).values_list("scheduled_at", flat=True))
    new = [DoseReminder(plan=plan, item=item, patient_id=plan.patient_id, scheduled_at=i)
           for i in instants if i not in existing]
    # The plan row is locked by the caller, so no concurrent generator races us; ignore_conflicts is a backstop.
    DoseReminder.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    return len(new)


def _plan_for(item: PrescriptionItem, *, source: str, times: list[str] | None = None) -> ReminderPlan:
    patient = item.prescription.patient
    tz = ZoneInfo(patient.time_zone or settings.TIME_ZONE)
    start, end = course_bounds(start_date=item.start_date, duration_days=item.duration_days, tz=tz)
    plan, _created = ReminderPlan.objects.get_or_create(
        item=item,
        defaults={
            "patient": patient, "source": source, "time_zone": str(tz.key), "starts_at": start, "ends_at": end,
            "times_of_day": [t.strftime("%H:%M") for t in parse_times(times if times is not None else item.times_of_day)]
            or list(DEFAULT_TIMES.get(item.frequency, [])),
        },
    )
    # Serialise generators of one plan (the prescription write and a pharmacy dispense may run at once).
    return ReminderPlan.objects.select_for_update().get(pk=plan.pk)


@transaction.atomic
def reminders_create_for_item(*, item: PrescriptionItem, not_before: dt.datetime | None = None) -> int:
    """Create the plan and the future doses of a newly prescribed item. Returns how many doses were created."""
    if item.frequency == Frequency.AS_NEEDED:
        return 0
    plan = _plan_for(item, source=ReminderPlanSource.PRESCRIPTION)
    return _generate(plan, item, not_before=not_before or timezone.now())


@transaction.atomic
def reminders_schedule_for_dispense(*, prescription_item_id: int, dispensed_at: dt.datetime) -> int:
    """Called by pharmacy when an item is dispensed: make sure every dose from `dispensed_at` to the end of the
    course has a reminder. Idempotent (a second call creates nothing); returns how many doses were created.
    Raises NotFound for an unknown item; an as-needed item has no reminders (returns 0)."""
    item = PrescriptionItem.objects.select_related("prescription__patient").filter(pk=prescription_item_id).first()
    if item is None:
        raise NotFound(_("Prescription item not found."))
    if item.frequency == Frequency.AS_NEEDED or item.prescription.status == PrescriptionStatus.CANCELLED:
        return 0
    plan = _plan_for(item, source=ReminderPlanSource.DISPENSE)
    if plan.is_paused:
        return 0
    return _generate(plan, item, not_before=max(dispensed_at, timezone.now()))
