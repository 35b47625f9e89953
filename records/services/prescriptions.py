"""Prescriptions: writing them in an encounter (with the allergy check), cancelling, and the pharmacy's fills."""
from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User
from accounts.services import audit_record, notify
from consult.models import Encounter
from core.errors import ApplicationError, Conflict, NotFound
from platform_site import inputs

from ..models import Frequency, Prescription, PrescriptionFill, PrescriptionItem, PrescriptionStatus, Route
from .rx_rules import Guardian, guardian_fields, prescription_rules_check, prescription_sign, valid_until_for


def _lock_item(item_id: int) -> PrescriptionItem:
    # The row lock serialises fills of one item: two pharmacy orders can never both take the last packs.
    item = PrescriptionItem.objects.select_for_update().select_related("prescription").filter(pk=item_id).first()
    if item is None:
        raise NotFound(_("Prescription item not found."))
    return item


@transaction.atomic
def prescription_item_fill(*, item_id: int, patient: User, quantity: int, reference: str) -> PrescriptionItem:
    """Record that the pharmacy filled `quantity` packs of an item for `reference` (e.g. an order line).

    Idempotent per reference: a second call with the same reference changes nothing and returns the item.
    Raises ApplicationError when the quantity is not positive or exceeds what remains, when the prescription
    was cancelled or has expired, or NotFound when the item belongs to another patient.
    """
    item = _lock_item(item_id)
    if item.prescription.patient_id != patient.pk:
        raise NotFound(_("Prescription item not found."))
    if PrescriptionFill.objects.filter(item=item, reference=reference).exists():
        return item
    if quantity <= 0:
        raise ApplicationError(_("The quantity must be at least 1."))
    prescription = item.prescription
    if prescription.status != PrescriptionStatus.ACTIVE:
        raise ApplicationError(_("This prescription was cancelled or completed and cannot be filled."), code="rx_inactive")
    if prescription.valid_until <= timezone.now():
        raise ApplicationError(_("This prescription has expired."), code="rx_expired")
    if prescription.review_status != "approved":
        raise ApplicationError(_("A pharmacist must approve this prescription before it can be filled."),
                               code="rx_not_reviewed")
    if quantity > item.quantity_remaining:
        raise ApplicationError(
            _("Only %(remaining)d of %(quantity)d prescribed remain to be filled.")
            % {"remaining": item.quantity_remaining, "quantity": item.quantity},
            code="rx_quantity",
        )
    PrescriptionFill.objects.create(item=item, reference=reference, quantity=quantity)
    item.quantity_filled += quantity
    item.save(update_fields=["quantity_filled"])
    return item


@transaction.atomic
def prescription_item_unfill(*, item_id: int, reference: str) -> None:
    """Give back the quantity of the fill `reference` (order cancelled or refunded). Idempotent: an unknown or
    already returned reference changes nothing."""
    item = _lock_item(item_id)
    fill = PrescriptionFill.objects.filter(item=item, reference=reference, unfilled_at__isnull=True).first()
    if fill is None:
        return
    fill.unfilled_at = timezone.now()
    fill.save(update_fields=["unfilled_at"])
    item.quantity_filled -= fill.quantity
    if item.quantity_filled < 0:  # pragma: no cover - the constraint and the fill ledger make this impossible
        raise Conflict(_("The fill ledger of this item is inconsistent."))
    item.save(update_fields=["quantity_filled"])


DEFAULT_VALID_DAYS = 1  # 《处方管理办法》: valid on the day it is written
MIN_OVERRIDE_REASON = 10


def _item_from(data: dict[str, Any], *, prescription: Prescription, drug_model: Any) -> PrescriptionItem:
    drug = data.get("drug")
    if not isinstance(drug, drug_model):
        drug = drug_model.objects.filter(pk=data.get("drug_id") or drug, is_active=True).first()
        if drug is None:
            raise ApplicationError(_("Unknown drug."), code="unknown_drug")
    unit = (data.get("dose_unit") or "").strip()
    if not unit:
        raise ApplicationError(_("Give the unit of the dose."), code="dose_unit")
    frequency = data.get("frequency") or ""
    times = [str(t) for t in (data.get("times_of_day") or [])]
    if frequency == Frequency.AS_NEEDED:
        times = []
    elif times:
        from .reminders import parse_times

        times = [t.strftime("%H:%M") for t in parse_times(times)]
    start_date = data.get("start_date") or timezone.localdate()
    try:
        # 9999-12-31 overflowed when the course's end was worked out (reminders.course_bounds): a 500.
        inputs.check_date(start_date)
    except inputs.InputError as exc:
        raise ApplicationError(exc.message, code="start_date") from None
    item = PrescriptionItem(
        prescription=prescription, drug=drug, dose=data.get("dose"), dose_unit=unit,
        route=data.get("route") or Route.ORAL, frequency=frequency,
        interval_hours=data.get("interval_hours") if frequency == Frequency.EVERY_N_HOURS else None,
        times_of_day=times, start_date=start_date,
        duration_days=data.get("duration_days"), quantity=data.get("quantity"),
        instructions=(data.get("instructions") or "").strip()[:300],
    )
    if frequency == Frequency.EVERY_N_HOURS and not item.interval_hours:
        raise ApplicationError(_("Give the number of hours between doses."), code="interval_hours")
    try:
        item.full_clean(exclude=["prescription"])
    except ValidationError as exc:
        messages = "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in exc.message_dict.items())
        raise ApplicationError(_("The item is not valid: %(errors)s") % {"errors": messages}, code="invalid_item") from None
    return item


def prescription_create(*, doctor: User, encounter_id: int, items: list[dict[str, Any]], valid_days: int = DEFAULT_VALID_DAYS,
                        note: str = "", chronic_long: bool = False, guardian: Guardian | None = None,
                        replaces: Prescription | None = None) -> Prescription:
    """Write a prescription in one of the doctor's own encounters.

    Each item is checked against the patient's active allergies: a drug whose active ingredient matches is
    refused (ApplicationError code "allergy_conflict", extra["conflicts"]) unless the item carries
    `allergy_override_reason` (at least 10 characters), which is kept with the item and the audit entry.
    Raises NotFound (and audits the denial) for another doctor's encounter; ApplicationError for an empty
    prescription, a dose without a unit or any other invalid field; RuleRefused (audited) for a rule of
    internet diagnosis (rx_rules.prescription_rules_check: validity > 3 days, more than 7 days' supply or 12
    weeks for a chronic long prescription, an online prescription without a confirmed follow-up or with a
    specially controlled drug, a child under 6 without a present guardian). Nothing but the audit entry of the
    refusal is written when it raises (checks run before the write transaction, so that entry survives).
    The prescription is signed (rx_rules.prescription_sign) and awaits the pharmacist's review.
    """
    from ..selectors.records import allergy_conflicts
    from .reminders import reminders_create_for_item

    prescriber_check(doctor)
    encounter = encounter_to_prescribe(doctor=doctor, encounter_id=encounter_id)
    if not items:
        raise ApplicationError(_("Add at least one medicine."), code="no_items")
    try:
        valid_days = int(valid_days)
    except (TypeError, ValueError):
        raise ApplicationError(_("Give the number of days the prescription is valid."), code="valid_days") from None
    patient = encounter.patient
    now = timezone.now()
    guardian = guardian or Guardian()
    prescription = Prescription(patient=patient, doctor=doctor, encounter=encounter, issued_at=now,
                                valid_until=valid_until_for(now, max(valid_days, 1)), note=note.strip(),
                                valid_days=valid_days, is_chronic_long=bool(chronic_long), replaces=replaces,
                                **guardian_fields(guardian))
    drug_model = apps.get_model("pharmacy", "Drug")
    built: list[PrescriptionItem] = []
    blocked: list[dict[str, Any]] = []
    parsed = [_item_from(data, prescription=prescription, drug_model=drug_model) for data in items]
    follow_up = prescription_rules_check(doctor=doctor, encounter=encounter, drugs=[i.drug for i in parsed],
                                         durations=[i.duration_days for i in parsed], valid_days=valid_days,
                                         chronic_long=bool(chronic_long), guardian=guardian)
    prescription.follow_up_code, prescription.is_online = follow_up, bool(follow_up)
    for index, (data, item) in enumerate(zip(items, parsed, strict=True)):
        conflicts = allergy_conflicts(patient=patient, drug=item.drug)
        if conflicts:
            reason = (data.get("allergy_override_reason") or "").strip()
            item.allergy_conflicts = [a.substance for a in conflicts]
            if len(reason) < MIN_OVERRIDE_REASON:
                blocked.append({"index": index, "drug": item.drug.name,
                                "allergies": [{"substance": a.substance, "reaction": a.reaction,
                                               "severity": a.severity} for a in conflicts]})
                continue
            item.allergy_override_reason = reason
            item.allergy_overridden_by = doctor
        built.append(item)
    if blocked:
        names = "; ".join(f"{b['drug']} ({', '.join(a['substance'] for a in b['allergies'])})" for b in blocked)
        audit_record(actor=doctor, action="create", object_type="prescription", object_id="", subject=patient,
                     outcome="blocked", detail={"allergy_conflicts": blocked})
        raise ApplicationError(
            _("Allergy conflict: %(items)s. Change the medicine or override with a written reason.") % {"items": names},
            code="allergy_conflict", extra={"conflicts": blocked},
        )
    with transaction.atomic():
        prescription.save()
        for item in built:
            item.prescription = prescription
            item.save()
            reminders_create_for_item(item=item, not_before=now)
        prescription_sign(prescription, built)
        audit_record(actor=doctor, action="create", object_type="prescription", object_id=prescription.pk,
                     subject=patient, detail={"items": len(built), "overrides": [
                         {"drug": i.drug_id, "allergies": i.allergy_conflicts, "reason": i.allergy_override_reason}
                         for i in built if i.allergy_override_reason]})
        notify(user=patient, kind="prescription", title=_("New prescription from %(doctor)s") % {"doctor": doctor},
               url=reverse("records:prescription", args=[prescription.pk]), dedupe_key=f"rx:{prescription.pk}")
    return prescription


def prescriber_check(actor: User) -> None:
    """Only doctors prescribe (RoleRefused, audited, for anyone else)."""
    policy.require(policy.can(actor, "prescription.write"), actor=actor, object_type="prescription",
                   action=policy.Action.WRITE, status=403, message=_("Only a doctor can prescribe."))


def encounter_to_prescribe(*, doctor: User, encounter_id: int) -> Encounter:
    """The encounter a doctor prescribes in: only its author may (a prescription is always written by the
    treating doctor). Anyone else is refused (audited) as not found."""
    encounter = Encounter.objects.select_related("patient").filter(pk=encounter_id).first()
    decision = (policy.author(doctor, author_id=encounter.doctor_id) if encounter is not None
                else policy.deny(policy.Reason.NO_SUCH_OBJECT, "author"))
    policy.require(decision, actor=doctor, object_type="encounter", object_id=encounter_id,
                   action=policy.Action.WRITE, subject=encounter.patient if encounter else None,
                   message=_("Encounter not found."))
    return encounter


def prescription_for_author(*, doctor: User, prescription_id: int) -> Prescription:
    """A prescription its author is about to change. A doctor who may read it but did not write it is refused
    with 403, anyone else as not found (both audited)."""
    return policy.obtain(Prescription.objects.select_related("patient"), prescription_id, actor=doctor,
                         object_type="prescription", action=policy.Action.WRITE,
                         decide=lambda rx: policy.author(doctor, author_id=rx.doctor_id),
                         readable=lambda rx: policy.patient_record(doctor, rx.patient_id),
                         message=_("Prescription not found."),
                         forbidden=_("Only the prescribing doctor can cancel a prescription."))


def prescription_cancel(*, doctor: User, prescription_id: int, reason: str) -> Prescription:
    """The prescribing doctor cancels a prescription: it can no longer be filled and its reminders stop.
    Raises AccessRefused (audited) for someone else's prescription, ApplicationError without a reason."""
    prescription_for_author(doctor=doctor, prescription_id=prescription_id)
    with transaction.atomic():
        return _prescription_cancel(doctor=doctor, prescription_id=prescription_id, reason=reason)


def _prescription_cancel(*, doctor: User, prescription_id: int, reason: str) -> Prescription:
    from .reminders import reminders_stop_for_prescription

    rx = Prescription.objects.select_for_update().get(pk=prescription_id, doctor=doctor)
    if not reason.strip():
        raise ApplicationError(_("Give a reason for cancelling."))
    if rx.status == PrescriptionStatus.CANCELLED:
        return rx
    rx.status, rx.cancelled_at, rx.cancel_reason = PrescriptionStatus.CANCELLED, timezone.now(), reason.strip()[:300]
    rx.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    reminders_stop_for_prescription(prescription_id=rx.pk)
    audit_record(actor=doctor, action="update", object_type="prescription", object_id=rx.pk, subject=rx.patient,
                 detail={"status": "cancelled", "reason": rx.cancel_reason})
    return rx
