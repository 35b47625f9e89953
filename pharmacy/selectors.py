"""pharmacy reads: catalogue search, the patient's cart and orders, the pharmacist's queues. Permission scoping
lives here: a patient's selectors only ever return that patient's rows."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet, Sum
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import Role, User
from accounts.services import audit_record
from core.errors import NotFound
from records.selectors.prescriptions import prescription_items_by_ids, prescription_items_fillable
from records.selectors.records import allergies_for_order_review

from .models import Cart, CartItem, Drug, Order, OrderEvent, OrderLine, OrderStatus, StockMovement


def drug_search(*, text: str = "", category: str = "", rx: str = "", in_stock: bool = False,
                include_inactive: bool = False) -> QuerySet[Drug]:
    """Catalogue search: name in English or Chinese (generic or brand) or ATC prefix; category; "otc"/"rx"."""
    qs = Drug.objects.all() if include_inactive else Drug.objects.active()
    qs = qs.search(text or "")
    if category:
        qs = qs.filter(category=category)
    if rx == "otc":
        qs = qs.filter(is_prescription_only=False)
    elif rx == "rx":
        qs = qs.filter(is_prescription_only=True)
    if in_stock:
        qs = qs.in_stock()
    return qs.order_by("generic_name_en", "strength", "id")


def drug_get(*, drug_id: Any) -> Drug:
    drug = Drug.objects.active().filter(pk=drug_id).first() if str(drug_id).isdigit() else None
    if drug is None:
        raise NotFound(_("Drug not found."))
    return drug


@dataclass
class CartView:
    cart: Cart | None
    items: list[CartItem] = field(default_factory=list)
    total: Decimal = Decimal("0.00")
    needs_prescription: bool = False


def cart_get(*, patient: User) -> CartView:
    """The patient's cart with current prices; the total is computed here, never taken from the client."""
    cart = Cart.objects.filter(patient=patient).first()
    if cart is None:
        return CartView(cart=None)
    items = list(cart.items.select_related("drug").order_by("id"))
    total = sum((i.drug.price * i.quantity for i in items), Decimal("0.00"))
    return CartView(cart=cart, items=items, total=total,
                    needs_prescription=any(i.drug.is_prescription_only for i in items))


def prescription_items_for_drug(*, patient: User, drug: Drug) -> list[Any]:
    """The patient's fillable prescription items for one drug (what the "add to cart" form offers)."""
    if getattr(patient, "role", None) != Role.PATIENT:
        return []
    return list(prescription_items_fillable(patient=patient).filter(drug=drug).select_related("prescription__doctor"))


def prescription_items_fillable_for(*, patient: User) -> QuerySet[Any]:
    return prescription_items_fillable(patient=patient).select_related("prescription__doctor")


def _order_qs() -> QuerySet[Order]:
    return Order.objects.select_related("patient", "payment", "reviewed_by").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.select_related("drug").order_by("id")),
    )


def orders_of(*, patient: User) -> QuerySet[Order]:
    return _order_qs().filter(patient=patient).order_by("-created_at", "-id")


def order_get_for(*, user: User, order_id: Any) -> Order:
    """One order the user may see: their own (patient), or one in the pharmacy's queue (pharmacist). Anyone
    else is refused (audited) as not found — a tampered id never reveals whether the order exists."""
    from .services.common import order_decision

    qs = _order_qs().prefetch_related(
        Prefetch("events", queryset=OrderEvent.objects.select_related("actor").order_by("created_at", "id")))
    order = policy.obtain(qs, order_id if str(order_id).isdigit() else -1, actor=user,
                          object_type="pharmacy.order", decide=lambda o: order_decision(user, o),
                          message=_("Order not found."))
    if order.requires_review and order.patient_id != user.pk:
        # Staff reading a prescription order see health data (prescription, allergies): an audited read.
        audit_record(actor=user, action="read", object_type="pharmacy.order", object_id=order.pk,
                     subject=order.patient)
    return order


QUEUES: dict[str, Any] = {
    "review": lambda qs: qs.awaiting_review(),
    "dispense": lambda qs: qs.ready_to_dispense(),
    "ship": lambda qs: qs.filter(status=OrderStatus.DISPENSED),
    "shipped": lambda qs: qs.filter(status=OrderStatus.SHIPPED),
}


def orders_queue(*, queue: str) -> QuerySet[Order]:
    """The pharmacist console's queues, oldest first (first come, first served)."""
    pick = QUEUES.get(queue, QUEUES["review"])
    return pick(_order_qs()).order_by("created_at", "id")


def queue_counts() -> dict[str, int]:
    return {name: pick(Order.objects.all()).count() for name, pick in QUEUES.items()}


def order_review_context(*, actor: User, order: Order) -> dict[str, Any]:
    """What the pharmacist needs to review an order in the queue: each line's prescription item (with its
    prescription and doctor) and the patient's active allergies — asked of the access policy (the pharmacist
    rule), refused (audited) otherwise."""
    from .models import IN_PHARMACY_QUEUE

    decision = policy.pharmacist_order(actor, in_review_queue=order.status in IN_PHARMACY_QUEUE)
    policy.require(decision, actor=actor, object_type="pharmacy.order", object_id=order.pk, subject=order.patient,
                   message=_("Order not found."))
    ids = [line.prescription_item_id for line in order.lines.all() if line.prescription_item_id]
    items = prescription_items_by_ids(ids)
    for line in order.lines.all():  # the prefetched lines the template iterates
        line.rx_item = items.get(line.prescription_item_id)
    return {"allergies": list(allergies_for_order_review(actor=actor, patient=order.patient, decision=decision))}


def stock_ledger_mismatches() -> list[tuple[int, int, int]]:
    """Drugs whose ledger does not sum to their stock: (drug id, stock, ledger sum). Empty when consistent."""
    sums = dict(StockMovement.objects.values("drug").annotate(s=Sum("quantity")).values_list("drug", "s"))
    return [(pk, stock, sums.get(pk, 0)) for pk, stock in Drug.objects.values_list("pk", "stock")
            if sums.get(pk, 0) != stock]


def stock_movements_of(*, drug: Drug) -> QuerySet[StockMovement]:
    return drug.stock_movements.select_related("actor", "order").order_by("-created_at", "-id")


def low_stock(*, threshold: int = 10) -> QuerySet[Drug]:
    return Drug.objects.active().filter(stock__lt=threshold).order_by("stock", "generic_name_en")


