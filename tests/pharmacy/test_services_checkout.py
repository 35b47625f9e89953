"""Checkout: stock reservation, ledger, prescription fills, allergy check, and refusals that change nothing."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from accounts.models import AuditEvent, Notification
from core.errors import ApplicationError, Conflict, NotFound
from pharmacy.models import CartItem, Drug, Order, OrderStatus, StockMovement
from pharmacy.selectors import stock_ledger_mismatches
from pharmacy.services import cart_item_add, order_cancel, order_checkout, order_pay
from records.models import PrescriptionFill
from tests.factories import PatientFactory
from tests.pharmacy.factories import ADDRESS, make_allergy, make_drug, make_prescription_item

pytestmark = pytest.mark.django_db


def test_otc_checkout_writes_every_row(patient):
    # Given two OTC drugs in the cart
    a, b = make_drug(price="12.80", stock=10), make_drug(price="3.35", stock=5)
    cart_item_add(patient=patient, drug_id=b.pk, quantity=3)
    cart_item_add(patient=patient, drug_id=a.pk, quantity=2)
    audit_before = AuditEvent.objects.count()

    # When the patient checks out
    order = order_checkout(patient=patient, **ADDRESS)

    # Then: an order pending payment with a server-computed total, lines at catalogue prices
    order.refresh_from_db()
    assert (order.status, order.requires_review, order.total) == (OrderStatus.PENDING_PAYMENT, False, Decimal("35.65"))
    assert (order.recipient_name, order.address, order.payment_provider) == (
        ADDRESS["recipient_name"], ADDRESS["address"], "offline")
    lines = list(order.lines.order_by("drug_id").values_list("drug_id", "quantity", "unit_price", "line_total",
                                                             "prescription_item_id"))
    assert lines == [(a.pk, 2, Decimal("12.80"), Decimal("25.60"), None), (b.pk, 3, Decimal("3.35"), Decimal("10.05"), None)]
    # stock reserved and the ledger has one sale row per line
    assert dict(Drug.objects.filter(pk__in=[a.pk, b.pk]).values_list("pk", "stock")) == {a.pk: 8, b.pk: 2}
    assert sorted(StockMovement.objects.filter(order=order).values_list("drug_id", "quantity", "kind")) == [
        (a.pk, -2, "sale"), (b.pk, -3, "sale")]
    assert stock_ledger_mismatches() == []
    # the cart is empty, the event is recorded, the patient notified, an audit entry written
    assert not CartItem.objects.exists()
    assert list(order.events.values_list("from_status", "to_status", "actor")) == [("", "pending_payment", patient.pk)]
    assert Notification.objects.filter(user=patient, dedupe_key=f"pharmacy-order-{order.pk}-pending_payment").count() == 1
    assert AuditEvent.objects.count() == audit_before + 1


def test_rx_checkout_fills_the_prescription(patient, doctor):
    drug = make_drug(rx=True, stock=10, price="40.00")
    item = make_prescription_item(patient=patient, doctor=doctor, drug=drug, quantity=3)
    cart_item_add(patient=patient, drug_id=drug.pk, quantity=2, prescription_item_id=item.pk)

    order = order_checkout(patient=patient, **ADDRESS)

    item.refresh_from_db()
    line = order.lines.get()
    assert (order.requires_review, order.total, line.prescription_item_id) == (True, Decimal("80.00"), item.pk)
    assert item.quantity_filled == 2
    assert list(PrescriptionFill.objects.values_list("item_id", "reference", "quantity")) == [
        (item.pk, f"pharmacy-order-line-{line.pk}", 2)]


def test_prescription_quantity_is_enforced_across_two_orders(patient, doctor, state):
    # Given a prescription for 3 packs, 2 already ordered in a first order
    drug = make_drug(rx=True, stock=10)
    item = make_prescription_item(patient=patient, doctor=doctor, drug=drug, quantity=3)
    cart_item_add(patient=patient, drug_id=drug.pk, quantity=2, prescription_item_id=item.pk)
    order_checkout(patient=patient, **ADDRESS)
    # When a second order asks for 2 more (the cart add already refuses it) ...
    with pytest.raises(ApplicationError) as exc:
        cart_item_add(patient=patient, drug_id=drug.pk, quantity=2, prescription_item_id=item.pk)
    assert exc.value.code == "rx_quantity"
    # ... and a cart line that slipped past (added before the first order) is refused at checkout
    CartItem.objects.create(cart=patient.pharmacy_cart, drug=drug, quantity=2, prescription_item_id=item.pk)
    before = state()
    with pytest.raises(ApplicationError) as exc:
        order_checkout(patient=patient, **ADDRESS)
    assert exc.value.code == "rx_quantity"
    assert state() == before
    # The last pack can still be ordered
    CartItem.objects.filter(cart=patient.pharmacy_cart).update(quantity=1)
    order_checkout(patient=patient, **ADDRESS)
    item.refresh_from_db()
    assert item.quantity_filled == 3


def test_cancel_gives_the_prescription_quantity_back(patient, doctor):
    drug = make_drug(rx=True, stock=10)
    item = make_prescription_item(patient=patient, doctor=doctor, drug=drug, quantity=2)
    cart_item_add(patient=patient, drug_id=drug.pk, quantity=2, prescription_item_id=item.pk)
    order = order_checkout(patient=patient, **ADDRESS)
    order_cancel(actor=patient, order_id=order.pk, reason="changed my mind")
    item.refresh_from_db()
    assert item.quantity_filled == 0
    cart_item_add(patient=patient, drug_id=drug.pk, quantity=2, prescription_item_id=item.pk)
    order_checkout(patient=patient, **ADDRESS)


def test_expired_between_cart_and_checkout_is_refused(patient, doctor, state):
    drug = make_drug(rx=True)
    item = make_prescription_item(patient=patient, doctor=doctor, drug=drug)
    cart_item_add(patient=patient, drug_id=drug.pk, quantity=1, prescription_item_id=item.pk)
    p = item.prescription
    type(p).objects.filter(pk=p.pk).update(valid_until=p.issued_at + (p.valid_until - p.issued_at) / 1000)
    before = state()
    with pytest.raises(ApplicationError) as exc:
        order_checkout(patient=patient, **ADDRESS)
    assert exc.value.code == "rx_expired"
    assert state() == before


def test_another_patients_prescription_smuggled_into_the_cart_is_refused(patient, doctor, state):
    drug = make_drug(rx=True)
    theirs = make_prescription_item(patient=PatientFactory(), doctor=doctor, drug=drug)
    own = make_drug()
    cart_item_add(patient=patient, drug_id=own.pk, quantity=1)
    # A tampered cart row (no service would write it) pointing at someone else's prescription
    CartItem.objects.create(cart=patient.pharmacy_cart, drug=drug, quantity=1, prescription_item_id=theirs.pk)
    before = state()
    with pytest.raises(NotFound):
        order_checkout(patient=patient, **ADDRESS)
    assert state() == before


def test_allergy_check_runs_again_at_checkout_for_otc(patient, doctor, state):
    drug = make_drug(ingredients=["ibuprofen"])
    cart_item_add(patient=patient, drug_id=drug.pk, quantity=1)
    make_allergy(patient=patient, substance="Ibuprofen", recorded_by=doctor)  # recorded after the cart add
    before = state()
    with pytest.raises(ApplicationError, match="ibuprofen") as exc:
        order_checkout(patient=patient, **ADDRESS)
    assert exc.value.code == "allergy"
    assert state() == before


def test_out_of_stock_is_a_clear_conflict_and_nothing_changes(patient, state):
    plenty, scarce = make_drug(stock=10), make_drug(stock=3, generic_name_en="Scarcemol")
    cart_item_add(patient=patient, drug_id=plenty.pk, quantity=1)
    cart_item_add(patient=patient, drug_id=scarce.pk, quantity=3)
    # Someone else bought the scarce drug meanwhile
    other = PatientFactory()
    cart_item_add(patient=other, drug_id=scarce.pk, quantity=2)
    order_checkout(patient=other, **ADDRESS)
    before = state()
    with pytest.raises(Conflict, match="Scarcemol"):
        order_checkout(patient=patient, **ADDRESS)
    assert state() == before
    assert Order.objects.filter(patient=patient).count() == 0


def test_empty_cart_and_missing_address_are_refused(patient, state):
    with pytest.raises(ApplicationError, match="empty"):
        order_checkout(patient=patient, **ADDRESS)
    cart_item_add(patient=patient, drug_id=make_drug().pk, quantity=1)
    before = state()
    with pytest.raises(ApplicationError) as exc:
        order_checkout(patient=patient, **{**ADDRESS, "address": "   "})
    assert exc.value.code == "address"
    assert state() == before


def test_price_changes_after_cart_use_the_catalogue_price_at_checkout(patient):
    drug = make_drug(price="10.00")
    cart_item_add(patient=patient, drug_id=drug.pk, quantity=2)
    Drug.objects.filter(pk=drug.pk).update(price=Decimal("11.00"))
    order = order_checkout(patient=patient, **ADDRESS)
    assert order.total == Decimal("22.00")


def test_double_pay_is_a_conflict(patient):
    cart_item_add(patient=patient, drug_id=make_drug().pk, quantity=1)
    order = order_checkout(patient=patient, **ADDRESS)
    order_pay(actor=patient, order_id=order.pk)
    with pytest.raises(Conflict):
        order_pay(actor=patient, order_id=order.pk)
    assert order.events.count() == 2
    assert (StockMovement.objects.aggregate(s=Sum("quantity"))["s"]) == Drug.objects.aggregate(s=Sum("stock"))["s"]
