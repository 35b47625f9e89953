"""The payment provider is pluggable: settings.PAYMENT_PROVIDER names the class."""
from __future__ import annotations

import pytest

from core.errors import ApplicationError
from pharmacy.models import OrderStatus, Payment
from pharmacy.services import cart_item_add, order_cancel, order_checkout, order_pay
from tests.pharmacy.factories import ADDRESS, make_drug

pytestmark = pytest.mark.django_db
CALLS: list[str] = []


class RecordingProvider:
    code = "test-gateway"
    label = "Test gateway"

    def charge(self, *, request):  # type: ignore[no-untyped-def]
        CALLS.append(f"charge {request.key} {request.amount}")
        return f"gw-{request.key}"

    def refund(self, *, request):  # type: ignore[no-untyped-def]
        CALLS.append(f"refund {request.charge_reference} {request.amount}")
        return f"gw-refund-{request.key}"


class DecliningProvider(RecordingProvider):
    def charge(self, *, request):  # type: ignore[no-untyped-def]
        raise ApplicationError("Card declined.", code="payment_declined")


def test_configured_provider_charges_and_refunds(settings, patient):
    settings.PAYMENT_PROVIDER = "tests.pharmacy.test_payments.RecordingProvider"
    CALLS.clear()
    cart_item_add(patient=patient, drug_id=make_drug(price="7.25").pk, quantity=2)
    order = order_checkout(patient=patient, **ADDRESS)
    order_pay(actor=patient, order_id=order.pk)
    order_cancel(actor=patient, order_id=order.pk)
    payment = Payment.objects.get(order=order)
    assert (order.payment_provider, payment.provider, payment.amount, payment.reference, payment.refund_reference,
            payment.status) == ("test-gateway", "test-gateway", order.total, f"gw-{order.number}",
                                f"gw-refund-{order.number}", "refunded")
    assert CALLS == [f"charge {order.number} 14.50", f"refund gw-{order.number} 14.50"]


def test_declined_charge_leaves_the_order_pending(settings, patient, state):
    settings.PAYMENT_PROVIDER = "tests.pharmacy.test_payments.DecliningProvider"
    cart_item_add(patient=patient, drug_id=make_drug().pk, quantity=1)
    order = order_checkout(patient=patient, **ADDRESS)
    before = state()
    with pytest.raises(ApplicationError) as exc:
        order_pay(actor=patient, order_id=order.pk)
    assert exc.value.code == "payment_declined"
    assert state() == before
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT


def test_default_provider_is_offline(patient):
    cart_item_add(patient=patient, drug_id=make_drug().pk, quantity=1)
    order = order_checkout(patient=patient, **ADDRESS)
    order_pay(actor=patient, order_id=order.pk)
    assert list(Payment.objects.values_list("provider", "reference")) == [("offline", f"offline-{order.number}")]
