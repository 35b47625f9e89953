"""Booking-side reads: the doctor directory, free slots, a person's appointments, the waitlist."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import Role, User

from ..models import (
    Appointment,
    AppointmentRefund,
    Department,
    Encounter,
    FollowUpProposal,
    FollowUpStatus,
    ScheduleException,
    Slot,
    WaitlistEntry,
    WaitlistStatus,
    WeeklySchedule,
)

INACTIVE = ["cancelled", "no_show"]
# A patient's upcoming list: an unpaid hold too (it waits for its payment there).
UPCOMING = ["pending_payment", "booked", "checked_in", "in_progress"]


def _taken() -> Exists:
    return Exists(Appointment.objects.filter(slot=OuterRef("pk")).exclude(status__in=INACTIVE))


def slots_free(*, now: datetime | None = None, for_patient: User | None = None) -> QuerySet[Slot]:
    """Future slots that are not blocked, not booked, and not held for someone else."""
    now = now or timezone.now()
    hold_ok = Q(held_until__isnull=True) | Q(held_until__lte=now)
    if for_patient is not None:
        hold_ok |= Q(held_for=for_patient)
    return Slot.objects.filter(start__gt=now, is_blocked=False).filter(hold_ok).exclude(_taken())


def doctor_slots_free(*, doctor_id: int, days: int = 14, now: datetime | None = None,
                      for_patient: User | None = None) -> QuerySet[Slot]:
    now = now or timezone.now()
    return slots_free(now=now, for_patient=for_patient).filter(
        doctor_id=doctor_id, start__lt=now + timedelta(days=days)).order_by("start")


def doctor_directory(*, q: str = "", department: str = "", language: str = "",
                     now: datetime | None = None) -> QuerySet[User]:
    """Active doctors with their profile, department and next free slot (one query, whatever the size)."""
    now = now or timezone.now()
    next_free = slots_free(now=now).filter(doctor=OuterRef("pk")).order_by("start").values("start")[:1]
    qs = (
        User.objects.filter(role=Role.DOCTOR, is_active=True, doctor_profile__isnull=False)
        .select_related("doctor_profile__department")
        .annotate(next_free_slot=Subquery(next_free))
        .order_by("doctor_profile__department__name_en", "full_name", "pk")
    )
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(full_name__icontains=q) | Q(doctor_profile__specialties__icontains=q)
            | Q(doctor_profile__title__icontains=q) | Q(doctor_profile__department__name_en__icontains=q)
            | Q(doctor_profile__department__name_zh__icontains=q)
        )
    if department:
        qs = qs.filter(doctor_profile__department__code=department)
    if language:
        qs = qs.filter(doctor_profile__languages__icontains=language)
    return qs


def doctors_of_departments(*, codes: list[str], per_department: int = 3,
                            now: datetime | None = None) -> list[tuple[Department, list[User]]]:
    """For the triage page: each department (in the order given) with its doctors that have a free slot, soonest
    first (one directory query per department; at most three departments)."""
    found = {d.code: d for d in Department.objects.filter(code__in=codes)}
    return [(found[code], list(doctor_directory(department=code, now=now).filter(next_free_slot__isnull=False)
                               .order_by("next_free_slot", "pk")[:per_department]))
            for code in dict.fromkeys(codes) if code in found]


def doctor_public(*, doctor_id: int) -> User | None:
    return (User.objects.filter(pk=doctor_id, role=Role.DOCTOR, is_active=True)
            .select_related("doctor_profile__department").first())


def departments() -> QuerySet[Department]:
    return Department.objects.all()


def _appointments() -> QuerySet[Appointment]:
    return Appointment.objects.select_related("slot", "patient", "booked_by", "doctor__doctor_profile__department",
                                              "thread")


def appointments_visible_to(user: User) -> QuerySet[Appointment]:
    """Patients: their own and their family members'; doctors: their own; others: nothing (lists)."""
    base = _appointments()
    if user.role == Role.PATIENT:
        return base.filter(patient__in=policy.patient_side_ids(user))
    if user.role == Role.DOCTOR:
        return base.filter(doctor=user)
    return base.none()


def appointment_for(*, actor: User, appointment_id: int) -> Appointment:
    """One appointment for one of its parties (the patient side or its doctor); anyone else is refused
    (audited) as not found."""
    return policy.obtain(_appointments(), appointment_id, actor=actor, object_type="appointment",
                         decide=lambda a: policy.appointment_party(actor, patient_id=a.patient_id,
                                                                   doctor_id=a.doctor_id),
                         message=_("Appointment not found."))


def refunds_of(appointment: Appointment) -> list[AppointmentRefund]:
    """The refund decisions of an appointment the caller may already see (appointment_for)."""
    return list(AppointmentRefund.objects.filter(appointment=appointment).order_by("created_at"))


def appointments_of_patient_side(user: User, *, when: str = "upcoming", now: datetime | None = None
                                 ) -> QuerySet[Appointment]:
    now = now or timezone.now()
    qs = appointments_visible_to(user)
    if when == "upcoming":
        return qs.filter(end__gt=now, status__in=UPCOMING).order_by("start")
    return qs.filter(Q(end__lte=now) | ~Q(status__in=UPCOMING)).order_by("-start")


def waitlist_of(user: User) -> QuerySet[WaitlistEntry]:
    return (WaitlistEntry.objects.filter(patient__in=policy.patient_side_ids(user))
            .select_related("doctor__doctor_profile__department", "patient", "offered_slot")
            .order_by("-created_at"))


def waitlist_position(entry: WaitlistEntry) -> int | None:
    if entry.status != WaitlistStatus.WAITING:
        return None
    return WaitlistEntry.objects.filter(doctor_id=entry.doctor_id, status=WaitlistStatus.WAITING).filter(
        Q(created_at__lt=entry.created_at) | Q(created_at=entry.created_at, pk__lt=entry.pk)).count() + 1


def follow_ups_of(user: User) -> QuerySet[FollowUpProposal]:
    return (FollowUpProposal.objects.filter(patient__in=policy.patient_side_ids(user))
            .select_related("doctor", "patient", "appointment", "accepted_appointment")
            .prefetch_related("slots").order_by("-created_at"))


def follow_ups_open_of(user: User) -> QuerySet[FollowUpProposal]:
    return follow_ups_of(user).filter(status=FollowUpStatus.PROPOSED)


def schedules_of(doctor: User) -> QuerySet[WeeklySchedule]:
    return WeeklySchedule.objects.filter(doctor=doctor, is_active=True).order_by("weekday", "start_time")


def leave_days_of(doctor: User, *, limit: int = 20) -> QuerySet[ScheduleException]:
    return ScheduleException.objects.filter(doctor=doctor).order_by("-date")[:limit]


def encounter_of(appointment: Appointment) -> Encounter | None:
    """The encounter of an appointment the caller already may see (for a link; reading it is audited)."""
    return Encounter.objects.filter(appointment=appointment).only("pk").first()


NOON = 12  # local hour: free places before it count as morning, from it as afternoon


def slot_day_strip(slots: list[Slot], *, today: date, days: int = 14) -> list[dict]:
    """The slot picker's strip: one entry per local day from `today` with its free places in the morning and
    in the afternoon (pure: `slots` is the doctor's free slots, already read)."""
    strip = {today + timedelta(days=i): {"morning": 0, "afternoon": 0} for i in range(days)}
    for slot in slots:
        local = timezone.localtime(slot.start)
        counts = strip.get(local.date())
        if counts is not None:
            counts["morning" if local.hour < NOON else "afternoon"] += 1
    return [{"day": day, "morning": c["morning"], "afternoon": c["afternoon"], "total": c["morning"] + c["afternoon"]}
            for day, c in strip.items()]


def slot_day_pick(strip: list[dict], wanted: str | None) -> date | None:
    """The day the picker shows: the one asked for when it has free places, else the first day that has any."""
    free = [entry["day"] for entry in strip if entry["total"]]
    if wanted:
        try:
            day = date.fromisoformat(wanted)
        except ValueError:
            day = None
        if day in free:
            return day
    return free[0] if free else None


def departments_with_doctors() -> list[Department]:
    """Departments that have active doctors, each with `.listed` (its doctors by name): two queries."""
    from django.db.models import Prefetch

    from accounts.models import DoctorProfile

    doctors = (DoctorProfile.objects.filter(user__is_active=True, user__role=Role.DOCTOR).select_related("user")
               .order_by("user__full_name", "user_id"))
    return list(Department.objects.filter(doctors__user__is_active=True, doctors__user__role=Role.DOCTOR).distinct()
                .prefetch_related(Prefetch("doctors", queryset=doctors, to_attr="listed")).order_by("name_en"))


def fee_range() -> dict:
    """The lowest and highest consultation fee of the active doctors ({"low": None, "high": None} without any)."""
    from django.db.models import Max, Min

    from accounts.models import DoctorProfile

    return DoctorProfile.objects.filter(user__is_active=True, user__role=Role.DOCTOR).aggregate(
        low=Min("fee"), high=Max("fee"))
