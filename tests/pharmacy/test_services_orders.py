"""Order lifecycle: pay → review → dispense (reminders) → ship → deliver; reject, cancel, refund; who may act."""
from __future__ import annotations

import pytest

from accounts.models import AuditEvent, Notification
from accounts.policy import AccessRefused
from core.errors import ApplicationError, Conflict, NotFound, PermissionDeniedError
from pharmacy.models import Drug, OrderStatus, Payment, StockMovement
from pharmacy.selectors import stock_ledger_mismatches
from pharmacy.services import (
    cart_item_add,
    drug_restock,
    order_approve,
    order_cancel,
    order_checkout,
    order_deliver,
    order_dispense,
    order_pay,
    order_refund,
    order_reject,
    order_ship,
)
from records.models import DoseReminder
from tests.factories import PatientFactory
from tests.pharmacy.factories import ADDRESS, make_drug, make_prescription_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def rx_order(patient, doctor):
    otc = make_drug(stock=10)
    rx = make_drug(rx=True, stock=10)
    item = make_prescription_item(patient=patient, doctor=doctor, drug=rx, quantity=2, frequency="twice_daily",
                                  duration_days=3)
    cart_item_add(patient=patient, drug_id=otc.pk, quantity=1)
    cart_item_add(patient=patient, drug_id=rx.pk, quantity=2, prescription_item_id=item.pk)
    order = order_checkout(patient=patient, **ADDRESS)
    order_pay(actor=patient, order_id=order.pk)
    return order, item, otc, rx


def test_full_rx_lifecycle_records_every_change_and_starts_reminders(patient, pharmacist, rx_order):
    order, item, _otc, _rx = rx_order
    with pytest.raises(Conflict):  # an Rx order cannot skip review
        order_dispense(actor=pharmacist, order_id=order.pk)

    order_approve(actor=pharmacist, order_id=order.pk, note="checked")
    reminders_before = DoseReminder.objects.filter(item=item).count()
    order_dispense(actor=pharmacist, order_id=order.pk)
    order_ship(actor=pharmacist, order_id=order.pk, tracking_note="SF Express SF0000000001")
    order_deliver(actor=patient, order_id=order.pk)

    order.refresh_from_db()
    assert (order.status, order.reviewed_by, order.review_note, order.tracking_note) == (
        OrderStatus.DELIVERED, pharmacist, "checked", "SF Express SF0000000001")
    assert list(order.events.values_list("from_status", "to_status", "actor")) == [
        ("", "pending_payment", patient.pk), ("pending_payment", "paid", patient.pk),
        ("paid", "approved", pharmacist.pk), ("approved", "dispensed", pharmacist.pk),
        ("dispensed", "shipped", pharmacist.pk), ("shipped", "delivered", patient.pk)]
    keys = set(Notification.objects.filter(user=patient, kind="pharmacy_order").values_list("dedupe_key", flat=True))
    assert keys == {f"pharmacy-order-{order.pk}-{s}" for s in
                    ("pending_payment", "paid", "approved", "dispensed", "shipped", "delivered")}
    # Dispensing scheduled the course's doses (3 days, twice daily, from the dispense time on)
    assert DoseReminder.objects.filter(item=item).count() > reminders_before
    assert Payment.objects.get(order=order).status == "captured"
    assert stock_ledger_mismatches() == []


def test_otc_only_order_is_dispensed_without_review(patient, pharmacist):
    cart_item_add(patient=patient, drug_id=make_drug().pk, quantity=1)
    order = order_checkout(patient=patient, **ADDRESS)
    order_pay(actor=patient, order_id=order.pk)
    with pytest.raises(Conflict):
        order_approve(actor=pharmacist, order_id=order.pk)
    order_dispense(actor=pharmacist, order_id=order.pk)
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPENSED


def test_reject_needs_a_reason_and_returns_stock_fills_and_money(patient, pharmacist, rx_order, state):
    order, item, otc, rx = rx_order
    before = state()
    with pytest.raises(ApplicationError):
        order_reject(actor=pharmacist, order_id=order.pk, reason="  ")
    assert state() == before

    order_reject(actor=pharmacist, order_id=order.pk, reason="Dose needs confirmation with the prescriber")

    order.refresh_from_db()
    item.refresh_from_db()
    assert (order.status, order.review_note) == (OrderStatus.REJECTED, "Dose needs confirmation with the prescriber")
    assert dict(Drug.objects.filter(pk__in=[otc.pk, rx.pk]).values_list("pk", "stock")) == {otc.pk: 10, rx.pk: 10}
    assert sorted(StockMovement.objects.filter(order=order, kind="return").values_list("drug_id", "quantity")) == [
        (otc.pk, 1), (rx.pk, 2)]
    assert item.quantity_filled == 0
    assert Payment.objects.get(order=order).status == "refunded"
    assert stock_ledger_mismatches() == []


def test_cancel_before_dispense_returns_stock_and_refunds(patient, rx_order):
    order, _item, otc, rx = rx_order
    order_cancel(actor=patient, order_id=order.pk, reason="")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert dict(Drug.objects.filter(pk__in=[otc.pk, rx.pk]).values_list("pk", "stock")) == {otc.pk: 10, rx.pk: 10}
    assert Payment.objects.get(order=order).status == "refunded"
    with pytest.raises(Conflict):  # twice: no double return of stock
        order_cancel(actor=patient, order_id=order.pk)
    assert stock_ledger_mismatches() == []


def test_cancel_after_dispense_is_refused_and_refund_keeps_stock(patient, pharmacist, rx_order, state):
    order, item, otc, rx = rx_order
    order_approve(actor=pharmacist, order_id=order.pk)
    order_dispense(actor=pharmacist, order_id=order.pk)
    before = state()
    with pytest.raises(Conflict):
        order_cancel(actor=patient, order_id=order.pk)
    assert state() == before

    order_refund(actor=pharmacist, order_id=order.pk, reason="Parcel lost by courier")
    order.refresh_from_db()
    item.refresh_from_db()
    assert (order.status, order.cancel_reason) == (OrderStatus.REFUNDED, "Parcel lost by courier")
    # Dispensed medicine is not resold: stock and prescription fills stay as they were
    assert dict(Drug.objects.filter(pk__in=[otc.pk, rx.pk]).values_list("pk", "stock")) == {otc.pk: 9, rx.pk: 8}
    assert item.quantity_filled == 2
    assert Payment.objects.get(order=order).status == "refunded"


def test_refund_of_an_unpaid_order_is_refused(patient, pharmacist):
    # An unpaid order is not in the pharmacists' queue: the access policy refuses it (audited) as not found.
    cart_item_add(patient=patient, drug_id=make_drug().pk, quantity=1)
    order = order_checkout(patient=patient, **ADDRESS)
    with pytest.raises(AccessRefused):
        order_refund(actor=pharmacist, order_id=order.pk, reason="x")
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT


def test_ship_needs_a_tracking_note(patient, pharmacist):
    cart_item_add(patient=patient, drug_id=make_drug().pk, quantity=1)
    order = order_checkout(patient=patient, **ADDRESS)
    order_pay(actor=patient, order_id=order.pk)
    order_dispense(actor=pharmacist, order_id=order.pk)
    with pytest.raises(ApplicationError) as exc:
        order_ship(actor=pharmacist, order_id=order.pk, tracking_note="")
    assert exc.value.code == "tracking_note"


class TestWhoMayAct:
    def test_patient_cannot_do_pharmacist_work_and_is_audited(self, patient, rx_order):
        order = rx_order[0]
        for service in (order_approve, order_dispense):
            denied = AuditEvent.objects.filter(action="denied").count()
            with pytest.raises(PermissionDeniedError):
                service(actor=patient, order_id=order.pk)
            assert AuditEvent.objects.filter(action="denied").count() == denied + 1
        with pytest.raises(PermissionDeniedError):
            drug_restock(actor=patient, drug_id=rx_order[2].pk, quantity=5)

    def test_tampered_order_id_is_not_found_and_audited(self, rx_order, state):
        order = rx_order[0]
        intruder = PatientFactory()
        before = state()
        for service, kwargs in ((order_pay, {}), (order_cancel, {"reason": "x"}), (order_deliver, {})):
            with pytest.raises(NotFound):
                service(actor=intruder, order_id=order.pk, **kwargs)
        with pytest.raises(NotFound):
            order_pay(actor=intruder, order_id="1 OR 1=1")
        assert state() == before
        assert AuditEvent.objects.filter(action="denied", actor=intruder).count() == 4


def test_restock_writes_the_ledger(pharmacist):
    drug = make_drug(stock=1)
    drug_restock(actor=pharmacist, drug_id=drug.pk, quantity="24", note="delivery 42")
    drug.refresh_from_db()
    assert drug.stock == 25
    assert list(drug.stock_movements.order_by("id").values_list("quantity", "kind", "actor", "note")) == [
        (1, "opening", None, ""), (24, "restock", pharmacist.pk, "delivery 42")]
    for bad in (0, -5, 2.5, "x"):
        with pytest.raises(ApplicationError):
            drug_restock(actor=pharmacist, drug_id=drug.pk, quantity=bad)
    assert stock_ledger_mismatches() == []


def test_unpaid_orders_expire_and_return_stock(patient, doctor):
    import datetime as dt

    from django.utils import timezone

    from pharmacy.models import Order
    from pharmacy.services import orders_expire_unpaid
    from pharmacy.tasks import orders_expire_unpaid as task

    drug = make_drug(stock=5)
    rx = make_drug(rx=True, stock=5)
    item = make_prescription_item(patient=patient, doctor=doctor, drug=rx, quantity=1)
    cart_item_add(patient=patient, drug_id=drug.pk, quantity=2)
    cart_item_add(patient=patient, drug_id=rx.pk, quantity=1, prescription_item_id=item.pk)
    old = order_checkout(patient=patient, **ADDRESS)
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=25))
    cart_item_add(patient=patient, drug_id=drug.pk, quantity=1)
    fresh = order_checkout(patient=patient, **ADDRESS)

    assert orders_expire_unpaid() == 1
    assert task.apply().get() == 0  # idempotent: nothing left to expire

    old.refresh_from_db()
    fresh.refresh_from_db()
    item.refresh_from_db()
    assert (old.status, fresh.status) == (OrderStatus.CANCELLED, OrderStatus.PENDING_PAYMENT)
    assert list(old.events.values_list("to_status", "actor")) == [("pending_payment", patient.pk), ("cancelled", None)]
    assert (Drug.objects.get(pk=drug.pk).stock, Drug.objects.get(pk=rx.pk).stock) == (4, 5)
    assert item.quantity_filled == 0
    assert stock_ledger_mismatches() == []
