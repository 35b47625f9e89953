"""The rules: who may do what to whose data, decided from data (roles, family links, care relations, grants,
emergency accesses) — never from view code. docs/security.md has them as a table.

Facts that live in higher apps (an order's state, a student's college) are passed in by those apps' selectors;
the rule itself — what the fact means for access — is decided here.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from ..models import BreakGlassAccess, CareGrant, CareRelation, FamilyLink, Role, User
from .decision import Action, Decision, Reason, allow, deny

# ---------------------------------------------------------------------------------------------------------
# Capabilities: what a role may do at all (the page and API gates). Object rules come on top of these.
# ---------------------------------------------------------------------------------------------------------

CAPABILITIES: dict[str, frozenset[str]] = {
    # patients (and, through the family link, for the people they act for)
    "booking.book": frozenset({Role.PATIENT}),
    "waitlist.use": frozenset({Role.PATIENT}),
    "medication.use": frozenset({Role.PATIENT}),
    "pharmacy.shop": frozenset({Role.PATIENT}),
    "family.manage": frozenset({Role.PATIENT}),
    # the health record: a patient's own, a doctor's patients'
    "records.use": frozenset({Role.PATIENT, Role.DOCTOR}),
    "consultation.use": frozenset({Role.PATIENT, Role.DOCTOR}),
    # doctors
    "console.use": frozenset({Role.DOCTOR}),
    "schedule.manage": frozenset({Role.DOCTOR}),
    "encounter.write": frozenset({Role.DOCTOR}),
    "prescription.write": frozenset({Role.DOCTOR}),
    "problem.write": frozenset({Role.DOCTOR}),
    "icd10.lookup": frozenset({Role.DOCTOR}),
    "knowledge.lookup": frozenset({Role.DOCTOR}),
    "rarecases.use": frozenset({Role.DOCTOR}),
    "break_glass.open": frozenset({Role.DOCTOR, Role.ADMIN}),
    # pharmacists
    "pharmacy.review": frozenset({Role.PHARMACIST}),
    "pharmacy.stock": frozenset({Role.PHARMACIST, Role.ADMIN}),
    # counsellors
    "portraits.use": frozenset({Role.COUNSELLOR, Role.ADMIN}),
    # administrators
    "audit.read": frozenset({Role.ADMIN}),
    "break_glass.review": frozenset({Role.ADMIN}),
    "rarecases.admin": frozenset({Role.ADMIN}),
    "ratings.moderate": frozenset({Role.ADMIN}),
}


def _role(actor: Any) -> str | None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return getattr(actor, "role", None)


def can(actor: Any, capability: str) -> Decision:
    """May this actor use this part of the platform at all?"""
    roles = CAPABILITIES[capability]  # a KeyError is a programming error: every capability is declared above
    role = _role(actor)
    if role is None:
        return deny(Reason.ANONYMOUS, capability)
    if role not in roles:
        return deny(Reason.ROLE, capability)
    return allow(capability)


# ---------------------------------------------------------------------------------------------------------
# The patient's health record
# ---------------------------------------------------------------------------------------------------------


def care_window() -> dt.timedelta:
    """How long after the last contact a care relation still opens the record (CARE_RELATION_DAYS, default 365)."""
    return dt.timedelta(days=int(getattr(settings, "CARE_RELATION_DAYS", 365)))


def _memo(actor: Any) -> dict[tuple[Any, ...], Decision]:
    # Decisions are remembered on the actor object, which lives for one request (or one task): a page that
    # reads allergies, problems and prescriptions asks once. A grant revoked mid-request takes effect next one.
    memo = getattr(actor, "_policy_memo", None)
    if memo is None:
        memo = {}
        try:
            actor._policy_memo = memo
        except AttributeError:  # pragma: no cover - AnonymousUser and the like accept attributes too
            pass
    return memo


def forget(actor: Any) -> None:
    """Drop remembered decisions (after a grant or break-glass changes what the actor may see)."""
    if getattr(actor, "_policy_memo", None):
        actor._policy_memo = {}


def acts_for(actor: Any, patient_id: int) -> Decision:
    """The patient side: the patient themself, or a family member they act for (the proxy relation)."""
    role = _role(actor)
    if role is None:
        return deny(Reason.ANONYMOUS, "patient_side")
    if role != Role.PATIENT:
        return deny(Reason.ROLE, "patient_side")
    if actor.pk == patient_id:
        return allow("self")
    if FamilyLink.objects.filter(principal=actor, member_id=patient_id).exists():
        return allow("proxy")
    return deny(Reason.NOT_OWN, "patient_side")


def _break_glass_active(actor: Any, patient_id: int, now: dt.datetime) -> bool:
    return BreakGlassAccess.objects.filter(actor=actor, patient_id=patient_id, expires_at__gt=now).exists()


def doctor_care(actor: Any, patient_id: int, *, now: dt.datetime | None = None) -> Decision:
    """A doctor and a patient: a care relation within the window, else a shared-care grant."""
    now = now or timezone.now()
    if CareRelation.objects.filter(doctor=actor, patient_id=patient_id,
                                   last_contact_at__gte=now - care_window()).exists():
        return allow("care_relation")
    if CareGrant.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now), doctor=actor,
                                patient_id=patient_id, revoked_at__isnull=True).exists():
        return allow("shared_care")
    return deny(Reason.NO_CARE_RELATION, "care_relation")


def patient_record(actor: Any, patient_id: int | None, action: Action = Action.READ, *,
                   now: dt.datetime | None = None) -> Decision:
    """May `actor` read (or change) the health record of patient `patient_id`?

    - a patient: their own and their family members' (read and write);
    - a doctor: with a care relation in the window or a shared-care grant (read and write); by break-glass
      (read only, while it lasts);
    - an administrator: by break-glass only (read only); pharmacists and counsellors: never here.
    """
    if patient_id is None:
        return deny(Reason.NO_SUCH_OBJECT, "patient_record")
    key = ("patient_record", int(patient_id), str(action))
    memo = _memo(actor)
    if key in memo:
        return memo[key]
    decision = _patient_record(actor, int(patient_id), action, now or timezone.now())
    memo[key] = decision
    return decision


def _patient_record(actor: Any, patient_id: int, action: Action, now: dt.datetime) -> Decision:
    role = _role(actor)
    if role is None:
        return deny(Reason.ANONYMOUS, "patient_record")
    if role == Role.PATIENT:
        return acts_for(actor, patient_id)
    if role == Role.DOCTOR:
        decision = doctor_care(actor, patient_id, now=now)
        if decision or action != Action.READ:
            return decision
        if _break_glass_active(actor, patient_id, now):
            return allow("break_glass")
        return decision
    if role == Role.ADMIN:
        if action == Action.READ and _break_glass_active(actor, patient_id, now):
            return allow("break_glass")
        return deny(Reason.NO_CLINICAL_ACCESS, "patient_record")
    return deny(Reason.ROLE, "patient_record")


def readable_patients(actor: Any, *, now: dt.datetime | None = None) -> QuerySet[User]:
    """Every patient whose record `actor` may read now (for lists: "my patients", a doctor's encounters)."""
    role = _role(actor)
    now = now or timezone.now()
    patients = User.objects.filter(role=Role.PATIENT)
    if role == Role.PATIENT:
        return patients.filter(Q(pk=actor.pk) | Q(pk__in=FamilyLink.objects.filter(principal=actor)
                                                   .values("member_id")))
    if role == Role.DOCTOR:
        related = CareRelation.objects.filter(doctor=actor, last_contact_at__gte=now - care_window())
        granted = CareGrant.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now), doctor=actor,
                                           revoked_at__isnull=True)
        glass = BreakGlassAccess.objects.filter(actor=actor, expires_at__gt=now)
        return patients.filter(Q(pk__in=related.values("patient_id")) | Q(pk__in=granted.values("patient_id"))
                               | Q(pk__in=glass.values("patient_id")))
    if role == Role.ADMIN:
        return patients.filter(pk__in=BreakGlassAccess.objects.filter(actor=actor, expires_at__gt=now)
                               .values("patient_id"))
    return patients.none()


def patient_side_ids(actor: Any) -> QuerySet[User]:
    """The patients `actor` acts for (themself and their family): bookings, waitlists, reminders, orders."""
    if _role(actor) != Role.PATIENT:
        return User.objects.none()
    return User.objects.filter(Q(pk=actor.pk) | Q(pk__in=FamilyLink.objects.filter(principal=actor)
                                                  .values("member_id")))


# ---------------------------------------------------------------------------------------------------------
# Objects with parties: appointments and their consultations, authored clinical notes, owned objects
# ---------------------------------------------------------------------------------------------------------


def appointment_party(actor: Any, *, patient_id: int, doctor_id: int) -> Decision:
    """An appointment (and its consultation thread and files): its patient side or its doctor."""
    role = _role(actor)
    if role is None:
        return deny(Reason.ANONYMOUS, "appointment_party")
    if role == Role.DOCTOR:
        return allow("appointment_doctor") if actor.pk == doctor_id else deny(Reason.NOT_PARTY, "appointment_party")
    if role == Role.PATIENT:
        side = acts_for(actor, patient_id)
        return allow("appointment_patient") if side else deny(Reason.NOT_PARTY, "appointment_party")
    return deny(Reason.ROLE, "appointment_party")


def video_room(actor: Any, *, patient_id: int, doctor_id: int, opens_at: dt.datetime, closes_at: dt.datetime,
               is_open: bool, is_paid: bool, now: dt.datetime | None = None) -> Decision:
    """The video room of an appointment (its WebSocket signalling): the appointment's parties only
    (`appointment_party`), only while the appointment is open (booked, checked in, in consultation: not
    cancelled, missed or finished) and paid, only from `opens_at` to `closes_at`. consult passes the facts."""
    party = appointment_party(actor, patient_id=patient_id, doctor_id=doctor_id)
    if not party:
        return party
    if not is_open:
        return deny(Reason.NOT_OPEN, "video_room")
    if not is_paid:
        return deny(Reason.UNPAID, "video_room")
    now = now or timezone.now()
    if not opens_at <= now <= closes_at:
        return deny(Reason.OUTSIDE_WINDOW, "video_room")
    return allow(f"video_room:{party.rule}")


def appointment_doctor(actor: Any, *, doctor_id: int) -> Decision:
    """What only the appointment's doctor does (status changes, follow-up proposals, the encounter)."""
    if _role(actor) is None:
        return deny(Reason.ANONYMOUS, "appointment_doctor")
    if _role(actor) != Role.DOCTOR or actor.pk != doctor_id:
        return deny(Reason.NOT_PARTY, "appointment_doctor")
    return allow("appointment_doctor")


def author(actor: Any, *, author_id: int | None) -> Decision:
    """Clinical notes and prescriptions are changed only by the doctor who wrote them."""
    if _role(actor) is None:
        return deny(Reason.ANONYMOUS, "author")
    if _role(actor) != Role.DOCTOR or actor.pk != author_id:
        return deny(Reason.NOT_AUTHOR, "author")
    return allow("author")


def owner(actor: Any, *, owner_id: int | None, rule: str = "owner") -> Decision:
    """Things that belong to one account: a doctor's schedule, a patient's cart and orders, notifications."""
    if _role(actor) is None:
        return deny(Reason.ANONYMOUS, rule)
    if owner_id is None or actor.pk != owner_id:
        return deny(Reason.NOT_OWNER, rule)
    return allow(rule)


# ---------------------------------------------------------------------------------------------------------
# Pharmacy, portraits, rare cases
# ---------------------------------------------------------------------------------------------------------


def pharmacist_order(actor: Any, *, in_review_queue: bool) -> Decision:
    """A pharmacist sees an order (and the prescription items it fills) only while it is in the review and
    dispensing queue; pharmacy's selector says whether it is."""
    decision = can(actor, "pharmacy.review")
    if not decision:
        return decision
    return allow("pharmacist_queue") if in_review_queue else deny(Reason.NOT_IN_QUEUE, "pharmacist_queue")


def counsellor_student(actor: Any, *, college: str, grade: str) -> Decision:
    """A counsellor sees students of their cohorts (the colleges and grades of their profile, both must
    match); an administrator sees every student; nobody else any."""
    role = _role(actor)
    if role is None:
        return deny(Reason.ANONYMOUS, "counsellor_cohort")
    if role == Role.ADMIN:
        return allow("portraits_admin")
    if role != Role.COUNSELLOR:
        return deny(Reason.ROLE, "counsellor_cohort")
    colleges, grades = cohort_of(actor)
    if college not in colleges or str(grade) not in grades:
        return deny(Reason.NOT_IN_COHORT, "counsellor_cohort")
    return allow("counsellor_cohort")


def cohort_of(actor: Any) -> tuple[list[str], list[str]]:
    """(colleges, grades) a counsellor covers; none without a profile."""
    profile = getattr(actor, "counsellor_profile", None) if _role(actor) == Role.COUNSELLOR else None
    if profile is None:
        return ([], [])
    return ([str(c) for c in profile.colleges or []], [str(g) for g in profile.grades or []])


def cohort_filter(actor: Any, prefix: str = "") -> Q | None:
    """The same rule as a filter over students (`prefix` to reach the student): None means every student
    (administrators), a filter that matches nothing for anyone who is not a counsellor."""
    role = _role(actor)
    if role == Role.ADMIN:
        return None
    if role != Role.COUNSELLOR:
        return Q(pk__in=[])
    colleges, grades = cohort_of(actor)
    return Q(**{f"{prefix}college__in": colleges, f"{prefix}grade__in": grades})


def ids_in(values: Iterable[Any]) -> list[int]:
    return [int(v) for v in values]
