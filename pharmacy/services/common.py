"""Helpers shared by the pharmacy services: input checks, role checks, the stock ledger write."""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from accounts.errors import ApplicationError, Conflict, PermissionDeniedError
from accounts.models import Role, User
from accounts.services import audit_denied

from ..models import Drug, Order, StockMovement

P = ParamSpec("P")
R = TypeVar("R")

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


def denied(exc: ApplicationError, *, actor: User | None, object_type: str, object_id: Any, reason: str
           ) -> ApplicationError:
    """Mark a refusal to be audited; `atomic_service` writes the entry after the rollback (an entry written
    inside the failing transaction would be rolled back with it)."""
    exc.audit = {"actor": actor, "object_type": object_type, "object_id": str(object_id)[:50],  # type: ignore[attr-defined]
                 "reason": reason}
    return exc


def atomic_service(fn: Callable[P, R]) -> Callable[P, R]:
    """`transaction.atomic`, plus: a refusal marked with `denied(...)` is audited once the transaction has
    rolled back, so the audit entry survives while nothing else the service did does."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            with transaction.atomic():
                return fn(*args, **kwargs)
        except ApplicationError as exc:
            audit = getattr(exc, "audit", None)
            if audit:
                audit_denied(**audit)
            raise

    return wrapper


def require_staff(actor: User, *, action: str, object_type: str = "pharmacy.order", object_id: Any = "") -> None:
    """Pharmacists and admins only; anyone else gets a 403 and an audit entry."""
    if getattr(actor, "role", None) not in (Role.PHARMACIST, Role.ADMIN):
        raise denied(PermissionDeniedError(_("Only a pharmacist can do this.")), actor=actor,
                     object_type=object_type, object_id=object_id,
                     reason=f"{action}: role {getattr(actor, 'role', 'anonymous')}")


def require_patient(actor: User) -> None:
    if getattr(actor, "role", None) != Role.PATIENT:
        raise PermissionDeniedError(_("Only patients can order medicines."))


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
