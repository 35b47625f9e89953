"""Follow-up proposals: the doctor proposes their next free slots in one click; the patient accepts one."""
from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User
from accounts.services import notify
from core.errors import ApplicationError, Conflict

from ..models import Appointment, FollowUpProposal, FollowUpStatus
from .booking import appointment_book, appointment_for_doctor


def follow_up_propose(
    *, doctor: User, appointment_id: int, count: int = 3, after_days: int = 1, note: str = "",
    now: datetime | None = None,
) -> FollowUpProposal:
    """Propose the doctor's next `count` free slots (from `after_days` on) for a follow-up of an appointment.

    Raises NotFound (not the doctor's appointment), Conflict (no free slot in the schedule).
    """

    now = now or timezone.now()
    appointment = appointment_for_doctor(doctor=doctor, appointment_id=appointment_id)
    with transaction.atomic():
        return _propose(doctor=doctor, appointment=appointment, count=count, after_days=after_days, note=note, now=now)


def _propose(*, doctor: User, appointment: Appointment, count: int, after_days: int, note: str,
             now: datetime) -> FollowUpProposal:
    from ..selectors.booking import doctor_slots_free

    start_from = now + timedelta(days=after_days)
    slots = list(doctor_slots_free(doctor_id=doctor.pk, days=60, now=now).filter(start__gte=start_from)[:count])
    if not slots:
        raise Conflict(_("You have no free slots to propose. Add to your schedule first."), code="no_slots")
    proposal = FollowUpProposal.objects.create(appointment=appointment, doctor=doctor, patient=appointment.patient,
                                               note=(note or "")[:300])
    proposal.slots.set(slots)
    recipient = appointment.booked_by
    with translation.override(recipient.preferred_language or "en"):
        notify(user=recipient, kind="follow_up_proposed",
               title=_("%(doctor)s proposes a follow-up appointment") % {"doctor": doctor.display_name},
               body=_("Pick one of the proposed times to book it."), url=reverse("consult:my_appointments"),
               dedupe_key=f"consult:follow-up:{proposal.pk}")
    return proposal


def follow_up_accept(*, user: User, proposal_id: int, slot_id: int, now: datetime | None = None) -> Appointment:
    """The patient (or who acts for them) books one of the proposed slots. Raises NotFound, ApplicationError,
    Conflict (slot no longer free: the other proposed slots stay available)."""
    _proposal_of_patient_side(user=user, proposal_id=proposal_id)
    with transaction.atomic():
        return _accept_locked(user=user, proposal_id=proposal_id, slot_id=slot_id, now=now)


def _accept_locked(*, user: User, proposal_id: int, slot_id: int, now: datetime | None) -> Appointment:
    proposal = FollowUpProposal.objects.select_for_update().select_related("appointment", "patient").get(pk=proposal_id)
    if proposal.status != FollowUpStatus.PROPOSED:
        raise Conflict(_("This proposal was already answered."), code="answered")
    if not proposal.slots.filter(pk=slot_id).exists():
        raise ApplicationError(_("Please pick one of the proposed times."), code="not_proposed")
    appointment = appointment_book(
        booked_by=user, patient=proposal.patient, slot_id=slot_id, reason=proposal.appointment.reason,
        follow_up_of=proposal.appointment, now=now,
    )
    proposal.status = FollowUpStatus.ACCEPTED
    proposal.accepted_appointment = appointment
    proposal.save(update_fields=["status", "accepted_appointment"])
    return appointment


def follow_up_check(*, user: User, proposal_id: int) -> FollowUpProposal:
    """The proposal, if the user acts for its patient; refused (audited) as not found otherwise."""
    return _proposal_of_patient_side(user=user, proposal_id=proposal_id)


def _proposal_of_patient_side(*, user: User, proposal_id: int) -> FollowUpProposal:
    return policy.obtain(FollowUpProposal.objects.select_related("patient"), proposal_id, actor=user,
                         object_type="follow_up", action=policy.Action.WRITE,
                         decide=lambda p: policy.acts_for(user, p.patient_id),
                         message=_("Follow-up proposal not found."))


def follow_up_decline(*, user: User, proposal_id: int) -> FollowUpProposal:
    _proposal_of_patient_side(user=user, proposal_id=proposal_id)
    with transaction.atomic():
        proposal = FollowUpProposal.objects.select_for_update().get(pk=proposal_id)
        if proposal.status != FollowUpStatus.PROPOSED:
            raise Conflict(_("This proposal was already answered."), code="answered")
        proposal.status = FollowUpStatus.DECLINED
        proposal.save(update_fields=["status"])
    return proposal
