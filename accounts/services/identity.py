"""Real-name identity (实名制) and a doctor's credentials for online practice.

What the platform can check itself: the form of the document number, the GB 11643 check character and birth
date of a citizen ID number, the form of a passport number, that one document belongs to one account. What it
cannot: that the number is really this person's (that needs the public-security identity service or a face
check at a counter, which a hospital connects in production) — so `method` says "self-declared".
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ApplicationError, Conflict

from .. import crypto, identity
from ..audit import audit_record
from ..context import current_request
from ..models import (
    AuditAction,
    DoctorCredential,
    DoctorProfile,
    IdentityDocument,
    IdentityVerification,
    Role,
    User,
)

MIN_PRACTICE_YEARS = 3

CITIZEN_ID_ERRORS = {
    "format": gettext_lazy("A citizen ID number has 17 digits and a last digit or X."),
    "province": gettext_lazy("The citizen ID number does not start with a province code."),
    "birth_date": gettext_lazy("The citizen ID number does not contain a valid date of birth."),
    "check_digit": gettext_lazy("The citizen ID number is not valid: its check digit does not match."),
}


def identity_number_check(*, document_type: str, number: str) -> identity.CitizenIdCheck:
    """Check a document number; raises ApplicationError (code "identity_number") naming what is wrong."""
    number = identity.normalise(number)
    if document_type == IdentityDocument.CITIZEN_ID:
        result = identity.citizen_id_check(number, today=timezone.localdate())
        if not result.valid:
            raise ApplicationError(str(CITIZEN_ID_ERRORS[result.reason]), code="identity_number",
                                   extra={"number": [str(CITIZEN_ID_ERRORS[result.reason])]})
        return result
    if document_type == IdentityDocument.PASSPORT:
        if not identity.passport_valid(number):
            raise ApplicationError(_("A passport number has 5 to 9 letters and digits."), code="identity_number",
                                   extra={"number": [_("A passport number has 5 to 9 letters and digits.")]})
        return identity.CitizenIdCheck(True)
    raise ApplicationError(_("Choose a resident identity card or a passport."), code="identity_document")


def identity_verify(*, actor: User, user: User, legal_name: str, document_type: str, number: str,
                    nationality: str = "") -> IdentityVerification:
    """Record (or replace) a person's real-name identity. The caller has checked that `actor` may (themself,
    a family member they act for, an administrator). Raises ApplicationError (no name, a bad number, a
    passport without nationality), Conflict (the document is already another account's)."""
    legal_name = " ".join(str(legal_name or "").split())[:150]
    if not legal_name:
        raise ApplicationError(_("Give the name as written on the document."), code="legal_name")
    number = identity.normalise(number)
    result = identity_number_check(document_type=document_type, number=number)
    nationality = " ".join(str(nationality or "").split())[:64]
    if document_type == IdentityDocument.PASSPORT and not nationality:
        raise ApplicationError(_("Give the nationality of the passport."), code="nationality")
    if document_type == IdentityDocument.CITIZEN_ID:
        nationality = "CN"
    key = crypto.digest(f"{document_type}:{number}", purpose="identity")
    try:
        with transaction.atomic():
            if IdentityVerification.objects.filter(number_digest=key).exclude(user=user).exists():
                raise Conflict(_("This document is already registered to another account."), code="identity_taken")
            record, _created = IdentityVerification.objects.update_or_create(user=user, defaults={
                "legal_name": legal_name, "document_type": document_type, "number": number,
                "number_digest": key, "number_masked": identity.mask(number), "nationality": nationality,
                "birth_date": result.birth_date, "verified_at": timezone.now(), "recorded_by": actor})
            if result.birth_date:
                _fill_birth_date(user, result.birth_date)
    except IntegrityError:  # the same document registered concurrently: the unique digest decided
        raise Conflict(_("This document is already registered to another account."), code="identity_taken") from None
    audit_record(actor=actor, action=AuditAction.UPDATE, object_type="identity", object_id=record.pk, subject=user,
                 detail={"document_type": document_type, "number": record.number_masked})
    return record


def _fill_birth_date(user: User, born: dt.date) -> None:
    profile = getattr(user, "patient_profile", None)
    if profile is not None and profile.date_of_birth is None:
        profile.date_of_birth = born
        profile.save(update_fields=["date_of_birth"])


def identity_of(user: User) -> IdentityVerification | None:
    return IdentityVerification.objects.filter(user=user).first()


@transaction.atomic
def doctor_credential_record(*, actor: User, doctor: User, institution: str, institution_consent_at: dt.date | None,
                             independent_practice_since: dt.date | None, consent_reference: str = "",
                             ) -> DoctorCredential:
    """An administrator records a doctor's registered institution, its consent and the start of independent
    practice. Raises ApplicationError for a non-doctor, an empty institution, a date in the future."""
    if doctor.role != Role.DOCTOR:
        raise ApplicationError(_("Only doctors have credentials for online practice."), code="not_doctor")
    institution = " ".join(str(institution or "").split())[:200]
    if not institution:
        raise ApplicationError(_("Name the doctor's registered institution."), code="institution")
    today = timezone.localdate()
    for day in (institution_consent_at, independent_practice_since):
        if day is not None and day > today:
            raise ApplicationError(_("A date cannot be in the future."), code="date")
    credential, _created = DoctorCredential.objects.update_or_create(doctor=doctor, defaults={
        "institution": institution, "institution_consent_at": institution_consent_at,
        "institution_consent_reference": str(consent_reference or "")[:100],
        "independent_practice_since": independent_practice_since, "recorded_by": actor,
        "recorded_at": timezone.now()})
    audit_record(actor=actor, action=AuditAction.UPDATE, object_type="doctor_credential", object_id=credential.pk,
                 subject=doctor, detail={"institution": institution})
    return credential


@dataclass(frozen=True)
class Gap:
    code: str
    message: str


def years_between(start: dt.date, end: dt.date) -> int:
    return identity.age_on(start, end)


def online_practice_gaps(doctor: User, *, today: dt.date | None = None) -> list[Gap]:
    """What a doctor still lacks to take online consultations (empty when nothing): real-name identity, the
    practice-licence number, the registered institution's consent, ≥ 3 years of independent practice."""
    today = today or timezone.localdate()
    gaps: list[Gap] = []
    if not IdentityVerification.objects.filter(user=doctor).exists():
        gaps.append(Gap("identity", _("real-name identity is not verified")))
    profile = DoctorProfile.objects.filter(user=doctor).first()
    if profile is None or not (profile.licence_number or "").strip():
        gaps.append(Gap("licence", _("no practice-licence number is recorded")))
    credential = DoctorCredential.objects.filter(doctor=doctor).first()
    if credential is None or credential.institution_consent_at is None:
        gaps.append(Gap("institution_consent", _("the registered institution's consent is not recorded")))
    since = credential.independent_practice_since if credential else None
    if since is None or years_between(since, today) < MIN_PRACTICE_YEARS:
        gaps.append(Gap("practice_years", _("fewer than %(years)d years of independent practice are recorded")
                        % {"years": MIN_PRACTICE_YEARS}))
    return gaps


def session_mfa_missing() -> bool:
    """True inside a web request whose session did not pass two-factor authentication. Outside a request (a
    task, the shell, a service called by a test) there is no session to judge: False."""
    check = current_request.get().mfa
    return check is not None and not check()
