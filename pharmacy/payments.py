"""Pluggable payment providers.

A provider is a class with `code`, `label`, `charge(order) -> reference` and `refund(payment) -> reference`.
`settings.PHARMACY_PAYMENT_PROVIDER` names the class (dotted path); the default records an offline /
cash-on-delivery payment and talks to no gateway. A provider that calls an external gateway must be
idempotent per order (the order number is the idempotency key) because a retried request may charge twice
otherwise; it raises `core.errors.ApplicationError` with a user-facing message when the charge fails.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from .models import Order, Payment

DEFAULT_PROVIDER = "pharmacy.payments.OfflinePaymentProvider"


class PaymentProvider(Protocol):
    code: str
    label: str

    def charge(self, *, order: Order) -> str: ...

    def refund(self, *, payment: Payment) -> str: ...


class OfflinePaymentProvider:
    """Cash on delivery or paid at the counter: records the payment, moves no money."""

    code = "offline"
    label = _("Cash on delivery / offline payment")

    def charge(self, *, order: Order) -> str:
        return f"offline-{order.number}"

    def refund(self, *, payment: Payment) -> str:
        return f"offline-refund-{payment.order.number}"


def payment_provider() -> PaymentProvider:
    path = getattr(settings, "PHARMACY_PAYMENT_PROVIDER", DEFAULT_PROVIDER)
    return import_string(path)()
