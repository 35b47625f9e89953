"""Cart writes: add a drug, change its quantity, remove it. Prices are never stored here: the order total is
computed from the catalogue at checkout."""
from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User
from core.errors import ApplicationError, NotFound
from records.selectors.prescriptions import prescription_item_owner, prescription_items_fillable

from ..models import Cart, CartItem, Drug
from .common import clean_quantity, require_patient
from .compliance import cart_add_rules


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


def _own_prescription_item(*, patient: User, prescription_item_id: Any) -> None:
    """A prescription item named in a cart request must be the patient's own: someone else's (or an id that
    names nothing) is refused (audited) as not found — before any other check, so nothing about it leaks."""
    if prescription_item_id in (None, ""):
        return
    raw = str(prescription_item_id)
    owner_id = prescription_item_owner(item_id=int(raw)) if raw.isdigit() else None
    decision = (policy.owner(patient, owner_id=owner_id, rule="prescription_owner") if owner_id is not None
                else policy.deny(policy.Reason.NO_SUCH_OBJECT, "prescription_owner"))
    policy.require(decision, actor=patient, object_type="prescription_item", object_id=raw[:64],
                   action=policy.Action.WRITE, message=_("Prescription item not found."))


def cart_item_add(*, patient: User, drug_id: Any, quantity: Any = 1, prescription_item_id: Any = None) -> CartItem:
    """Put a drug in the patient's cart (adds to the quantity already there). Raises RoleRefused/AccessRefused
    (audited: not a patient, someone else's prescription), ApplicationError for a bad quantity, too little
    stock, a missing/invalid prescription; NotFound for an unknown drug."""
    require_patient(patient)
    _own_prescription_item(patient=patient, prescription_item_id=prescription_item_id)
    cart_add_rules(patient=patient, drug_id=drug_id, prescription_item_id=prescription_item_id)  # issue 20
    with transaction.atomic():
        return _add(patient=patient, drug_id=drug_id, quantity=quantity, prescription_item_id=prescription_item_id)


def _add(*, patient: User, drug_id: Any, quantity: Any, prescription_item_id: Any) -> CartItem:
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


def _own_line(*, patient: User, item_id: Any) -> None:
    """A cart line named by id must be in the patient's own cart; anyone else's is refused (audited)."""
    policy.obtain(CartItem.objects.select_related("cart"), item_id if str(item_id).isdigit() else -1,
                  actor=patient, object_type="pharmacy.cart_item", action=policy.Action.WRITE, subject=None,
                  decide=lambda line: policy.owner(patient, owner_id=line.cart.patient_id, rule="cart_owner"),
                  message=_("This item is not in your cart."))


def cart_add_check(*, patient: User, prescription_item_id: Any) -> None:
    """Before the rest of an "add to cart" request is read: a patient, and a prescription item of their own."""
    require_patient(patient)
    _own_prescription_item(patient=patient, prescription_item_id=prescription_item_id)


def cart_line_check(*, patient: User, item_id: Any) -> None:
    """Refuse (audited) a cart line that is not in this patient's cart, before anything else is looked at."""
    require_patient(patient)
    _own_line(patient=patient, item_id=item_id)


def cart_item_update(*, patient: User, item_id: Any, quantity: Any) -> CartItem:
    """Set a line's quantity. Raises AccessRefused (audited) for a line that is not in this patient's cart."""
    require_patient(patient)
    _own_line(patient=patient, item_id=item_id)
    with transaction.atomic():
        return _update(patient=patient, item_id=item_id, quantity=quantity)


def _update(*, patient: User, item_id: Any, quantity: Any) -> CartItem:
    quantity = clean_quantity(quantity)
    cart = _cart_for(patient, lock=True)
    line = cart.items.select_related("drug").filter(pk=item_id).first() if str(item_id).isdigit() else None
    if line is None:
        raise NotFound(_("This item is not in your cart."))
    _check_line(patient=patient, drug=line.drug, quantity=quantity, prescription_item_id=line.prescription_item_id)
    line.quantity = quantity
    line.save(update_fields=["quantity"])
    return line


def cart_item_remove(*, patient: User, item_id: Any) -> None:
    """Remove a line. Raises AccessRefused (audited) for a line that is not in this patient's cart."""
    require_patient(patient)
    _own_line(patient=patient, item_id=item_id)
    with transaction.atomic():
        _remove(patient=patient, item_id=item_id)


def _remove(*, patient: User, item_id: Any) -> None:
    cart = _cart_for(patient, lock=True)
    deleted, _rows = cart.items.filter(pk=item_id).delete() if str(item_id).isdigit() else (0, {})
    if not deleted:
        raise NotFound(_("This item is not in your cart."))


@transaction.atomic
def cart_clear(*, patient: User) -> None:
    CartItem.objects.filter(cart__patient=patient).delete()
