"""PostgreSQL-only: real threads, each with its own database connection, racing for the same rows."""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from django.db.models import Sum

from accounts.services import audit_chain_verify
from pharmacy.models import CartItem, Drug, Order, OrderLine, StockMovement
from pharmacy.selectors import stock_ledger_mismatches
from pharmacy.services import cart_item_add, order_checkout
from pharmacy.services.common import OutOfStock
from tests.factories import PatientFactory
from tests.pharmacy.factories import ADDRESS, make_drug

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(calls: list[Callable[[], Any]], timeout: float = 120) -> list[tuple[str, Any]]:
    """Run every call in its own thread, released together by a barrier; returns (outcome, value) per call."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[str, Any]] = [("missing", None)] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=60)
            results[i] = ("ok", call())
        except Exception as exc:  # noqa: BLE001 - recorded and asserted on by the test
            results[i] = (type(exc).__name__, exc)
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a checkout hung (deadlock?)"
    return results


def test_100_concurrent_checkouts_for_the_last_10_units_sell_exactly_10():
    # Given 10 packs left and 100 patients with one pack each in their cart
    drug = make_drug(stock=10, generic_name_en="Popularmol")
    patients = [PatientFactory() for _ in range(100)]
    for p in patients:  # the cart does not reserve stock: every cart may hold a pack
        cart_item_add(patient=p, drug_id=drug.pk, quantity=1)
    assert connection.vendor == "postgresql"

    # When all 100 check out at once
    results = race([lambda p=p: order_checkout(patient=p, **ADDRESS) for p in patients])

    # Then exactly 10 orders, 90 clear "out of stock" refusals, nothing else
    outcomes = Counter(kind for kind, _ in results)
    assert outcomes == {"ok": 10, "OutOfStock": 90}, outcomes
    assert all("Popularmol" in str(exc.message) for kind, exc in results if kind == "OutOfStock")
    assert all(isinstance(exc, OutOfStock) for kind, exc in results if kind != "ok")
    drug.refresh_from_db()
    assert drug.stock == 0
    assert OrderLine.objects.filter(drug=drug).aggregate(s=Sum("quantity"))["s"] == 10
    # No lost order: every success is in the database with its line and ledger row; the losers' carts are intact
    won = {order.pk for kind, order in results if kind == "ok"}
    assert set(Order.objects.values_list("pk", flat=True)) == won
    assert StockMovement.objects.filter(drug=drug, kind="sale").count() == 10
    assert StockMovement.objects.filter(drug=drug).aggregate(s=Sum("quantity"))["s"] == drug.stock == 0
    assert stock_ledger_mismatches() == []
    assert CartItem.objects.filter(drug=drug).count() == 90
    assert audit_chain_verify().ok


def test_double_submitted_checkout_places_one_order(patient):
    drug = make_drug(stock=50)
    cart_item_add(patient=patient, drug_id=drug.pk, quantity=2)

    results = race([lambda: order_checkout(patient=patient, **ADDRESS) for _ in range(5)])

    assert Counter(kind for kind, _ in results) == {"ok": 1, "ApplicationError": 4}
    assert Order.objects.count() == 1
    assert Drug.objects.get(pk=drug.pk).stock == 48


def test_overlapping_carts_in_opposite_order_do_not_deadlock():
    a, b = make_drug(stock=100), make_drug(stock=100)
    patients = [PatientFactory() for _ in range(20)]
    for i, p in enumerate(patients):
        first, second = (a, b) if i % 2 else (b, a)  # half the carts list B first
        cart_item_add(patient=p, drug_id=first.pk, quantity=1)
        cart_item_add(patient=p, drug_id=second.pk, quantity=1)

    results = race([lambda p=p: order_checkout(patient=p, **ADDRESS) for p in patients])

    assert Counter(kind for kind, _ in results) == {"ok": 20}
    assert dict(Drug.objects.filter(pk__in=[a.pk, b.pk]).values_list("pk", "stock")) == {a.pk: 80, b.pk: 80}
    assert stock_ledger_mismatches() == []
