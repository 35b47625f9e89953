"""The one payment module of the platform: the provider interface used by pharmacy orders and appointment fees.

A provider is a class with `code`, `label`, `charge(*, request) -> reference` and
`refund(*, request) -> reference`; `settings.PAYMENT_PROVIDER` names it (dotted path). The default records an
offline payment and talks to no gateway. A provider that calls a gateway must be idempotent per
`ChargeRequest.key` (an order number, an appointment's payment key): a retried request must not charge twice.
It raises `core.errors.ApplicationError` with a user-facing message when a charge fails.

The apps keep their own payment rows (pharmacy.Payment, consult.AppointmentPayment) because a row in core could
not point at their objects without an arrow up the layers; what is shared is how money moves.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

DEFAULT_PROVIDER = "core.payments.OfflinePaymentProvider"


@dataclass(frozen=True)
class ChargeRequest:
    key: str  # the idempotency key: the same key never charges twice at the gateway
    amount: Decimal
    description: str = ""


@dataclass(frozen=True)
class RefundRequest:
    key: str  # the key of the charge being refunded
    charge_reference: str  # what `charge` returned
    amount: Decimal


class PaymentProvider(Protocol):
    code: str
    label: str

    def charge(self, *, request: ChargeRequest) -> str: ...

    def refund(self, *, request: RefundRequest) -> str: ...


class OfflinePaymentProvider:
    """Paid at the counter or on delivery: records the payment, moves no money."""

    code = "offline"
    label = _("Offline payment (counter / on delivery)")

    def charge(self, *, request: ChargeRequest) -> str:
        return f"offline-{request.key}"

    def refund(self, *, request: RefundRequest) -> str:
        return f"offline-refund-{request.key}"


def payment_provider() -> PaymentProvider:
    return import_string(getattr(settings, "PAYMENT_PROVIDER", DEFAULT_PROVIDER))()
