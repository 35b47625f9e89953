"""Weekly schedules, leave days and the slots they generate."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User
from core.errors import ApplicationError, Conflict, NotFound
from platform_site import inputs

from ..models import ScheduleException, Slot, SlotKind, WeeklySchedule


def days_ahead() -> int:
    return getattr(settings, "CONSULT_SLOT_DAYS_AHEAD", 28)


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def schedule_add(
    *, doctor: User, weekday: int, start_time: time, end_time: time, slot_minutes: int = 20,
    kind: str = SlotKind.ONLINE, valid_from: date | None = None, valid_until: date | None = None,
) -> WeeklySchedule:
    """Add a weekly block and generate its slots right away. Raises RoleRefused (audited) for anyone but a
    doctor, ApplicationError on bad times, Conflict on overlap."""
    policy.require(policy.can(doctor, "schedule.manage"), actor=doctor, object_type="schedule",
                   action=policy.Action.WRITE, status=403, message=_("Only doctors have schedules."))
    with transaction.atomic():
        return _schedule_add(doctor=doctor, weekday=weekday, start_time=start_time, end_time=end_time,
                             slot_minutes=slot_minutes, kind=kind, valid_from=valid_from, valid_until=valid_until)


def _schedule_add(*, doctor: User, weekday: int, start_time: time, end_time: time, slot_minutes: int, kind: str,
                  valid_from: date | None, valid_until: date | None) -> WeeklySchedule:
    schedule = WeeklySchedule(doctor=doctor, weekday=weekday, start_time=start_time, end_time=end_time,
                              slot_minutes=slot_minutes, kind=kind, valid_from=valid_from, valid_until=valid_until)
    if end_time <= start_time:
        raise ApplicationError(_("The end must be after the start."), extra={"end_time": [_("Must be after the start.")]})
    if not 5 <= slot_minutes <= 240:
        raise ApplicationError(_("A slot lasts between 5 and 240 minutes."))
    if kind not in SlotKind.values or weekday not in range(7):
        raise ApplicationError(_("Invalid schedule."))
    clash = WeeklySchedule.objects.filter(
        doctor=doctor, weekday=weekday, is_active=True, start_time__lt=end_time, end_time__gt=start_time
    ).exists()
    if clash:
        raise Conflict(_("This overlaps another block of your week."), code="schedule_overlap")
    schedule.save()
    slots_generate(doctor_id=doctor.pk)
    return schedule


def schedule_remove(*, doctor: User, schedule_id: int, now: datetime | None = None) -> int:
    """Deactivate a block and delete its future slots that were never booked; returns slots deleted. Raises
    AccessRefused (audited) for another doctor's block, NotFound when it was already removed."""
    policy.obtain(WeeklySchedule.objects.all(), schedule_id, actor=doctor, object_type="schedule",
                  action=policy.Action.WRITE, decide=lambda s: policy.owner(doctor, owner_id=s.doctor_id),
                  message=_("Schedule not found."), subject=None)
    with transaction.atomic():
        return _schedule_remove(doctor=doctor, schedule_id=schedule_id, now=now or timezone.now())


def _schedule_remove(*, doctor: User, schedule_id: int, now: datetime) -> int:
    schedule = WeeklySchedule.objects.select_for_update().filter(pk=schedule_id, doctor=doctor, is_active=True).first()
    if schedule is None:
        raise NotFound(_("Schedule not found."))
    schedule.is_active = False
    schedule.save(update_fields=["is_active"])
    tz = _tz()
    doomed = []
    for slot in Slot.objects.filter(doctor=doctor, start__gt=now, appointments__isnull=True):
        local = slot.start.astimezone(tz)
        if local.weekday() == schedule.weekday and schedule.start_time <= local.time() < schedule.end_time:
            doomed.append(slot.pk)
    Slot.objects.filter(pk__in=doomed, appointments__isnull=True).delete()
    return len(doomed)


@transaction.atomic
def leave_add(*, doctor: User, day: date, reason: str = "") -> ScheduleException:
    """A leave day: no slots are generated that day and its free slots are blocked.

    Booked appointments on that day stay; the doctor cancels them with a reason (the patients are told).
    Raises ApplicationError for a day outside the platform's date range, Conflict when it is already leave.
    """
    try:
        inputs.check_date(day)  # 9999-12-31 + 1 day overflowed below (a 500)
    except inputs.InputError as exc:
        raise ApplicationError(exc.message, code="date_range") from None
    try:
        with transaction.atomic():
            leave = ScheduleException.objects.create(doctor=doctor, date=day, reason=(reason or "")[:200])
    except IntegrityError:
        raise Conflict(_("This day is already marked as leave."), code="leave_exists") from None
    tz = _tz()
    start = datetime.combine(day, time.min, tzinfo=tz)
    free = Slot.objects.filter(doctor=doctor, start__gte=start, start__lt=start + timedelta(days=1)).exclude(
        appointments__status__in=["pending_payment", "booked", "checked_in", "in_progress", "completed"]
    )
    Slot.objects.filter(pk__in=list(free.values_list("pk", flat=True))).update(is_blocked=True)
    return leave


def _slots_for(schedule: WeeklySchedule, day: date, tz: ZoneInfo) -> list[Slot]:
    step = timedelta(minutes=schedule.slot_minutes)
    cursor = datetime.combine(day, schedule.start_time, tzinfo=tz)
    end = datetime.combine(day, schedule.end_time, tzinfo=tz)
    out = []
    while cursor + step <= end:
        out.append(Slot(doctor_id=schedule.doctor_id, start=cursor, end=cursor + step, kind=schedule.kind))
        cursor += step
    return out


def slots_generate(*, doctor_id: int | None = None, days: int | None = None, today: date | None = None) -> int:
    """Keep bookable slots generated `days` ahead from the active weekly schedules; returns slots created.

    Idempotent: the unique (doctor, start) constraint plus ignore_conflicts means a second run (or two
    workers at once) creates nothing new.
    """
    tz = _tz()
    days = days if days is not None else days_ahead()
    today = today or timezone.localdate(timezone=tz)
    now = timezone.now()
    schedules = WeeklySchedule.objects.filter(is_active=True, doctor__is_active=True)
    if doctor_id is not None:
        schedules = schedules.filter(doctor_id=doctor_id)
    schedules = list(schedules)
    leave = set(ScheduleException.objects.filter(
        doctor_id__in={s.doctor_id for s in schedules}, date__gte=today, date__lte=today + timedelta(days=days)
    ).values_list("doctor_id", "date"))
    candidates: list[Slot] = []
    for offset in range(days + 1):
        day = today + timedelta(days=offset)
        for schedule in schedules:
            if schedule.weekday != day.weekday() or (schedule.doctor_id, day) in leave:
                continue
            if (schedule.valid_from and day < schedule.valid_from) or (schedule.valid_until and day > schedule.valid_until):
                continue
            candidates.extend(s for s in _slots_for(schedule, day, tz) if s.start > now)
    if not candidates:
        return 0
    before = Slot.objects.filter(doctor_id__in={s.doctor_id for s in candidates}).count()
    Slot.objects.bulk_create(candidates, ignore_conflicts=True, batch_size=500)
    return Slot.objects.filter(doctor_id__in={s.doctor_id for s in candidates}).count() - before

