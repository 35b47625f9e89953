"""Cart writes: add a drug, change its quantity, remove it. Prices are never stored here: the order total is
computed from the catalogue at checkout."""
from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from accounts.errors import ApplicationError, NotFound
from accounts.models import User
from consult.selectors.prescriptions import prescription_items_fillable

from ..models import Cart, CartItem, Drug
from .common import atomic_service, clean_quantity, require_patient


def _cart_for(patient: User, *, lock: bool = False) -> Cart:
    cart, _created = Cart.objects.get_or_create(patient=patient)
    if lock:
        # Serialises edits of one cart (two tabs, a double click) with its checkout.
        cart = Cart.objects.select_for_update().get(pk=cart.pk)
    return cart


def _check_line(*, patient: User, drug: Drug, quantity: int, prescription_item_id: Any) -> int | None:
    """Check one cart line against the catalogue and, for prescription-only drugs, the prescription.
    Returns the prescription item id to store (None for OTC)."""
    if quantity > drug.stock:
        raise ApplicationError(
            _("Only %(stock)d of %(drug)s in stock.") % {"stock": drug.stock, "drug": drug.name}, code="stock")
    if not drug.is_prescription_only:
        return None
    if prescription_item_id in (None, ""):
        raise ApplicationError(
            _("%(drug)s is prescription-only: choose the prescription to fill.") % {"drug": drug.name},
            code="rx_required")
    try:
        item_id = int(prescription_item_id)
    except (TypeError, ValueError):
        raise ApplicationError(_("Prescription item not found."), code="rx_not_found") from None
    # Only this patient's active, unexpired items with something left are candidates: another patient's or
    # an expired prescription is simply not found here.
    item = prescription_items_fillable(patient=patient).filter(pk=item_id).first()
    if item is None:
        raise ApplicationError(
            _("No valid prescription of yours with quantity left matches this item (expired, used up or not "
              "yours)."), code="rx_not_found")
    if item.drug_id != drug.pk:
        raise ApplicationError(_("This prescription is for a different drug."), code="rx_drug")
    if quantity > item.quantity_remaining:
        raise ApplicationError(
            _("Your prescription allows %(remaining)d more pack(s) of %(drug)s.")
            % {"remaining": item.quantity_remaining, "drug": drug.name}, code="rx_quantity")
    return item.pk


@atomic_service
def cart_item_add(*, patient: User, drug_id: Any, quantity: Any = 1, prescription_item_id: Any = None) -> CartItem:
    """Put a drug in the patient's cart (adds to the quantity already there). Raises ApplicationError for a
    bad quantity, too little stock, a missing/invalid prescription; NotFound for an unknown drug."""
    require_patient(patient)
    quantity = clean_quantity(quantity)
    drug = Drug.objects.active().filter(pk=drug_id).first() if str(drug_id).isdigit() else None
    if drug is None:
        raise NotFound(_("Drug not found."))
    cart = _cart_for(patient, lock=True)
    line = cart.items.filter(drug=drug).first()
    new_quantity = clean_quantity(quantity + (line.quantity if line else 0))
    rx_item = prescription_item_id if prescription_item_id not in (None, "") else (
        line.prescription_item_id if line else None)
    rx_id = _check_line(patient=patient, drug=drug, quantity=new_quantity, prescription_item_id=rx_item)
    if line is None:
        return CartItem.objects.create(cart=cart, drug=drug, quantity=new_quantity, prescription_item_id=rx_id)
    line.quantity, line.prescription_item_id = new_quantity, rx_id
    line.save(update_fields=["quantity", "prescription_item_id"])
    return line


@atomic_service
def cart_item_update(*, patient: User, item_id: Any, quantity: Any) -> CartItem:
    """Set a line's quantity. Raises NotFound for a line that is not in this patient's cart."""
    require_patient(patient)
    quantity = clean_quantity(quantity)
    cart = _cart_for(patient, lock=True)
    line = cart.items.select_related("drug").filter(pk=item_id).first() if str(item_id).isdigit() else None
    if line is None:
        raise NotFound(_("This item is not in your cart."))
    _check_line(patient=patient, drug=line.drug, quantity=quantity, prescription_item_id=line.prescription_item_id)
    line.quantity = quantity
    line.save(update_fields=["quantity"])
    return line


@atomic_service
def cart_item_remove(*, patient: User, item_id: Any) -> None:
    require_patient(patient)
    cart = _cart_for(patient, lock=True)
    deleted, _rows = cart.items.filter(pk=item_id).delete() if str(item_id).isdigit() else (0, {})
    if not deleted:
        raise NotFound(_("This item is not in your cart."))


@atomic_service
def cart_clear(*, patient: User) -> None:
    CartItem.objects.filter(cart__patient=patient).delete()
