"""Helpers shared by the pharmacy services: input checks, the access checks (through the policy), the stock
ledger write."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import F
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import Role, User
from core.errors import ApplicationError, Conflict

from ..models import IN_PHARMACY_QUEUE, Drug, Order, StockMovement

MAX_QUANTITY = 99  # packs per line; larger quantities go through a pharmacist, not the web shop


class OutOfStock(Conflict):
    code = "out_of_stock"


def clean_quantity(value: Any, *, maximum: int = MAX_QUANTITY) -> int:
    """A whole number of packs from 1 to `maximum`; anything else (negative, 0, 1.5, "abc", True) is refused."""
    if isinstance(value, bool):
        raise ApplicationError(_("The quantity must be a whole number."), code="quantity")
    if isinstance(value, float | Decimal):
        if value != int(value):
            raise ApplicationError(_("The quantity must be a whole number."), code="quantity")
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        if not text.lstrip("-").isdigit():
            raise ApplicationError(_("The quantity must be a whole number."), code="quantity")
        value = int(text)
    if not isinstance(value, int):
        raise ApplicationError(_("The quantity must be a whole number."), code="quantity")
    if value < 1:
        raise ApplicationError(_("The quantity must be at least 1."), code="quantity")
    if value > maximum:
        raise ApplicationError(_("At most %(max)d packs per line.") % {"max": maximum}, code="quantity")
    return value


def require_staff(actor: User, *, action: str, object_type: str = "pharmacy.order", object_id: Any = "") -> None:
    """Pharmacists only (order review, dispensing, refunds); anyone else is refused (403, audited)."""
    policy.require(policy.can(actor, "pharmacy.review"), actor=actor, object_type=object_type,
                   object_id=str(object_id)[:64], action=action, status=403,
                   message=_("Only a pharmacist can do this."))


def require_stock_staff(actor: User, *, action: str, object_id: Any = "") -> None:
    """Pharmacists and administrators (stock and catalogue); anyone else is refused (403, audited)."""
    policy.require(policy.can(actor, "pharmacy.stock"), actor=actor, object_type="drug",
                   object_id=str(object_id)[:64], action=action, status=403,
                   message=_("Only a pharmacist can do this."))


def require_patient(actor: User) -> None:
    """Only patients shop; anyone else is refused (403, audited)."""
    policy.require(policy.can(actor, "pharmacy.shop"), actor=actor, object_type="pharmacy.cart",
                   action=policy.Action.WRITE, status=403, message=_("Only patients can order medicines."))


def order_for(*, actor: User, order_id: Any, action: str = policy.Action.READ) -> Order:
    """An order the actor may act on: the ordering patient, or a pharmacist while the order is in the pharmacy's
    queue. Anyone else (and an id that names nothing) is refused (audited) as not found. Called before the
    service's write transaction."""
    return policy.obtain(Order.objects.select_related("patient"), order_id if str(order_id).isdigit() else -1,
                         actor=actor, object_type="pharmacy.order", action=action,
                         decide=lambda order: order_decision(actor, order), message=_("Order not found."))


def order_decision(actor: User, order: Order) -> policy.Decision:
    if getattr(actor, "role", None) == Role.PHARMACIST:
        return policy.pharmacist_order(actor, in_review_queue=order.status in IN_PHARMACY_QUEUE)
    return policy.owner(actor, owner_id=order.patient_id, rule="order_owner")


def stock_take(*, drug: Drug, quantity: int, order: Order, actor: User | None) -> None:
    """Remove `quantity` packs for an order; raises OutOfStock when fewer are on hand.

    The caller has locked the drug row. The conditional UPDATE (... WHERE stock >= n) is the guard that
    closes the oversell race by itself: two checkouts that both read stock=1 cannot both decrement it,
    because the second UPDATE re-evaluates the WHERE against the committed row and matches nothing.
    """
    updated = Drug.objects.filter(pk=drug.pk, stock__gte=quantity).update(stock=F("stock") - quantity)
    if updated != 1:
        raise OutOfStock(
            _("Sorry, %(drug)s is out of stock (fewer than %(quantity)d left).")
            % {"drug": drug.name, "quantity": quantity}
        )
    StockMovement.objects.create(drug=drug, quantity=-quantity, kind="sale", order=order, actor=actor)


def stock_put_back(*, drug_id: int, quantity: int, kind: str, order: Order | None, actor: User | None,
                   note: str = "") -> None:
    """Add packs back (restock, cancelled order); the row update and the ledger row commit together."""
    Drug.objects.filter(pk=drug_id).update(stock=F("stock") + quantity)
    StockMovement.objects.create(drug_id=drug_id, quantity=quantity, kind=kind, order=order, actor=actor,
                                 note=note[:255])
