"""Writes of the health record: allergies, the problem list, observations and documents. Every write is audited."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import Role, User
from accounts.services import audit_record
from consult.models import Encounter, ICD10Code
from core.errors import ApplicationError, Conflict
from platform_site.storage import OverLimit, private_delete, private_open, private_save

from ..models import (
    OBSERVATION_SPECS,
    Allergy,
    AllergyCategory,
    AllergySeverity,
    AllergyStatus,
    HealthDocument,
    HealthDocumentKind,
    Observation,
    ObservationKind,
    ObservationSource,
    Problem,
    ProblemStatus,
)


def _choice(value: str, choices: Any, label: str) -> str:
    if value not in choices.values:
        raise ApplicationError(_("“%(value)s” is not a valid %(field)s.") % {"value": value, "field": label})
    return value


@transaction.atomic
def allergy_add(*, actor: User, patient: User, substance: str, reaction: str = "",
                severity: str = AllergySeverity.MODERATE, category: str = AllergyCategory.MEDICATION,
                note: str = "") -> Allergy:
    """Record an allergy (by the patient or a clinician). Raises ApplicationError on an empty substance or an
    unknown severity/category, Conflict when the same active allergy is already recorded."""
    substance = " ".join(substance.strip().lower().split())
    if not substance:
        raise ApplicationError(_("Name the substance."))
    _choice(severity, AllergySeverity, _("severity"))
    _choice(category, AllergyCategory, _("category"))
    if Allergy.objects.filter(patient=patient, substance=substance, status=AllergyStatus.ACTIVE).exists():
        raise Conflict(_("An allergy to %(substance)s is already recorded.") % {"substance": substance})
    try:
        with transaction.atomic():
            allergy = Allergy.objects.create(patient=patient, substance=substance[:120], reaction=reaction.strip()[:200],
                                             severity=severity, category=category, note=note.strip()[:300],
                                             recorded_by=actor)
    except IntegrityError:  # a concurrent identical submit; the partial unique index decided
        raise Conflict(_("An allergy to %(substance)s is already recorded.") % {"substance": substance}) from None
    audit_record(actor=actor, action="create", object_type="allergy", object_id=allergy.pk, subject=patient,
                 detail={"substance": substance, "severity": severity})
    return allergy


def _entry_of_record(model: Any, *, actor: User, pk: int, patient: User, object_type: str, message: Any) -> None:
    """An entry (allergy, problem) named by id under a patient's record must be that patient's; any other id
    is refused (audited) as not found. Called before the write transaction."""
    if not model.objects.filter(pk=pk, patient=patient).exists():
        policy.refuse(actor=actor, object_type=object_type, object_id=pk, action=policy.Action.WRITE,
                      reason=policy.Reason.NO_SUCH_OBJECT, rule="patient_record", message=message)


def allergy_set_status(*, actor: User, allergy_id: int, patient: User, status: str) -> Allergy:
    """Change an allergy's status (active, inactive, entered in error). Raises AccessRefused (audited) for an
    allergy that is not this patient's, ApplicationError for an unknown status."""
    _entry_of_record(Allergy, actor=actor, pk=allergy_id, patient=patient, object_type="allergy",
                     message=_("Allergy not found."))
    _choice(status, AllergyStatus, _("status"))
    with transaction.atomic():
        return _allergy_set_status(actor=actor, allergy_id=allergy_id, patient=patient, status=status)


def _allergy_set_status(*, actor: User, allergy_id: int, patient: User, status: str) -> Allergy:
    allergy = Allergy.objects.select_for_update().get(pk=allergy_id, patient=patient)
    allergy.status = status
    allergy.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="update", object_type="allergy", object_id=allergy.pk, subject=patient,
                 detail={"status": status})
    return allergy


def problem_add(*, doctor: User, patient: User, code: str, onset_date: dt.date | None = None, note: str = "",
                encounter: Encounter | None = None) -> Problem:
    """Add an ICD-10 coded condition to the problem list. Raises RoleRefused (audited) for anyone but a doctor,
    ApplicationError for an unknown code, Conflict if it is already an active problem."""
    policy.require(policy.can(doctor, "problem.write"), actor=doctor, object_type="problem", object_id=patient.pk,
                   action=policy.Action.WRITE, subject=patient, status=403,
                   message=_("Only a doctor can change the problem list."))
    with transaction.atomic():
        return _problem_add(doctor=doctor, patient=patient, code=code, onset_date=onset_date, note=note,
                            encounter=encounter)


def _problem_add(*, doctor: User, patient: User, code: str, onset_date: dt.date | None, note: str,
                 encounter: Encounter | None) -> Problem:
    icd = ICD10Code.objects.filter(code=code.strip().upper()).first()
    if icd is None:
        raise ApplicationError(_("Unknown ICD-10 code “%(code)s”.") % {"code": code})
    if Problem.objects.filter(patient=patient, code=icd, status=ProblemStatus.ACTIVE).exists():
        raise Conflict(_("%(code)s is already on the active problem list.") % {"code": icd.code})
    problem = Problem.objects.create(patient=patient, code=icd, onset_date=onset_date, note=note.strip()[:300],
                                     encounter=encounter, recorded_by=doctor)
    audit_record(actor=doctor, action="create", object_type="problem", object_id=problem.pk, subject=patient,
                 detail={"code": icd.code})
    return problem


def problem_resolve(*, doctor: User, problem_id: int, patient: User, resolved_date: dt.date | None = None) -> Problem:
    """Mark a problem resolved. Raises RoleRefused / AccessRefused (audited)."""
    policy.require(policy.can(doctor, "problem.write"), actor=doctor, object_type="problem", object_id=problem_id,
                   action=policy.Action.WRITE, subject=patient, status=403,
                   message=_("Only a doctor can change the problem list."))
    _entry_of_record(Problem, actor=doctor, pk=problem_id, patient=patient, object_type="problem",
                     message=_("Problem not found."))
    with transaction.atomic():
        return _problem_resolve(doctor=doctor, problem_id=problem_id, patient=patient, resolved_date=resolved_date)


def _problem_resolve(*, doctor: User, problem_id: int, patient: User, resolved_date: dt.date | None) -> Problem:
    problem = Problem.objects.select_for_update().get(pk=problem_id, patient=patient)
    if problem.status == ProblemStatus.RESOLVED:
        return problem
    problem.status = ProblemStatus.RESOLVED
    problem.resolved_date = resolved_date or timezone.localdate()
    problem.save(update_fields=["status", "resolved_date", "updated_at"])
    audit_record(actor=doctor, action="update", object_type="problem", object_id=problem.pk, subject=patient,
                 detail={"status": "resolved"})
    return problem


def _decimal(value: Any, label: str) -> Decimal:
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ApplicationError(_("%(field)s must be a number.") % {"field": label}) from None
    if not d.is_finite():
        raise ApplicationError(_("%(field)s must be a number.") % {"field": label})
    return d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def observation_check(*, kind: str, value: Any, value2: Any = None, unit: str | None = None
                      ) -> tuple[Decimal, Decimal | None, bool]:
    """Validate a measurement against its plausible range; return (value, value2, out_of_range).

    Raises ApplicationError for an unknown kind, a wrong unit, a missing diastolic value, a value outside the
    plausible range (a typo such as a negative weight or BP 400/20) or a diastolic not below the systolic."""
    _choice(kind, ObservationKind, _("measurement"))
    spec = OBSERVATION_SPECS[kind]
    label = str(ObservationKind(kind).label)
    if unit not in (None, "", spec.unit, spec.unit_label):
        raise ApplicationError(_("%(field)s is recorded in %(unit)s.") % {"field": label, "unit": spec.unit_label})
    v = _decimal(value, label)
    lo, hi = spec.plausible
    if not lo <= v <= hi:
        raise ApplicationError(_("%(value)s %(unit)s is not a plausible %(field)s (%(lo)s–%(hi)s).") % {
            "value": v.normalize(), "unit": spec.unit_label, "field": label, "lo": lo, "hi": hi})
    flagged = not spec.normal[0] <= v <= spec.normal[1]
    v2 = None
    if kind == ObservationKind.BLOOD_PRESSURE:
        if value2 in (None, ""):
            raise ApplicationError(_("Give both systolic and diastolic pressure."))
        v2 = _decimal(value2, _("Diastolic pressure"))
        lo2, hi2 = spec.plausible2 or spec.plausible
        normal2 = spec.normal2 or spec.normal
        if not lo2 <= v2 <= hi2 or v2 >= v:
            raise ApplicationError(_("%(sys)s/%(dia)s mmHg is not a plausible blood pressure.") % {
                "sys": v.normalize(), "dia": v2.normalize()})
        flagged = flagged or not normal2[0] <= v2 <= normal2[1]
    elif value2 not in (None, ""):
        raise ApplicationError(_("Only blood pressure has a second value."))
    return v, v2, flagged


@transaction.atomic
def observation_record(*, actor: User, patient: User, kind: str, value: Any, value2: Any = None,
                       unit: str | None = None, effective_at: dt.datetime | None = None, note: str = "",
                       encounter: Encounter | None = None) -> Observation:
    """Record a measurement (a patient's own, or a clinician's). Out-of-range values are kept and flagged;
    implausible ones are refused (see observation_check). A weight with a known height also records the BMI."""
    v, v2, flagged = observation_check(kind=kind, value=value, value2=value2, unit=unit)
    now = timezone.now()
    effective_at = effective_at or now
    if effective_at > now + dt.timedelta(minutes=5):
        raise ApplicationError(_("A measurement cannot be in the future."))
    source = ObservationSource.PATIENT if actor.role == Role.PATIENT else ObservationSource.CLINICIAN
    obs = Observation.objects.create(patient=patient, kind=kind, value=v, value2=v2, unit=OBSERVATION_SPECS[kind].unit,
                                     effective_at=effective_at, source=source, is_out_of_range=flagged,
                                     note=note.strip()[:300], encounter=encounter, recorded_by=actor)
    audit_record(actor=actor, action="create", object_type="observation", object_id=obs.pk, subject=patient,
                 detail={"kind": kind})
    if kind in (ObservationKind.WEIGHT, ObservationKind.HEIGHT):
        _bmi_from(actor=actor, patient=patient, trigger=obs)
    return obs


def _bmi_from(*, actor: User, patient: User, trigger: Observation) -> Observation | None:
    other_kind = ObservationKind.HEIGHT if trigger.kind == ObservationKind.WEIGHT else ObservationKind.WEIGHT
    other = Observation.objects.filter(patient=patient, kind=other_kind).order_by("-effective_at").first()
    if other is None:
        return None
    weight, height = (trigger, other) if trigger.kind == ObservationKind.WEIGHT else (other, trigger)
    metres = height.value / 100
    bmi = (weight.value / (metres * metres)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    try:
        v, _v2, flagged = observation_check(kind=ObservationKind.BMI, value=bmi)
    except ApplicationError:
        return None  # an odd weight/height pair: keep both, compute nothing
    obs = Observation.objects.create(patient=patient, kind=ObservationKind.BMI, value=v, unit="kg/m2",
                                     effective_at=trigger.effective_at, source=trigger.source,
                                     is_out_of_range=flagged, note=_("calculated"), encounter=trigger.encounter,
                                     recorded_by=actor)
    return obs


ALLOWED_DOCUMENT_TYPES = {b"%PDF": "application/pdf", b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg"}
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


def _sniff(head: bytes) -> str | None:
    for magic, ctype in ALLOWED_DOCUMENT_TYPES.items():
        if head.startswith(magic):
            return ctype
    return None


@transaction.atomic
def document_upload(*, actor: User, patient: User, title: str, kind: str, uploaded: Any) -> HealthDocument:
    """Store a PDF or image in private storage. Raises ApplicationError for another type or a file over 10 MB."""
    _choice(kind, HealthDocumentKind, _("kind"))
    if not title.strip():
        raise ApplicationError(_("Give the document a title."))
    size = getattr(uploaded, "size", 0) or 0
    if size <= 0 or size > MAX_DOCUMENT_BYTES:
        raise ApplicationError(_("The file must be between 1 byte and 10 MB."))
    uploaded.seek(0)
    ctype = _sniff(uploaded.read(8))
    uploaded.seek(0)
    if ctype is None:
        raise ApplicationError(_("Only PDF, PNG and JPEG files are accepted."))
    suffix = {"application/pdf": ".pdf", "image/png": ".png"}.get(ctype, ".jpg")
    # The private store (platform_site.storage): a directory by default, S3 in production.
    try:
        relative, size = private_save(f"records/{patient.pk}/{uuid.uuid4().hex}{suffix}", uploaded.chunks(),
                                      limit=MAX_DOCUMENT_BYTES)
    except OverLimit:
        raise ApplicationError(_("The file must be between 1 byte and 10 MB.")) from None
    try:
        doc = HealthDocument.objects.create(patient=patient, title=title.strip()[:200], kind=kind, path=relative,
                                            original_name=Path(getattr(uploaded, "name", "file")).name[:200],
                                            content_type=ctype, size=size, uploaded_by=actor)
        audit_record(actor=actor, action="create", object_type="health_document", object_id=doc.pk,
                     subject=patient)
    except Exception:
        private_delete(relative)   # no row, no file
        raise
    return doc


def document_open(doc: HealthDocument) -> IO[bytes] | None:
    """The document's stored file opened for reading (None when it is missing); the caller checked access."""
    return private_open(doc.path)
