"""Pharmacist review of prescriptions (《互联网诊疗监管细则（试行）》: an online prescription carries the doctor's
electronic signature and takes effect only after a pharmacist's review; see docs/compliance.md), and the doctor's
correction of a rejected prescription (a new signed prescription that replaces it; a signed one never changes).
"""
from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User
from accounts.regulation import refuse_rule
from accounts.services import audit_record, notify
from core.errors import ApplicationError, Conflict

from ..models import Prescription, PrescriptionReview, PrescriptionStatus, ReviewStatus
from .rx_rules import Guardian, prescription_verify

MIN_REJECT_REASON = 5


def _in_queue(rx: Prescription) -> bool:
    return rx.status == PrescriptionStatus.ACTIVE and rx.review_status == ReviewStatus.PENDING


def prescription_review_queue(*, pharmacist: User) -> QuerySet[Prescription]:
    """Prescriptions awaiting review, oldest first (pharmacists only; anyone else is refused, audited)."""
    policy.require(policy.can(pharmacist, "pharmacy.review"), actor=pharmacist, object_type="prescription",
                   status=403, message=_("Only pharmacists review prescriptions."))
    return (Prescription.objects.filter(status=PrescriptionStatus.ACTIVE, review_status=ReviewStatus.PENDING)
            .select_related("patient", "doctor").prefetch_related("items__drug").order_by("issued_at"))


def prescription_for_review(*, pharmacist: User, prescription_id: Any) -> Prescription:
    """A prescription in the review queue; any other (or a non-pharmacist) is refused as not found, audited."""
    return policy.obtain(Prescription.objects.select_related("patient", "doctor"), prescription_id,
                         actor=pharmacist, object_type="prescription",
                         decide=lambda rx: policy.pharmacist_order(pharmacist, in_review_queue=_in_queue(rx)),
                         message=_("Prescription not found."))


def prescription_review(*, pharmacist: User, prescription_id: Any, decision: str, reason: str = ""
                        ) -> PrescriptionReview:
    """Approve, or reject with a reason that goes back to the doctor. Approving a prescription whose signature
    no longer verifies is refused (RuleRefused `signature_broken`, audited). Raises AccessRefused (not in the
    queue), ApplicationError (unknown decision, a rejection without a reason), Conflict (reviewed meanwhile)."""
    rx = prescription_for_review(pharmacist=pharmacist, prescription_id=prescription_id)
    reason = (reason or "").strip()
    if decision not in (ReviewStatus.APPROVED, ReviewStatus.REJECTED):
        raise ApplicationError(_("Approve or reject."), code="review_decision")
    if decision == ReviewStatus.REJECTED and len(reason) < MIN_REJECT_REASON:
        raise ApplicationError(_("Give the doctor a reason for the rejection."), code="review_reason",
                               extra={"reason": [_("Required.")]})
    verification = prescription_verify(rx)
    if decision == ReviewStatus.APPROVED and not verification.valid:
        refuse_rule(actor=pharmacist, rule="prescription_signature", reason="signature_broken",
                    object_type="prescription", object_id=rx.pk, subject=rx.patient,
                    message=verification.message)
    with transaction.atomic():
        # The row lock closes the race of two pharmacists reviewing the same prescription at once.
        rx = Prescription.objects.select_for_update().get(pk=rx.pk)
        if not _in_queue(rx):
            raise Conflict(_("This prescription was reviewed meanwhile."), code="reviewed")
        review = PrescriptionReview.objects.create(prescription=rx, pharmacist=pharmacist, decision=decision,
                                                   reason=reason[:2000], content_hash=rx.content_hash)
        rx.review_status = decision
        rx.save(update_fields=["review_status"])
        audit_record(actor=pharmacist, action="update", object_type="prescription", object_id=rx.pk,
                     subject=rx.patient, detail={"review": decision, "reason": reason[:300]})
        url = reverse("records:prescription", args=[rx.pk])
        if decision == ReviewStatus.REJECTED:
            with translation.override(rx.doctor.preferred_language or "en"):
                notify(user=rx.doctor, kind="prescription", url=url, dedupe_key=f"rx-review:{review.pk}",
                       title=_("A pharmacist rejected prescription #%(id)s") % {"id": rx.pk}, body=reason[:500])
        else:
            with translation.override(rx.patient.preferred_language or "en"):
                notify(user=rx.patient, kind="prescription", url=url, dedupe_key=f"rx-review:{review.pk}",
                       title=_("Your prescription #%(id)s was approved by the pharmacist") % {"id": rx.pk},
                       body=_("You can now order and pay for the medicines."))
    return review


def prescription_correct(*, doctor: User, prescription_id: Any, items: list[dict[str, Any]], valid_days: int = 1,
                         note: str = "", chronic_long: bool = False, guardian: Guardian | None = None
                         ) -> Prescription:
    """The prescribing doctor answers a rejection: a new signed prescription replaces the rejected one (which
    is cancelled), and goes back to the pharmacist. Raises AccessRefused (not the author, audited), Conflict
    (not rejected), and whatever prescription_create raises."""
    from .prescriptions import prescription_create, prescription_for_author

    old = prescription_for_author(doctor=doctor, prescription_id=prescription_id)
    if old.review_status != ReviewStatus.REJECTED or old.status != PrescriptionStatus.ACTIVE:
        raise Conflict(_("Only a prescription the pharmacist rejected can be corrected."), code="not_rejected")
    # prescription_create runs its rule checks (and their audit rows) before its own transaction, so it is not
    # wrapped in one here; the unique `replaces` link makes a second correction of the same one fail.
    new = prescription_create(doctor=doctor, encounter_id=old.encounter_id, items=items, valid_days=valid_days,
                              note=note, chronic_long=chronic_long, guardian=guardian, replaces=old)
    with transaction.atomic():
        from .reminders import reminders_stop_for_prescription

        Prescription.objects.filter(pk=old.pk).update(status=PrescriptionStatus.CANCELLED, cancelled_at=timezone.now(),
                                                      cancel_reason=f"corrected as #{new.pk}")
        reminders_stop_for_prescription(prescription_id=old.pk)
        audit_record(actor=doctor, action="update", object_type="prescription", object_id=old.pk,
                     subject=old.patient, detail={"status": "cancelled", "corrected_as": new.pk})
    return new
