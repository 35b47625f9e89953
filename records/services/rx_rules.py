"""The rules a prescription obeys (docs/compliance.md): online prescriptions only for a confirmed follow-up and
never for specially controlled drugs (《互联网诊疗管理办法（试行）》第十六条、第十九条), a guardian for a child under
6 (第十九条), validity and quantity limits (《处方管理办法》(2007), the articles on validity and quantity — wording
verified, article numbers 第十八条/第十九条 not seen in a text), and the electronic signature over the content hash.

Every refusal goes through `accounts.regulation.refuse_rule` (one audit row, RuleRefused with a message in the
user's language), before the caller's write transaction.

Signature choice: HMAC-SHA256, keyed per doctor: key = HMAC-SHA256(PRESCRIPTION_SIGNING_KEY, "rx-doctor:<id>")
(the setting defaults to a key derived from SECRET_KEY), over the SHA-256 of a canonical JSON of everything a
pharmacist or patient relies on (patient, doctor, encounter, dates, validity, flags, guardian, each item's
drug, dose, route, frequency, times, start, duration, quantity, instructions). Any later change of those
columns — through the ORM, the admin or SQL — changes the hash and verification fails; the page shows it. The
key is the platform's, held server-side, and signs only inside `prescription_create`, which only the treating
doctor reaches in their own session: it is the "equivalent" of a doctor's key the issue allows, not a
CA-certified signature under 《电子签名法》 (that needs a third-party certificate authority, not built).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.identity import age_on, citizen_id_check, mask, passport_valid
from accounts.models import User
from accounts.regulation import refuse_rule
from core.errors import ApplicationError

from ..models import Prescription, PrescriptionItem

KEY_VERSION = "hmac-v1"
MAX_VALID_DAYS = 3          # 《处方管理办法》: valid on the day written; the doctor may extend, at most 3 days
NORMAL_MAX_DAYS = 7         # 《处方管理办法》: normally at most 7 days' supply
CHRONIC_MAX_DAYS = 12 * 7   # 《长期处方管理规范（试行）》(2021): a chronic-disease long prescription, at most 12 weeks
GUARDIAN_AGE = 6            # 《互联网诊疗管理办法（试行）》第十九条: children under 6


# --- signature -------------------------------------------------------------------------------------------

def _base_key() -> bytes:
    configured = getattr(settings, "PRESCRIPTION_SIGNING_KEY", "") or ""
    if configured:
        return configured.encode()
    return hashlib.sha256(b"prescription-signing:" + settings.SECRET_KEY.encode()).digest()


def doctor_key(doctor_id: int) -> bytes:
    """The doctor's signing key, derived from the platform key (never stored, never leaves the server)."""
    return hmac.new(_base_key(), f"rx-doctor:{doctor_id}".encode(), hashlib.sha256).digest()


def _canonical(rx: Prescription, items: list[PrescriptionItem]) -> dict[str, Any]:
    return {
        "id": rx.pk, "patient": rx.patient_id, "doctor": rx.doctor_id, "encounter": rx.encounter_id,
        "issued_at": rx.issued_at.astimezone(dt.UTC).isoformat(),
        "valid_until": rx.valid_until.astimezone(dt.UTC).isoformat(),
        "valid_days": rx.valid_days, "chronic_long": rx.is_chronic_long, "online": rx.is_online,
        "follow_up_of": rx.follow_up_code, "note": rx.note, "replaces": rx.replaces_id,
        "guardian": [rx.guardian_name, rx.guardian_relation, rx.guardian_id_number, rx.guardian_present],
        "items": [[i.drug_id, str(i.dose.normalize()) if hasattr(i.dose, "normalize") else str(i.dose),
                   i.dose_unit, i.route, i.frequency, i.interval_hours, list(i.times_of_day or []),
                   str(i.start_date), i.duration_days, i.quantity, i.instructions] for i in items],
    }


def content_hash(rx: Prescription, items: list[PrescriptionItem] | None = None) -> str:
    if items is None:
        items = list(PrescriptionItem.objects.filter(prescription=rx).order_by("id"))
    payload = json.dumps(_canonical(rx, items), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def signature_of(*, doctor_id: int, digest: str) -> str:
    return hmac.new(doctor_key(doctor_id), digest.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Verification:
    valid: bool
    reason: str  # "" when valid, else "unsigned", "content_changed", "bad_signature"

    @property
    def message(self) -> str:
        return {
            "": _("Signature valid: the prescription is unchanged since the doctor signed it."),
            "unsigned": _("This prescription is not signed."),
            "content_changed": _("Signature broken: the prescription was changed after the doctor signed it."),
            "bad_signature": _("Signature broken: it was not made with the prescribing doctor's key."),
        }[self.reason]


def prescription_verify(rx: Prescription) -> Verification:
    """Recompute the content hash from the rows as they are now and check the doctor's signature over it."""
    if not rx.signature:
        return Verification(False, "unsigned")
    if not hmac.compare_digest(content_hash(rx), rx.content_hash):
        return Verification(False, "content_changed")
    expected = signature_of(doctor_id=rx.doctor_id, digest=rx.content_hash)
    if not hmac.compare_digest(expected, rx.signature):
        return Verification(False, "bad_signature")
    return Verification(True, "")


def prescription_sign(rx: Prescription, items: list[PrescriptionItem]) -> None:
    """Sign a just-saved prescription (inside the writing transaction)."""
    rx.content_hash = content_hash(rx, items)
    rx.signature = signature_of(doctor_id=rx.doctor_id, digest=rx.content_hash)
    rx.signature_key_version, rx.signed_at = KEY_VERSION, timezone.now()
    rx.save(update_fields=["content_hash", "signature", "signature_key_version", "signed_at"])


# --- validity and quantity -------------------------------------------------------------------------------

def valid_until_for(issued_at: dt.datetime, valid_days: int) -> dt.datetime:
    """The end of the day written (local time), plus the extra days the doctor set."""
    day = timezone.localdate(issued_at) + dt.timedelta(days=valid_days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _refuse(doctor: User, patient: User, reason: str, message: str, **extra: Any) -> None:
    refuse_rule(actor=doctor, rule="prescription_rules", reason=reason, object_type="prescription",
                subject=patient, message=message, extra=extra)


def patient_age(patient: User, today: dt.date | None = None) -> int | None:
    today = today or timezone.localdate()
    profile = getattr(patient, "patient_profile", None)
    born = getattr(profile, "date_of_birth", None)
    if born is None:
        identity = getattr(patient, "identity", None)
        born = getattr(identity, "birth_date", None)
    return age_on(born, today) if born else None


@dataclass
class Guardian:
    name: str = ""
    relation: str = ""
    id_number: str = ""
    present: bool = False


def prescription_rules_check(*, doctor: User, encounter: Any, drugs: list[Any], durations: list[int],
                             valid_days: int, chronic_long: bool, guardian: Guardian) -> str:
    """Check every rule before anything is written; returns the confirmed follow-up code ("" in person).
    Raises RuleRefused (audited) naming the rule."""
    from consult.services.followup import followup_confirmed_code

    patient = encounter.patient
    if not 1 <= int(valid_days) <= MAX_VALID_DAYS:
        _refuse(doctor, patient, "validity_too_long",
                _("A prescription is valid on the day it is written; you may extend it to at most %(days)d days.")
                % {"days": MAX_VALID_DAYS}, max_days=MAX_VALID_DAYS)
    limit = CHRONIC_MAX_DAYS if chronic_long else NORMAL_MAX_DAYS
    too_long = [d for d in durations if int(d or 0) > limit]
    if too_long:
        message = (_("A long prescription for a chronic disease covers at most %(days)d days (12 weeks).")
                   if chronic_long else
                   _("A prescription covers at most %(days)d days; mark it as a long prescription for a chronic "
                     "disease to give up to 12 weeks.")) % {"days": limit}
        _refuse(doctor, patient, "quantity_too_long", message, max_days=limit)
    follow_up = followup_confirmed_code(encounter=encounter)
    is_online = follow_up != ""
    if follow_up is None:
        _refuse(doctor, patient, "follow_up_not_confirmed",
                _("Confirm which in-person diagnosis this online consultation follows up before prescribing."))
    controlled = [d for d in drugs if getattr(d, "control_class", "")]
    if is_online and controlled:
        _refuse(doctor, patient, "controlled_drug_online",
                _("%(drugs)s: narcotic, psychotropic, medical toxic, radioactive and other specially controlled "
                  "drugs cannot be prescribed online.") % {"drugs": ", ".join(d.name for d in controlled)},
                drugs=[d.pk for d in controlled])
    age = patient_age(patient)
    if age is not None and age < GUARDIAN_AGE and not (guardian.name.strip() and guardian.id_number.strip()
                                                       and guardian.present):
        _refuse(doctor, patient, "child_needs_guardian",
                _("The patient is under 6: record the guardian's name and ID number and confirm the guardian is "
                  "present."))
    number = guardian.id_number.strip()
    if number and not (citizen_id_check(number).valid or passport_valid(number)):
        # GB 11643 check character (or a passport number): a mistyped guardian's number is caught here.
        raise ApplicationError(_("The guardian's ID number is not a valid citizen ID or passport number."),
                               code="guardian_id_number")
    return follow_up or ""


def guardian_fields(guardian: Guardian) -> dict[str, Any]:
    number = guardian.id_number.strip().upper()
    return {"guardian_name": guardian.name.strip()[:150], "guardian_relation": guardian.relation.strip()[:50],
            "guardian_id_number": number, "guardian_id_masked": mask(number) if number else "",
            "guardian_present": bool(guardian.present)}
