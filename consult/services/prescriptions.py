"""Prescriptions: writing them in an encounter (with the allergy check), cancelling, and the pharmacy's fills."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import ApplicationError, Conflict, NotFound
from accounts.models import User

from ..models import PrescriptionFill, PrescriptionItem, PrescriptionStatus


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
