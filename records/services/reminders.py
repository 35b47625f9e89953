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
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import notify_many
from core.errors import ApplicationError, Conflict, NotFound

from ..models import (
    DEFAULT_TIMES,
    DoseReminder,
    DoseStatus,
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


# --- sending -----------------------------------------------------------------------------------------------

_DOSE_FIELDS = (
    "id", "scheduled_at", "patient_id", "patient__email", "patient__is_managed", "patient__preferred_language",
    "item__dose", "item__dose_unit", "item__route", "item__instructions", "item__drug__generic_name_en",
    "item__drug__generic_name_zh", "item__drug__strength", "plan__time_zone",
)


def _dose_notifications(rows: list[dict]) -> list[dict]:
    """Notification texts in each patient's language (one translation switch per language, not per dose)."""
    from ..models import DoseUnit, Route

    marker = 987654321
    url_template = reverse("records:dose", args=[marker])
    by_language: dict[str, list[dict]] = {}
    for row in rows:
        by_language.setdefault(row["patient__preferred_language"] or settings.LANGUAGE_CODE, []).append(row)
    out = []
    for language, group in by_language.items():
        with translation.override(language):
            zh = (translation.get_language() or "").startswith("zh")
            units, routes = dict(DoseUnit.choices), dict(Route.choices)
            title_tpl = _("Time for your medicine: %(drug)s")
            body_tpl = _("%(dose)s %(unit)s, %(route)s, due at %(time)s. %(instructions)s")
            for row in group:
                name = (row["item__drug__generic_name_zh"] if zh and row["item__drug__generic_name_zh"]
                        else row["item__drug__generic_name_en"])
                name = f"{name} {row['item__drug__strength']}".strip()
                local = row["scheduled_at"].astimezone(ZoneInfo(row["plan__time_zone"]))
                body = body_tpl % {
                    "dose": f"{row['item__dose'].normalize():f}", "unit": units.get(row["item__dose_unit"], ""),
                    "route": routes.get(row["item__route"], ""), "time": local.strftime("%H:%M"),
                    "instructions": row["item__instructions"],
                }
                out.append({
                    "user_id": row["patient_id"], "kind": "dose_reminder", "title": title_tpl % {"drug": name},
                    "body": body.strip(), "url": url_template.replace(str(marker), str(row["id"])),
                    "dedupe_key": f"dose:{row['id']}",
                    "email_to": "" if row["patient__is_managed"] else (row["patient__email"] or ""),
                })
    return out


def _send_batch(*, now: dt.datetime, batch_size: int) -> int:
    with transaction.atomic():
        # SKIP LOCKED: a second worker (or a second beat) takes the next rows instead of waiting for ours.
        ids = list(
            DoseReminder.objects.select_for_update(skip_locked=True)
            .filter(status=DoseStatus.SCHEDULED, scheduled_at__lte=now)
            .order_by("scheduled_at", "id")
            .values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            return 0
        # The claim. On PostgreSQL the rows are already ours; on SQLite (no row locks) the database's single
        # writer lock serialises this UPDATE, and a row another worker sent meanwhile no longer matches.
        claimed = DoseReminder.objects.filter(pk__in=ids, status=DoseStatus.SCHEDULED).update(
            status=DoseStatus.SENT, sent_at=now
        )
        if claimed != len(ids):
            raise Conflict("another worker sent some of these doses; retrying the batch")
        rows = list(DoseReminder.objects.filter(pk__in=ids).order_by("id").values(*_DOSE_FIELDS))
        # Same transaction as the claim: a crash before commit leaves the doses 'scheduled' and no notification;
        # dedupe_key "dose:<id>" is the database's second line of defence.
        notify_many(notifications=_dose_notifications(rows))
    return len(ids)


def reminders_send_due(*, now: dt.datetime | None = None, batch_size: int = 500, max_batches: int = 1000) -> int:
    """Send every dose that is due and not yet sent (in-app + e-mail), exactly once. Returns how many were sent.

    Each batch is its own transaction, so a crash loses at most the batch in flight — which stays 'scheduled'
    and is sent by the next run."""
    now = now or timezone.now()
    total = 0
    for _i in range(max_batches):
        try:
            sent = _send_batch(now=now, batch_size=batch_size)
        except Conflict:
            logger.info("dose batch lost a race; retrying")
            continue
        total += sent
        if sent < batch_size:
            break
    return total


def reminders_mark_missed(*, now: dt.datetime | None = None) -> int:
    """Doses reminded more than the grace period ago without an answer become missed. Returns how many."""
    now = now or timezone.now()
    # One conditional UPDATE: a patient's answer that commits first wins (its row no longer matches).
    return DoseReminder.objects.filter(status=DoseStatus.SENT, sent_at__lt=now - grace_period()).update(
        status=DoseStatus.MISSED
    )


# --- the patient's answers and settings ---------------------------------------------------------------------

# How early a dose may be marked (taking the 08:00 tablet at 07:15 is fine).
EARLY_WINDOW = dt.timedelta(hours=2)
# How long after its time a missed dose may still be marked as taken late.
LATE_WINDOW = dt.timedelta(hours=24)


@transaction.atomic
def dose_respond(*, dose_id: int, patient: User, taken: bool, now: dt.datetime | None = None) -> DoseReminder:
    """The patient marks a dose taken or skipped. Raises NotFound for someone else's dose, ApplicationError when
    the dose is too far in the future, already answered, or too old to change."""
    now = now or timezone.now()
    dose = DoseReminder.objects.select_for_update().filter(pk=dose_id, patient=patient).first()
    if dose is None:
        raise NotFound(_("Dose not found."))
    if dose.status in (DoseStatus.TAKEN, DoseStatus.SKIPPED):
        raise ApplicationError(_("This dose was already marked."), code="dose_answered")
    if dose.scheduled_at - now > EARLY_WINDOW:
        raise ApplicationError(_("This dose is not due yet."), code="dose_not_due")
    if dose.status == DoseStatus.MISSED and now - dose.scheduled_at > LATE_WINDOW:
        raise ApplicationError(_("This dose is too old to change."), code="dose_too_old")
    dose.status = DoseStatus.TAKEN if taken else DoseStatus.SKIPPED
    dose.responded_at = now
    dose.save(update_fields=["status", "responded_at"])
    return dose


def _plan_of(*, item_id: int, patient: User) -> tuple[ReminderPlan, PrescriptionItem]:
    plan = (ReminderPlan.objects.select_for_update().select_related("item__prescription")
            .filter(item_id=item_id, patient=patient).first())
    if plan is None:
        raise NotFound(_("No reminders for this medicine."))
    return plan, plan.item


def _drop_unsent(plan: ReminderPlan, now: dt.datetime, *, including_due: bool) -> int:
    # Only doses not yet sent: history (sent, taken, skipped, missed) is kept for adherence. Pausing also drops a
    # dose that is due but not yet picked up by the sender, so nothing is sent after the patient paused.
    qs = DoseReminder.objects.filter(plan=plan, status=DoseStatus.SCHEDULED)
    if not including_due:
        qs = qs.filter(scheduled_at__gt=now)
    deleted, _d = qs.delete()
    return deleted


@transaction.atomic
def reminder_plan_pause(*, item_id: int, patient: User, paused: bool, now: dt.datetime | None = None) -> ReminderPlan:
    """Pause (future doses are removed, nothing is sent) or resume (doses from now on are generated again)."""
    now = now or timezone.now()
    plan, item = _plan_of(item_id=item_id, patient=patient)
    if plan.is_paused == paused:
        return plan
    plan.is_paused, plan.paused_at = paused, (now if paused else None)
    plan.save(update_fields=["is_paused", "paused_at", "updated_at"])
    if paused:
        _drop_unsent(plan, now, including_due=True)
    elif item.prescription.status != PrescriptionStatus.CANCELLED:
        _generate(plan, item, not_before=now)
    return plan


@transaction.atomic
def reminder_plan_change_times(*, item_id: int, patient: User, times_of_day: list[str],
                               now: dt.datetime | None = None) -> ReminderPlan:
    """Change the local times of the remaining doses. The number of times must match the frequency (twice
    daily keeps two times); every-N-hours takes one time (the first dose of the day)."""
    now = now or timezone.now()
    plan, item = _plan_of(item_id=item_id, patient=patient)
    times = parse_times(times_of_day)
    expected = 1 if item.frequency == Frequency.EVERY_N_HOURS else len(DEFAULT_TIMES.get(item.frequency, []))
    if len(times) != expected:
        raise ApplicationError(
            _("This medicine needs %(n)d time(s) of day.") % {"n": expected}, code="times_count"
        )
    plan.times_of_day = [t.strftime("%H:%M") for t in times]
    plan.time_zone = plan.patient.time_zone or plan.time_zone
    plan.save(update_fields=["times_of_day", "time_zone", "updated_at"])
    _drop_unsent(plan, now, including_due=False)
    if not plan.is_paused and item.prescription.status != PrescriptionStatus.CANCELLED:
        _generate(plan, item, not_before=now + dt.timedelta(seconds=1))
    return plan


def reminders_stop_for_prescription(*, prescription_id: int) -> int:
    """A cancelled prescription sends no more reminders (every unsent dose removed). Returns how many removed."""
    deleted, _d = DoseReminder.objects.filter(item__prescription_id=prescription_id, status=DoseStatus.SCHEDULED).delete()
    return deleted
