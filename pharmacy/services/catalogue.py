"""Catalogue writes: create a drug (with its opening stock in the ledger), restock."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_record
from core.errors import ApplicationError, NotFound

from ..models import Drug, StockMovement, StockMovementKind
from .common import clean_quantity, require_stock_staff, stock_put_back

MAX_RESTOCK = 100_000


@transaction.atomic
def drug_create(*, actor: User | None, price: Decimal, stock: int = 0, **fields: Any) -> Drug:
    """Create a catalogue entry; its opening stock is the ledger's first row. Raises ApplicationError on
    invalid fields (full_clean)."""
    if not isinstance(price, Decimal):
        price = Decimal(str(price))
    if stock < 0:
        raise ApplicationError(_("Stock cannot be negative."))
    fields["active_ingredients"] = [str(i).strip().lower() for i in fields.get("active_ingredients") or []]
    drug = Drug(price=price, stock=stock, **fields)
    try:
        drug.full_clean()
    except Exception as exc:  # ValidationError → our error type
        raise ApplicationError(str(exc)) from exc
    drug.save()
    if stock:
        StockMovement.objects.create(drug=drug, quantity=stock, kind=StockMovementKind.OPENING, actor=actor)
    return drug


def drug_restock(*, actor: User, drug_id: int, quantity: Any, note: str = "") -> Drug:
    """Add delivered packs to stock (pharmacist or admin). Raises RoleRefused (audited), NotFound,
    ApplicationError (quantity)."""
    require_stock_staff(actor, action="restock", object_id=drug_id)
    with transaction.atomic():
        return _restock(actor=actor, drug_id=drug_id, quantity=quantity, note=note)


def _restock(*, actor: User, drug_id: int, quantity: Any, note: str) -> Drug:
    quantity = clean_quantity(quantity, maximum=MAX_RESTOCK)
    if not Drug.objects.filter(pk=drug_id).exists():
        raise NotFound(_("Drug not found."))
    stock_put_back(drug_id=drug_id, quantity=quantity, kind=StockMovementKind.RESTOCK, order=None, actor=actor,
                   note=note)
    drug = Drug.objects.get(pk=drug_id)
    audit_record(actor=actor, action="update", object_type="drug", object_id=drug_id,
                 detail={"restock": quantity, "stock": drug.stock})
    return drug
