from __future__ import annotations

from typing import Any

import pytest

from pharmacy.models import CartItem, Drug, Order, OrderEvent, OrderLine, Payment, StockMovement
from records.models import PrescriptionFill, PrescriptionItem


def db_state() -> dict[str, Any]:
    """Everything a pharmacy write could change, for "nothing changed" assertions on error paths."""
    return {
        "stock": dict(Drug.objects.values_list("pk", "stock")),
        "orders": list(Order.objects.values_list("pk", "status")),
        "lines": OrderLine.objects.count(),
        "events": OrderEvent.objects.count(),
        "payments": list(Payment.objects.values_list("pk", "status")),
        "ledger": StockMovement.objects.count(),
        "cart": list(CartItem.objects.values_list("pk", "drug_id", "quantity", "prescription_item_id")),
        "filled": dict(PrescriptionItem.objects.values_list("pk", "quantity_filled")),
        "fills": list(PrescriptionFill.objects.values_list("pk", "unfilled_at")),
    }


@pytest.fixture
def state():  # type: ignore[no-untyped-def]
    return db_state


@pytest.fixture
def pharmacist(db, with_mfa):  # type: ignore[no-untyped-def]
    from tests.factories import PharmacistFactory

    user = PharmacistFactory()
    with_mfa(user)
    return user
