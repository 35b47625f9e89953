"""Orders: checkout (stock reservation and prescription gating), payment, pharmacist review, dispensing,
shipping, delivery, cancellation and refund.

Lock order, the same in every service, so two transactions never wait on each other in a cycle:
order row → drug rows (ascending id) → prescription items (consult) → audit chain head (last).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_record, notify
from core.errors import ApplicationError, Conflict
from records.selectors.records import allergy_conflicts
from records.services.prescriptions import prescription_item_fill, prescription_item_unfill

from ..models import (
    BEFORE_DISPENSE,
    Cart,
    Drug,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentStatus,
    StockMovementKind,
)
from ..payments import payment_provider
from .common import order_for, require_patient, require_staff, stock_put_back, stock_take
from .compliance import checkout_rules, order_rules

MAX_TEXT = {"recipient_name": 150, "phone": 32, "address": 255}


def _lock_order(*, actor: User, order_id: Any, staff: bool) -> Order:
    """Lock an order the caller has already been allowed (order_for, before the transaction)."""
    return Order.objects.select_for_update().select_related("patient").get(pk=order_id)


def _transition(order: Order, *, to: str, actor: User | None, note: str = "", fields: tuple[str, ...] = (),
                created: bool = False) -> None:
    """Move an order to `to`: one OrderEvent row (who, when, from → to), the patient notified, an audit entry."""
    from_status = "" if created else order.status
    if not created:
        order.status = to
        order.save(update_fields=["status", "updated_at", *fields])
    OrderEvent.objects.create(order=order, from_status=from_status, to_status=to, actor=actor, note=note[:500])
    notify(
        user=order.patient, kind="pharmacy_order",
        title=_("Order %(number)s: %(status)s") % {"number": order.number, "status": order.get_status_display()},
        body=note, url=reverse("pharmacy:order_detail", args=[order.pk]),
        # One notification per order and state: a retried service call never notifies twice.
        dedupe_key=f"pharmacy-order-{order.pk}-{to}",
    )
    audit_record(actor=actor, action="update" if from_status else "create", object_type="pharmacy.order",
                 object_id=order.pk, subject=order.patient, detail={"from": from_status, "to": to},
                 actor_label=None if actor is not None else "system")


def _clean_text(value: Any, field: str, label: str) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise ApplicationError(_("%(field)s is required.") % {"field": label}, code=field)
    if len(text) > MAX_TEXT[field]:
        raise ApplicationError(_("%(field)s is too long.") % {"field": label}, code=field)
    return text


def order_checkout(*, patient: User, recipient_name: Any, phone: Any, address: Any) -> Order:
    """Turn the patient's cart into an order awaiting payment, reserving stock and filling prescriptions.

    All or nothing: on any refusal the transaction rolls back, so no stock, fill, order or cart change
    survives. Raises ApplicationError (empty cart, bad address, allergy to an OTC drug, missing/invalid
    prescription, quantity beyond the prescription), OutOfStock (409) naming the drug.
    """
    require_patient(patient)
    recipient_name = _clean_text(recipient_name, "recipient_name", _("Recipient"))
    phone = _clean_text(phone, "phone", _("Phone"))
    address = _clean_text(address, "address", _("Delivery address"))
    checkout_rules(patient=patient)  # issue 20: no controlled drugs online, reviewed prescriptions only
    with transaction.atomic():
        return _checkout(patient=patient, recipient_name=recipient_name, phone=phone, address=address)


def _checkout(*, patient: User, recipient_name: str, phone: str, address: str) -> Order:
    # Locking the cart closes the double-submit race: a second checkout of the same cart waits, then finds
    # it empty instead of placing a duplicate order.
    cart = Cart.objects.select_for_update().filter(patient=patient).first()
    items = list(cart.items.order_by("drug_id")) if cart else []
    if not items:
        raise ApplicationError(_("Your cart is empty."), code="empty_cart")
    # Lock the drug rows in ascending id order: two checkouts with overlapping carts queue one behind the
    # other instead of deadlocking (each would otherwise hold one row the other needs).
    drugs = {d.pk: d for d in Drug.objects.select_for_update().filter(pk__in=[i.drug_id for i in items]).order_by("pk")}
    for item in items:
        drug = drugs.get(item.drug_id)
        if drug is None or not drug.is_active:
            raise ApplicationError(_("A drug in your cart is no longer on sale; remove it and try again."))
        if drug.is_prescription_only:
            if not item.prescription_item_id:
                raise ApplicationError(_("%(drug)s is prescription-only: choose the prescription to fill.")
                                       % {"drug": drug.name}, code="rx_required")
        else:
            # The prescriber checked allergies for prescription-only drugs; OTC drugs are checked here.
            conflicts = allergy_conflicts(patient=patient, drug=drug)
            if conflicts:
                raise ApplicationError(
                    _("%(drug)s contains %(substances)s, to which you have a recorded allergy.")
                    % {"drug": drug.name, "substances": ", ".join(a.substance for a in conflicts)}, code="allergy")
    order = Order.objects.create(
        patient=patient, recipient_name=recipient_name, phone=phone, address=address, total=Decimal("0.00"),
        requires_review=any(drugs[i.drug_id].is_prescription_only for i in items),
        payment_provider=payment_provider().code, status=OrderStatus.PENDING_PAYMENT,
    )
    total = Decimal("0.00")
    for item in items:
        drug = drugs[item.drug_id]
        stock_take(drug=drug, quantity=item.quantity, order=order, actor=patient)
        line = OrderLine.objects.create(
            order=order, drug=drug, drug_name=str(drug)[:300], quantity=item.quantity, unit_price=drug.price,
            line_total=drug.price * item.quantity,
            prescription_item_id=item.prescription_item_id if drug.is_prescription_only else None)
        if line.prescription_item_id:
            # consult locks the item, checks owner / expiry / remaining quantity, and records the fill under
            # this line's reference (so a cancel can give back exactly this fill).
            prescription_item_fill(item_id=line.prescription_item_id, patient=patient, quantity=line.quantity,
                                   reference=line.fill_reference)
        total += line.line_total
    order.total = total
    order.save(update_fields=["total"])
    cart.items.all().delete()
    _transition(order, to=OrderStatus.PENDING_PAYMENT, actor=patient, created=True)
    return order


def order_pay(*, actor: User, order_id: Any) -> Order:
    """Pay a pending order through the configured provider. Raises NotFound, Conflict (not pending)."""
    require_patient(actor)
    order_for(actor=actor, order_id=order_id, action="pay")
    order_rules(actor=actor, order_id=order_id)  # issue 20: a pharmacist approved the prescriptions
    with transaction.atomic():
        return _order_pay(actor=actor, order_id=order_id)


def _order_pay(*, actor: User, order_id: Any) -> Order:
    order = _lock_order(actor=actor, order_id=order_id, staff=False)
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise Conflict(_("This order is not waiting for payment."))
    provider = payment_provider()
    reference = provider.charge(order=order)
    Payment.objects.create(order=order, provider=provider.code, amount=order.total, reference=reference)
    note = _("A pharmacist will review your prescription.") if order.requires_review else ""
    _transition(order, to=OrderStatus.PAID, actor=actor, note=note)
    return order


def _release(order: Order, *, actor: User | None, reason: str) -> None:
    """Goods not yet dispensed go back on the shelf and the prescription fills are given back."""
    lines = list(order.lines.order_by("drug_id"))
    # Drug rows first (ascending id), then prescription items: the same order as checkout.
    for line in lines:
        stock_put_back(drug_id=line.drug_id, quantity=line.quantity, kind=StockMovementKind.RETURN, order=order,
                       actor=actor, note=reason)
    for line in lines:
        if line.prescription_item_id:
            prescription_item_unfill(item_id=line.prescription_item_id, reference=line.fill_reference)


def _refund_payment(order: Order) -> None:
    payment = Payment.objects.select_for_update().filter(order=order).first()
    if payment is None or payment.status == PaymentStatus.REFUNDED:
        return
    payment.refund_reference = payment_provider().refund(payment=payment)
    payment.status, payment.refunded_at = PaymentStatus.REFUNDED, timezone.now()
    payment.save(update_fields=["refund_reference", "status", "refunded_at"])


def order_cancel(*, actor: User, order_id: Any, reason: str = "") -> Order:
    """Cancel before dispensing (the patient, or a pharmacist): stock returns, fills are given back and a paid
    order is refunded. Raises NotFound, Conflict (already dispensed or final)."""
    staff = getattr(actor, "role", None) == "pharmacist"
    if not staff:
        require_patient(actor)
    order_for(actor=actor, order_id=order_id, action="cancel")
    with transaction.atomic():
        return _order_cancel(actor=actor, order_id=order_id, reason=reason)


def _order_cancel(*, actor: User, order_id: Any, reason: str = "") -> Order:
    order = _lock_order(actor=actor, order_id=order_id, staff=True)
    if order.status not in BEFORE_DISPENSE:
        raise Conflict(_("This order can no longer be cancelled (already dispensed, or closed)."))
    reason = " ".join(str(reason or "").split())[:500]
    _release(order, actor=actor, reason=reason)
    _refund_payment(order)
    order.cancel_reason = reason
    _transition(order, to=OrderStatus.CANCELLED, actor=actor, note=reason, fields=("cancel_reason",))
    return order


def order_refund(*, actor: User, order_id: Any, reason: Any) -> Order:
    """Refund a paid order (pharmacist/admin), e.g. goods returned or lost in delivery. Before dispensing the
    goods also go back to stock; after dispensing they do not (dispensed medicine is never resold).
    Raises PermissionDeniedError, NotFound, ApplicationError (no reason), Conflict (not paid)."""
    require_staff(actor, action="refund", object_id=order_id)
    order_for(actor=actor, order_id=order_id, action="refund")
    with transaction.atomic():
        return _order_refund(actor=actor, order_id=order_id, reason=reason)


def _order_refund(*, actor: User, order_id: Any, reason: Any) -> Order:
    reason = " ".join(str(reason or "").split())[:500]
    if not reason:
        raise ApplicationError(_("Give a reason for the refund."), code="reason")
    order = _lock_order(actor=actor, order_id=order_id, staff=True)
    if order.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED, OrderStatus.REJECTED,
                        OrderStatus.REFUNDED):
        raise Conflict(_("Only a paid order can be refunded."))
    if order.status in BEFORE_DISPENSE:
        _release(order, actor=actor, reason=reason)
    _refund_payment(order)
    order.cancel_reason = reason
    _transition(order, to=OrderStatus.REFUNDED, actor=actor, note=reason, fields=("cancel_reason",))
    return order


def order_approve(*, actor: User, order_id: Any, note: str = "") -> Order:
    """Pharmacist approves a paid order with prescription-only items. Raises PermissionDeniedError, NotFound,
    Conflict (not awaiting review)."""
    require_staff(actor, action="approve", object_id=order_id)
    order_for(actor=actor, order_id=order_id, action="approve")
    with transaction.atomic():
        return _order_approve(actor=actor, order_id=order_id, note=note)


def _order_approve(*, actor: User, order_id: Any, note: str = "") -> Order:
    order = _lock_order(actor=actor, order_id=order_id, staff=True)
    if order.status != OrderStatus.PAID or not order.requires_review:
        raise Conflict(_("This order is not waiting for a pharmacist's review."))
    order.review_note, order.reviewed_by = " ".join(str(note or "").split())[:500], actor
    _transition(order, to=OrderStatus.APPROVED, actor=actor, note=order.review_note,
                fields=("review_note", "reviewed_by"))
    return order


def order_reject(*, actor: User, order_id: Any, reason: Any) -> Order:
    """Pharmacist rejects an order under review: the reason is required and shown to the patient; stock and
    prescription fills return and the payment is refunded."""
    require_staff(actor, action="reject", object_id=order_id)
    order_for(actor=actor, order_id=order_id, action="reject")
    with transaction.atomic():
        return _order_reject(actor=actor, order_id=order_id, reason=reason)


def _order_reject(*, actor: User, order_id: Any, reason: Any) -> Order:
    reason = " ".join(str(reason or "").split())[:500]
    if not reason:
        raise ApplicationError(_("Give the patient a reason for the rejection."), code="reason")
    order = _lock_order(actor=actor, order_id=order_id, staff=True)
    if order.status != OrderStatus.PAID or not order.requires_review:
        raise Conflict(_("This order is not waiting for a pharmacist's review."))
    _release(order, actor=actor, reason=reason)
    _refund_payment(order)
    order.review_note, order.reviewed_by = reason, actor
    _transition(order, to=OrderStatus.REJECTED, actor=actor, note=reason, fields=("review_note", "reviewed_by"))
    return order


def order_dispense(*, actor: User, order_id: Any) -> Order:
    """Pharmacist dispenses an approved order (or a paid OTC-only one) and starts medication reminders for its
    prescription items through consult's scheduler. Raises PermissionDeniedError, NotFound, Conflict."""
    require_staff(actor, action="dispense", object_id=order_id)
    order_for(actor=actor, order_id=order_id, action="dispense")
    order_rules(actor=actor, order_id=order_id)  # issue 20: a pharmacist approved the prescriptions
    with transaction.atomic():
        return _order_dispense(actor=actor, order_id=order_id)


def _order_dispense(*, actor: User, order_id: Any) -> Order:
    from records.services.reminders import reminders_schedule_for_dispense

    order = _lock_order(actor=actor, order_id=order_id, staff=True)
    ready = order.status == OrderStatus.APPROVED or (order.status == OrderStatus.PAID and not order.requires_review)
    if not ready:
        raise Conflict(_("This order cannot be dispensed now (it must be paid and, for prescription drugs, "
                         "approved)."))
    dispensed_at = timezone.now()
    doses = 0
    for line in order.lines.filter(prescription_item_id__isnull=False).order_by("id"):
        doses += reminders_schedule_for_dispense(prescription_item_id=line.prescription_item_id,
                                                 dispensed_at=dispensed_at)
    note = _("%(count)d medication reminders scheduled.") % {"count": doses} if doses else ""
    _transition(order, to=OrderStatus.DISPENSED, actor=actor, note=note)
    return order


def order_ship(*, actor: User, order_id: Any, tracking_note: Any) -> Order:
    """Hand a dispensed order to the courier; the tracking note (carrier and number) is required."""
    require_staff(actor, action="ship", object_id=order_id)
    order_for(actor=actor, order_id=order_id, action="ship")
    with transaction.atomic():
        return _order_ship(actor=actor, order_id=order_id, tracking_note=tracking_note)


def _order_ship(*, actor: User, order_id: Any, tracking_note: Any) -> Order:
    tracking_note = " ".join(str(tracking_note or "").split())[:255]
    if not tracking_note:
        raise ApplicationError(_("Enter a tracking note (carrier and tracking number)."), code="tracking_note")
    order = _lock_order(actor=actor, order_id=order_id, staff=True)
    if order.status != OrderStatus.DISPENSED:
        raise Conflict(_("Only a dispensed order can be shipped."))
    order.tracking_note = tracking_note
    _transition(order, to=OrderStatus.SHIPPED, actor=actor, note=tracking_note, fields=("tracking_note",))
    return order


def order_deliver(*, actor: User, order_id: Any) -> Order:
    """The patient confirms receipt (or a pharmacist records the courier's proof of delivery)."""
    order_for(actor=actor, order_id=order_id, action="deliver")
    with transaction.atomic():
        return _order_deliver(actor=actor, order_id=order_id)


def _order_deliver(*, actor: User, order_id: Any) -> Order:
    order = _lock_order(actor=actor, order_id=order_id, staff=True)
    if order.status != OrderStatus.SHIPPED:
        raise Conflict(_("Only a shipped order can be marked delivered."))
    _transition(order, to=OrderStatus.DELIVERED, actor=actor)
    return order


UNPAID_MAX_AGE = timedelta(hours=24)


def orders_expire_unpaid(*, now: datetime | None = None, max_age: timedelta = UNPAID_MAX_AGE,
                         batch_size: int = 200) -> int:
    """Cancel orders left unpaid longer than `max_age`, returning their stock and prescription fills (the
    periodic task). Without it an abandoned checkout would hold its reserved stock forever. Each order is its
    own transaction; SKIP LOCKED lets a patient paying right now (who holds the row) win. Returns how many."""
    cutoff = (now or timezone.now()) - max_age
    expired = 0
    for _batch in range(1000):  # bounded: at most 1000 batches per run
        with transaction.atomic():
            orders = list(Order.objects.select_for_update(skip_locked=True).select_related("patient")
                          .filter(status=OrderStatus.PENDING_PAYMENT, created_at__lt=cutoff)
                          .order_by("created_at", "id")[:batch_size])
            for order in orders:
                reason = _("Not paid within %(hours)d hours.") % {"hours": int(max_age.total_seconds() // 3600)}
                _release(order, actor=None, reason=reason)
                order.cancel_reason = reason
                _transition(order, to=OrderStatus.CANCELLED, actor=None, note=reason, fields=("cancel_reason",))
            expired += len(orders)
        if len(orders) < batch_size:
            break
    return expired
