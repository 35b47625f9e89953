"""Encounters: the doctor's notes and ICD-10 diagnoses of an appointment; amendments by the author only,
each one kept with what changed."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import AuditAction, User
from accounts.services import audit_record
from core.errors import ApplicationError, Conflict

from ..models import (
    Appointment,
    AppointmentStatus,
    Encounter,
    EncounterAmendment,
    EncounterDiagnosis,
    ICD10Code,
)
from .booking import appointment_for_doctor
from .care import care_contact_record
from .icd10 import normalise_code

NOTE_FIELDS = ("chief_complaint", "history", "findings", "assessment", "plan")


def diagnoses_resolve(raw_codes: list[str]) -> list[ICD10Code]:
    """Validate codes (format, then existence), keep their order, drop duplicates.

    Raises ApplicationError naming the first bad code; nothing is written by the caller then.
    """
    wanted: list[str] = []
    for raw in raw_codes:
        if not str(raw).strip():
            continue
        code = normalise_code(str(raw))
        if not code:
            raise ApplicationError(_("“%(code)s” is not a valid ICD-10 code.") % {"code": str(raw)[:20]},
                                   code="bad_icd10", extra={"diagnoses": [str(raw)[:20]]})
        if code not in wanted:
            wanted.append(code)
    found = {c.code: c for c in ICD10Code.objects.filter(code__in=wanted)}
    for code in wanted:
        if code not in found:
            raise ApplicationError(_("“%(code)s” is not in the ICD-10 code list.") % {"code": code},
                                   code="unknown_icd10", extra={"diagnoses": [code]})
    return [found[c] for c in wanted]


def diagnosis_codes_split(raw: str) -> list[str]:
    """The codes typed in the form's one field: comma-separated, the Chinese comma accepted, blanks dropped."""
    return [c for c in raw.replace("，", ",").split(",") if c.strip()]


def diagnoses_known(raw: str) -> list[ICD10Code]:
    """For showing a form's diagnoses by name: the codes of `raw` that are in the code list, in order, once each.
    Unlike diagnoses_resolve, a malformed or unknown code is skipped (the form shows its own error for it)."""
    wanted: list[str] = []
    for code in map(normalise_code, diagnosis_codes_split(raw)):
        if code and code not in wanted:
            wanted.append(code)
    found = {c.code: c for c in ICD10Code.objects.filter(code__in=wanted)}
    return [found[c] for c in wanted if c in found]


def _write_diagnoses(encounter: Encounter, codes: list[ICD10Code]) -> None:
    encounter.diagnoses.all().delete()
    EncounterDiagnosis.objects.bulk_create([
        EncounterDiagnosis(encounter=encounter, code=code, patient_id=encounter.patient_id,
                           diagnosed_at=encounter.occurred_at, is_primary=(i == 0))
        for i, code in enumerate(codes)
    ])


def encounter_record(*, doctor: User, appointment_id: int, notes: dict[str, str], diagnoses: list[str],
                     now: datetime | None = None) -> Encounter:
    """The appointment's doctor writes its encounter (once; later changes are amendments).

    Raises NotFound (not the doctor's appointment), Conflict (already recorded / cancelled appointment),
    ApplicationError (malformed or unknown ICD-10 code).
    """
    appointment = appointment_for_doctor(doctor=doctor, appointment_id=appointment_id)
    codes = diagnoses_resolve(diagnoses)
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if appointment.status in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW):
            raise Conflict(_("This appointment did not take place."), code="not_held")
        if Encounter.objects.filter(appointment=appointment).exists():
            raise Conflict(_("This appointment already has an encounter; amend it instead."), code="exists")
        encounter = Encounter.objects.create(
            appointment=appointment, patient_id=appointment.patient_id, doctor=doctor,
            occurred_at=appointment.start if appointment.start <= (now or timezone.now()) else (now or timezone.now()),
            **{f: (notes.get(f) or "").strip() for f in NOTE_FIELDS},
        )
        _write_diagnoses(encounter, codes)
        care_contact_record(patient_id=encounter.patient_id, doctor_id=doctor.pk, at=encounter.occurred_at)
    return encounter


def encounter_for_author(*, user: User, encounter_id: int) -> Encounter:
    """An encounter its author is about to change; anyone else is refused (audited) as not found."""
    return policy.obtain(Encounter.objects.select_related("patient"), encounter_id, actor=user,
                         object_type="encounter", action=policy.Action.WRITE,
                         decide=lambda e: policy.author(user, author_id=e.doctor_id),
                         readable=lambda e: policy.patient_record(user, e.patient_id),
                         message=_("Encounter not found."),
                         forbidden=_("Only the author of an encounter can amend it."))


def encounter_amend(*, user: User, encounter_id: int, notes: dict[str, str], diagnoses: list[str] | None = None,
                    reason: str = "") -> EncounterAmendment | None:
    """The author changes notes and/or diagnoses; the old and new values are kept. None if nothing changed.

    Raises AccessRefused (not the author — audited, answered as not found), ApplicationError.
    """
    encounter = encounter_for_author(user=user, encounter_id=encounter_id)
    codes = diagnoses_resolve(diagnoses) if diagnoses is not None else None
    with transaction.atomic():
        encounter = Encounter.objects.select_for_update().get(pk=encounter.pk)
        changes: dict[str, Any] = {}
        for field in NOTE_FIELDS:
            if field in notes and notes[field] is not None:
                new = (notes[field] or "").strip()
                old = getattr(encounter, field)
                if new != old:
                    changes[field] = {"old": old, "new": new}
                    setattr(encounter, field, new)
        if codes is not None:
            old_codes = list(encounter.diagnoses.order_by("-is_primary", "id").values_list("code_id", flat=True))
            new_codes = [c.code for c in codes]
            if old_codes != new_codes:
                changes["diagnoses"] = {"old": old_codes, "new": new_codes}
                _write_diagnoses(encounter, codes)
        if not changes:
            return None
        encounter.save(update_fields=[*[f for f in NOTE_FIELDS if f in changes], "updated_at"])
        return EncounterAmendment.objects.create(encounter=encounter, author=user, reason=(reason or "")[:300],
                                                 changes=changes)


def encounters_visible_to(user: User) -> QuerySet[Encounter]:
    """Encounters of the patients whose record the user may read now (the access policy decides who)."""
    return (Encounter.objects.select_related("patient", "doctor", "appointment")
            .filter(patient__in=policy.readable_patients(user)))


def encounter_read(*, user: User, encounter_id: int) -> Encounter:
    """One encounter with its diagnoses and amendments, if the user may read the patient's record (audited
    read); anyone else is refused (audited) as not found."""
    encounter = (Encounter.objects.select_related("patient", "doctor", "appointment").filter(pk=encounter_id)
                 .prefetch_related("diagnoses__code", "amendments__author").first())
    decision = (policy.patient_record(user, encounter.patient_id) if encounter is not None
                else policy.deny(policy.Reason.NO_SUCH_OBJECT, "patient_record"))
    policy.require(decision, actor=user, object_type="encounter", object_id=encounter_id,
                   subject=encounter.patient if encounter else None, message=_("Encounter not found."))
    audit_record(actor=user, action=AuditAction.READ, object_type="encounter", object_id=encounter.pk,
                 subject=encounter.patient, detail={"via": decision.rule})
    return encounter


def encounter_import(*, patient: User, doctor: User, occurred_at: datetime, notes: dict[str, str],
                     diagnoses: list[ICD10Code]) -> Encounter:
    """An encounter that happened without a booking on this platform (history brought in, or the synthetic data of
    a demo/federation set-up): the encounter, its diagnoses (the first one primary) and the care relation, in one
    transaction. Not reachable from any page or API: callers are set-up commands."""
    with transaction.atomic():
        encounter = Encounter.objects.create(patient=patient, doctor=doctor, occurred_at=occurred_at,
                                             **{f: (notes.get(f) or "").strip() for f in NOTE_FIELDS})
        _write_diagnoses(encounter, diagnoses)
        care_contact_record(patient_id=patient.pk, doctor_id=doctor.pk, at=occurred_at)
    return encounter
