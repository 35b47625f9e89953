"""Follow-up visits only online (text consultations and video visits alike) (《互联网诊疗管理办法（试行）》第十六条; docs/compliance.md).

An online booking or consultation needs a prior diagnosis made in person: a diagnosis of an in-person encounter
on the platform, or an uploaded record from another hospital that a doctor accepted (`AcceptedPriorRecord`). A
first visit is refused (audited, through `accounts.regulation.refuse_rule`) with the reason and the in-person
slots it may book instead. Before writing, the doctor confirms "follow-up of <diagnosis>" (one of those
diagnoses); a doctor may end the consultation as "needs in-person examination". Doctors start or confirm an
online consultation only when `accounts.regulation.doctor_online_check` passes (第二十五条).

Booking calls `online_booking_check` before its write transaction, so the refusal's audit row survives.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.regulation import doctor_online_check, refuse_rule
from accounts.services import audit_record, notify
from core.errors import ApplicationError, Conflict

from ..models import (
    ONLINE_KINDS,
    AcceptedPriorRecord,
    Appointment,
    AppointmentStatus,
    ConsultationOutcome,
    ConsultationThread,
    EncounterDiagnosis,
    ICD10Code,
    PriorRecordKind,
    Slot,
    SlotKind,
    ThreadStatus,
)
from .consultation import thread_for
from .icd10 import normalise_code

RULE = "followup_only_online"
OFFERED_SLOTS = 5


@dataclass(frozen=True)
class FollowUpBasis:
    """One diagnosis made in person that an online follow-up may continue."""

    code: str
    name: str
    source: str  # "encounter" (in person on the platform) or "record" (accepted record from elsewhere)
    at: dt.date


def followup_bases(*, patient: User) -> list[FollowUpBasis]:
    """The patient's in-person diagnoses, one per ICD-10 code (the earliest), oldest first."""
    bases: dict[str, FollowUpBasis] = {}
    in_person = (EncounterDiagnosis.objects.filter(patient=patient)
                 .filter(Q(encounter__appointment__isnull=True) | Q(encounter__appointment__kind=SlotKind.IN_PERSON))
                 .select_related("code").order_by("diagnosed_at"))
    for d in in_person:
        bases.setdefault(d.code_id, FollowUpBasis(d.code_id, d.code.name, "encounter",
                                                  timezone.localdate(d.diagnosed_at)))
    for r in AcceptedPriorRecord.objects.filter(patient=patient).select_related("code").order_by("accepted_at"):
        bases.setdefault(r.code_id, FollowUpBasis(r.code_id, r.code.name, "record",
                                                  r.diagnosed_on or timezone.localdate(r.accepted_at)))
    return sorted(bases.values(), key=lambda b: b.at)


def in_person_offer(*, doctor_id: int | None, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Free in-person slots to offer instead of a refused online visit: the same doctor's first, else anyone's."""
    now = now or timezone.now()
    free = (Slot.objects.filter(kind=SlotKind.IN_PERSON, is_blocked=False, start__gt=now)
            .exclude(appointments__status__in=[AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN,
                                               AppointmentStatus.IN_PROGRESS, AppointmentStatus.COMPLETED])
            .order_by("start"))
    slots = list(free.filter(doctor_id=doctor_id)[:OFFERED_SLOTS]) if doctor_id else []
    if not slots:
        slots = list(free[:OFFERED_SLOTS])
    return [{"slot": s.pk, "doctor": s.doctor_id, "start": s.start.isoformat(),
             "url": reverse("consult:doctor_detail", args=[s.doctor_id])} for s in slots]


def online_booking_check(*, booked_by: User, patient: User, slot_id: Any) -> None:
    """Refuse (RuleRefused `first_visit_online`, audited) booking an online slot for a patient without an
    in-person diagnosis; in-person slots pass. An unknown slot passes (the booking reports it)."""
    slot = Slot.objects.filter(pk=slot_id).values("kind", "doctor_id").first() if str(slot_id).isdigit() else None
    if slot is None or slot["kind"] not in ONLINE_KINDS or followup_bases(patient=patient):
        return
    refuse_rule(actor=booked_by, rule=RULE, reason="first_visit_online", object_type="appointment",
                object_id=slot_id, subject=patient,
                message=_("Online consultations are for follow-up visits only: a first visit for a condition must "
                          "be in person. Book an in-person visit first (in-person times are offered below), or "
                          "upload your record of an in-person diagnosis from another hospital for a doctor to "
                          "accept."),
                extra={"in_person_slots": in_person_offer(doctor_id=slot["doctor_id"])})


def online_consultation_start_check(*, doctor: User, appointment: Appointment) -> None:
    """Where a doctor starts an online consultation: their online-practice qualification and second factor
    (accounts.regulation.doctor_online_check). In-person appointments pass."""
    if appointment.kind in ONLINE_KINDS:
        doctor_online_check(doctor=doctor, object_type="consultation", object_id=appointment.pk,
                            subject=appointment.patient)


def followup_confirm(*, doctor: User, appointment_id: int, code: str) -> ConsultationThread:
    """The doctor confirms "follow-up of <diagnosis>" for an online consultation before writing in it.

    Raises AccessRefused (another doctor's consultation, audited) and RuleRefused (audited): the doctor is not
    qualified for online practice (`doctor_not_qualified`, `doctor_session_without_mfa`) or `code` is not one of
    the patient's in-person diagnoses (`not_a_follow_up`, with the in-person offer).
    """
    thread = thread_for(user=doctor, appointment_id=appointment_id, doctor_only=True, action="write")
    appointment = thread.appointment
    online_consultation_start_check(doctor=doctor, appointment=appointment)
    wanted = normalise_code(code or "")
    bases = {b.code: b for b in followup_bases(patient=appointment.patient)}
    if wanted not in bases:
        refuse_rule(actor=doctor, rule=RULE, reason="not_a_follow_up", object_type="consultation",
                    object_id=appointment.pk, subject=appointment.patient,
                    message=_("This patient has no in-person diagnosis of %(code)s on record: an online consultation "
                              "can only follow up a condition diagnosed in person. End it as needing an in-person "
                              "examination.") % {"code": wanted or code},
                    extra={"bases": sorted(bases), "in_person_slots": in_person_offer(doctor_id=doctor.pk)})
    with transaction.atomic():
        thread = ConsultationThread.objects.select_for_update().get(pk=thread.pk)
        if thread.status == ThreadStatus.CLOSED:
            raise Conflict(_("This consultation is closed."), code="closed")
        thread.follow_up_code_id = wanted
        thread.follow_up_confirmed_at = timezone.now()
        thread.save(update_fields=["follow_up_code", "follow_up_confirmed_at"])
        audit_record(actor=doctor, action="update", object_type="consultation", object_id=appointment.pk,
                     subject=appointment.patient, detail={"follow_up_of": wanted, "basis": bases[wanted].source})
    return thread


def followup_confirmed_code(*, encounter: Any) -> str | None:
    """For an encounter of an online appointment: the diagnosis the doctor confirmed as followed up (None when
    not confirmed). For an in-person encounter: "" (the rule does not apply)."""
    appointment = getattr(encounter, "appointment", None)
    if appointment is None or appointment.kind not in ONLINE_KINDS:
        return ""
    thread = ConsultationThread.objects.filter(appointment=appointment).first()
    return thread.follow_up_code_id if thread and thread.follow_up_confirmed_at else None


def consultation_end_needs_in_person(*, doctor: User, appointment_id: int, reason: str) -> ConsultationThread:
    """The doctor ends an online consultation as "needs in-person examination": the thread closes with that
    outcome, the appointment is completed, and the patient is told and offered in-person slots.
    Raises AccessRefused (audited) for another doctor's consultation, ApplicationError without a reason,
    Conflict when it is already closed."""
    thread = thread_for(user=doctor, appointment_id=appointment_id, doctor_only=True, action="write")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Say why an in-person examination is needed."), extra={"reason": [_("Required.")]})
    with transaction.atomic():
        thread = ConsultationThread.objects.select_for_update().select_related("appointment__booked_by").get(
            pk=thread.pk)
        if thread.status == ThreadStatus.CLOSED:
            raise Conflict(_("This consultation is closed."), code="closed")
        thread.status, thread.closed_at = ThreadStatus.CLOSED, timezone.now()
        thread.outcome, thread.summary = ConsultationOutcome.NEEDS_IN_PERSON, reason[:2000]
        thread.save(update_fields=["status", "closed_at", "outcome", "summary"])
        appointment = thread.appointment
        if appointment.status != AppointmentStatus.COMPLETED:
            appointment.status = AppointmentStatus.COMPLETED
            appointment.save(update_fields=["status", "updated_at"])
        audit_record(actor=doctor, action="update", object_type="consultation", object_id=appointment.pk,
                     subject=appointment.patient, detail={"outcome": ConsultationOutcome.NEEDS_IN_PERSON})
        recipient = appointment.booked_by
        with translation.override(recipient.preferred_language or "en"):
            notify(user=recipient, kind="consultation_closed",
                   title=_("%(doctor)s needs to examine you in person") % {"doctor": doctor.display_name},
                   body=_("Your online consultation ended: an in-person examination is needed. Book an in-person "
                          "visit on the doctor's page."),
                   url=reverse("consult:doctor_detail", args=[doctor.pk]),
                   dedupe_key=f"consult:needs-in-person:{thread.pk}")
    return thread


def prior_record_accept(*, doctor: User, patient: User, code: str, kind: str, document_id: int | None = None,
                        diagnosed_on: dt.date | None = None, institution: str = "") -> AcceptedPriorRecord:
    """Record that `doctor` accepted a record of an in-person diagnosis made elsewhere. The caller (records,
    which owns the documents) has checked the doctor may read the patient's record. Raises ApplicationError
    for an unknown code or kind of record. Idempotent per (patient, code, document)."""
    if kind not in PriorRecordKind.values:
        raise ApplicationError(_("Choose the kind of record: outpatient record, discharge summary or diagnosis "
                                 "certificate."), code="prior_record_kind")
    icd = ICD10Code.objects.filter(code=normalise_code(code or "")).first()
    if icd is None:
        raise ApplicationError(_("“%(code)s” is not in the ICD-10 code list.") % {"code": str(code)[:20]},
                               code="unknown_icd10")
    with transaction.atomic():
        record, created = AcceptedPriorRecord.objects.get_or_create(
            patient=patient, code=icd, document_id=document_id,
            defaults={"kind": kind, "accepted_by": doctor, "diagnosed_on": diagnosed_on,
                      "institution": institution.strip()[:200]})
        if created:
            audit_record(actor=doctor, action="create", object_type="prior_record", object_id=record.pk,
                         subject=patient, detail={"code": icd.code, "kind": kind, "document": document_id})
    return record
