"""pharmacy pages: catalogue, cart and checkout, the patient's orders, the pharmacist console. Thin: each view
parses input, calls one service or selector, renders or redirects."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.policy import access, page
from core.errors import ApplicationError, NotFound
from core.pages import flash_error, paginate

from . import selectors, services
from .forms import CatalogueFilterForm, CheckoutForm, ReasonForm, RestockForm, ShipForm


@access("public")
def catalogue(request: HttpRequest) -> HttpResponse:
    form = CatalogueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    drugs = selectors.drug_search(text=filters.get("q", ""), category=filters.get("category", ""),
                                  rx=filters.get("rx", ""), in_stock=bool(filters.get("in_stock")))
    query = urlencode({k: v for k, v in request.GET.items() if k != "page"})
    template = "pharmacy/_drug_rows.html" if request.htmx else "pharmacy/catalogue.html"
    return render(request, template, {"form": form, "page": paginate(request, drugs, per_page=20), "query": query})


@access("public", objects={"pk": "drug"})
def drug_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        drug = selectors.drug_get(drug_id=pk)
    except NotFound:
        raise Http404 from None
    rx_items = []
    if request.user.is_authenticated and drug.is_prescription_only:
        rx_items = selectors.prescription_items_for_drug(patient=request.user, drug=drug)
    return render(request, "pharmacy/drug_detail.html", {"drug": drug, "rx_items": rx_items})


def _run(request: HttpRequest, service: Callable[..., Any], success: str, **kwargs: Any) -> bool:
    """Call one service; a domain error becomes a flash message (the one place pages handle them)."""
    try:
        service(**kwargs)
    except ApplicationError as exc:
        flash_error(request, exc)
        return False
    messages.success(request, success)
    return True


@require_POST
@access("own", body={"prescription_item": "prescription_item"}, body_rule="owner")
@page("pharmacy.shop")
def cart_add(request: HttpRequest) -> HttpResponse:
    drug_id = request.POST.get("drug", "")
    ok = _run(request, services.cart_item_add, _("Added to your cart."), patient=request.user, drug_id=drug_id,
              quantity=request.POST.get("quantity", "1"), prescription_item_id=request.POST.get("prescription_item"))
    if ok or not str(drug_id).isdigit():
        return redirect("pharmacy:cart")
    return redirect("pharmacy:drug_detail", pk=drug_id)


@require_POST
@access("owner", objects={"item_id": "cart_item"})
@page("pharmacy.shop")
def cart_update(request: HttpRequest, item_id: int) -> HttpResponse:
    _run(request, services.cart_item_update, _("Quantity changed."), patient=request.user, item_id=item_id,
         quantity=request.POST.get("quantity", ""))
    return redirect("pharmacy:cart")


@require_POST
@access("owner", objects={"item_id": "cart_item"})
@page("pharmacy.shop")
def cart_remove(request: HttpRequest, item_id: int) -> HttpResponse:
    _run(request, services.cart_item_remove, _("Removed from your cart."), patient=request.user, item_id=item_id)
    return redirect("pharmacy:cart")


@access("own")
@page("pharmacy.shop")
def cart(request: HttpRequest) -> HttpResponse:
    profile = getattr(request.user, "patient_profile", None)
    initial = {"recipient_name": request.user.full_name, "phone": getattr(profile, "phone", ""),
               "address": getattr(profile, "address", "")}
    form = CheckoutForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            order = services.order_checkout(patient=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("Order placed. Please pay to confirm it."))
            return redirect("pharmacy:order_detail", pk=order.pk)
    return render(request, "pharmacy/cart.html", {"view": selectors.cart_get(patient=request.user), "form": form})


@access("own")
@page("pharmacy.shop")
def order_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.orders_of(patient=request.user))
    return render(request, "pharmacy/order_list.html", {"page": page})


@access("pharmacist_queue", objects={"pk": "order"})
@page()
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_get_for(user=request.user, order_id=pk)
    context: dict[str, Any] = {"order": order, "reason_form": ReasonForm(), "ship_form": ShipForm(),
                               "is_staff_view": request.user.role == Role.PHARMACIST}
    if context["is_staff_view"]:
        context.update(selectors.order_review_context(actor=request.user, order=order))
    template = "pharmacy/_order_status.html" if request.htmx else "pharmacy/order_detail.html"
    return render(request, template, context)


# Each service asks the access policy itself (the ordering patient; a pharmacist for queue actions).
ACTIONS: dict[str, Callable[..., Any]] = {
    "pay": services.order_pay, "cancel": services.order_cancel, "deliver": services.order_deliver,
    "approve": services.order_approve, "reject": services.order_reject, "dispense": services.order_dispense,
    "ship": services.order_ship, "refund": services.order_refund,
}
SUCCESS = {
    "pay": lambda: _("Payment recorded."), "cancel": lambda: _("Order cancelled."),
    "deliver": lambda: _("Marked as delivered."), "approve": lambda: _("Order approved."),
    "reject": lambda: _("Order rejected."), "dispense": lambda: _("Order dispensed."),
    "ship": lambda: _("Order shipped."), "refund": lambda: _("Order refunded."),
}


@require_POST
@access("pharmacist_queue", objects={"pk": "order"}, samples={"action": "cancel"})
@page()
def order_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    service = ACTIONS[action]
    kwargs: dict[str, Any] = {"actor": request.user, "order_id": pk}
    if action in ("cancel", "reject", "refund"):
        kwargs["reason"] = request.POST.get("reason", "")
    if action == "approve":
        kwargs["note"] = request.POST.get("reason", "")
    if action == "ship":
        kwargs["tracking_note"] = request.POST.get("tracking_note", "")
    _run(request, service, SUCCESS[action](), **kwargs)
    return redirect("pharmacy:order_detail", pk=pk)


@access("own")
@page("pharmacy.review")
def console(request: HttpRequest) -> HttpResponse:
    queue = request.GET.get("queue", "review")
    if queue not in selectors.QUEUES:
        queue = "review"
    page = paginate(request, selectors.orders_queue(queue=queue))
    return render(request, "pharmacy/console.html", {
        "page": page, "queue": queue, "counts": selectors.queue_counts(), "query": f"queue={queue}",
    })


@access("pharmacy_staff")
@page("pharmacy.stock")
def stock(request: HttpRequest) -> HttpResponse:
    form = CatalogueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    drugs = selectors.drug_search(text=filters.get("q", ""), category=filters.get("category", ""),
                                  rx=filters.get("rx", ""), in_stock=bool(filters.get("in_stock")),
                                  include_inactive=True).order_by("stock", "generic_name_en")
    query = urlencode({k: v for k, v in request.GET.items() if k != "page"})
    return render(request, "pharmacy/stock.html", {"form": form, "page": paginate(request, drugs, per_page=30),
                                                   "query": query, "restock_form": RestockForm()})


@require_POST
@access("pharmacy_staff", objects={"pk": "drug"})
@page("pharmacy.stock")
def restock(request: HttpRequest, pk: int) -> HttpResponse:
    _run(request, services.drug_restock, _("Stock updated."), actor=request.user, drug_id=pk,
         quantity=request.POST.get("quantity", ""), note=request.POST.get("note", ""))
    return redirect(request.POST.get("next") if str(request.POST.get("next", "")).startswith("/pharmacy/")
                    else "pharmacy:stock")


@access("pharmacy_staff", objects={"pk": "drug"})
@page("pharmacy.stock")
def stock_ledger(request: HttpRequest, pk: int) -> HttpResponse:
    drug = selectors.drug_search(include_inactive=True).filter(pk=pk).first()
    if drug is None:
        raise Http404
    page = paginate(request, selectors.stock_movements_of(drug=drug), per_page=50)
    return render(request, "pharmacy/stock_ledger.html", {"drug": drug, "page": page, "restock_form": RestockForm()})


# Prescription review (issue 20): a pharmacist approves or rejects each prescription before its drugs can be paid
# for or dispensed; records owns prescriptions and the review service.
@access("own")
@page("pharmacy.review")
def rx_review_queue(request: HttpRequest) -> HttpResponse:
    from records.services.review import prescription_review_queue

    page_ = paginate(request, prescription_review_queue(pharmacist=request.user))
    return render(request, "pharmacy/rx_review_queue.html", {"page": page_})


@access("pharmacist_queue", objects={"prescription_id": "prescription"})
@page("pharmacy.review")
def rx_review(request: HttpRequest, prescription_id: int) -> HttpResponse:
    from records.services import review
    from records.services.rx_rules import prescription_verify

    rx = review.prescription_for_review(pharmacist=request.user, prescription_id=prescription_id)
    if request.method == "POST":
        try:
            review.prescription_review(pharmacist=request.user, prescription_id=rx.pk,
                                       decision=request.POST.get("decision", ""), reason=request.POST.get("reason", ""))
        except ApplicationError as exc:
            flash_error(request, exc)
            return redirect("pharmacy:rx_review", prescription_id=rx.pk)
        messages.success(request, _("Review recorded."))
        return redirect("pharmacy:rx_review_queue")
    return render(request, "pharmacy/rx_review.html", {
        "rx": rx, "items": list(rx.items.select_related("drug")), "verification": prescription_verify(rx),
        "previous": list(rx.replaces.reviews.all()) if rx.replaces_id else [],
    })
