from __future__ import annotations

from io import StringIO

import pytest
from django.db.models import Sum

from pharmacy import demo_catalogue
from pharmacy.models import Drug, StockMovement

pytestmark = pytest.mark.django_db


def test_catalogue_seed_is_complete_consistent_and_idempotent():
    demo_catalogue.seed(StringIO())
    count = Drug.objects.count()
    assert count == len(demo_catalogue.CATALOGUE) >= 100
    assert Drug.objects.filter(is_prescription_only=True).exists()
    assert Drug.objects.filter(is_prescription_only=False).exists()
    assert not Drug.objects.filter(generic_name_zh="").exists()
    # Every drug's ledger sums to its stock (opening balances).
    for drug in Drug.objects.all():
        assert (drug.stock_movements.aggregate(s=Sum("quantity"))["s"] or 0) == drug.stock
        assert drug.active_ingredients == [i.lower() for i in drug.active_ingredients]
    movements = StockMovement.objects.count()

    demo_catalogue.seed(StringIO())

    assert Drug.objects.count() == count
    assert StockMovement.objects.count() == movements


def test_demo_orders_are_seeded_in_several_states_and_idempotent():
    from accounts import demo as accounts_demo
    from pharmacy import demo
    from pharmacy.models import Order, OrderEvent
    from pharmacy.selectors import stock_ledger_mismatches

    accounts_demo.seed(StringIO())
    demo_catalogue.seed(StringIO())
    demo.seed(StringIO())
    statuses = sorted(Order.objects.values_list("status", flat=True))
    assert {"delivered", "shipped", "cancelled", "pending_payment"} <= set(statuses)
    snapshot = (list(Order.objects.values_list("pk", "status")), OrderEvent.objects.count(),
                StockMovement.objects.count(), dict(Drug.objects.values_list("pk", "stock")))
    assert stock_ledger_mismatches() == []

    demo.seed(StringIO())

    assert snapshot == (list(Order.objects.values_list("pk", "status")), OrderEvent.objects.count(),
                        StockMovement.objects.count(), dict(Drug.objects.values_list("pk", "stock")))
