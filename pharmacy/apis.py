"""pharmacy REST API (/api/pharmacy/): thin APIViews, nested Input/Output serializers, one service or selector
call each. Permission rules are the pages' (the services and selectors enforce them)."""
from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.policy import Allows, access
from core.errors import ApplicationError
from platform_site import serializers

from . import selectors, services
from .models import Drug, DrugCategory, Order, OrderEvent, OrderLine

# Anything that looks like a price from the client is refused outright: totals are computed on the server.
PRICE_FIELDS = ("price", "unit_price", "total", "line_total", "amount")


def refuse_client_prices(data: Any) -> None:
    if hasattr(data, "keys") and any(k in data for k in PRICE_FIELDS):
        raise ApplicationError(_("Prices are computed by the pharmacy; do not send a price."), code="price_not_allowed")


class DrugOutput(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    in_stock = serializers.SerializerMethodField()

    class Meta:
        model = Drug
        fields = ["id", "name", "generic_name_en", "generic_name_zh", "brand_name_en", "brand_name_zh", "form",
                  "strength", "package_size", "is_prescription_only", "price", "stock", "in_stock",
                  "active_ingredients", "atc_code", "category"]

    def get_in_stock(self, obj: Drug) -> bool:
        return obj.stock > 0


@access("public")
class DrugListApi(ListAPIView):
    serializer_class = DrugOutput
    permission_classes: list[Any] = []  # the catalogue is public, like the page

    @extend_schema(parameters=[
        OpenApiParameter("q", str, description="Name in English or Chinese, or ATC prefix"),
        OpenApiParameter("category", str, enum=DrugCategory.values),
        OpenApiParameter("rx", str, enum=["otc", "rx"]),
        OpenApiParameter("in_stock", bool),
    ])
    def get(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        return super().get(request, *args, **kwargs)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        p = self.request.query_params
        return selectors.drug_search(text=p.get("q", "")[:100], category=p.get("category", ""), rx=p.get("rx", ""),
                                     in_stock=p.get("in_stock") in ("1", "true", "True"))


@access("public", objects={"pk": "drug"})
class DrugDetailApi(APIView):
    permission_classes: list[Any] = []

    @extend_schema(responses=DrugOutput)
    def get(self, request, pk: int):  # type: ignore[no-untyped-def]
        return Response(DrugOutput(selectors.drug_get(drug_id=pk)).data)


@access("own")
class CartApi(APIView):
    permission_classes = [Allows("pharmacy.shop")]

    class ItemOutput(serializers.Serializer):
        id = serializers.IntegerField()
        drug = DrugOutput()
        quantity = serializers.IntegerField()
        prescription_item = serializers.IntegerField(source="prescription_item_id", allow_null=True)
        line_total = serializers.DecimalField(max_digits=12, decimal_places=2)

    class OutputSerializer(serializers.Serializer):
        items = serializers.SerializerMethodField()
        total = serializers.DecimalField(max_digits=12, decimal_places=2)
        needs_prescription = serializers.BooleanField()

        def get_items(self, obj: Any) -> list[dict[str, Any]]:
            return CartApi.ItemOutput(obj.items, many=True).data

    @extend_schema(responses=OutputSerializer)
    def get(self, request):  # type: ignore[no-untyped-def]
        return Response(self.OutputSerializer(selectors.cart_get(patient=request.user)).data)


@access("own", body={"prescription_item": "prescription_item"}, body_rule="owner")
class CartItemCreateApi(APIView):
    permission_classes = [Allows("pharmacy.shop")]

    class InputSerializer(serializers.Serializer):
        drug = serializers.IntegerField(min_value=1)
        quantity = serializers.IntegerField(min_value=1, max_value=99, default=1)
        prescription_item = serializers.IntegerField(min_value=1, required=False, allow_null=True)

    @extend_schema(request=InputSerializer, responses={201: CartApi.OutputSerializer})
    def post(self, request):  # type: ignore[no-untyped-def]
        services.cart_add_check(patient=request.user,
                                prescription_item_id=request.data.get("prescription_item")
                                if hasattr(request.data, "get") else None)
        refuse_client_prices(request.data)
        data = _strict_input(self.InputSerializer, request.data)
        services.cart_item_add(patient=request.user, drug_id=data["drug"], quantity=data["quantity"],
                               prescription_item_id=data.get("prescription_item"))
        return Response(CartApi.OutputSerializer(selectors.cart_get(patient=request.user)).data,
                        status=status.HTTP_201_CREATED)


@access("owner", objects={"item_id": "cart_item"})
class CartItemApi(APIView):
    permission_classes = [Allows("pharmacy.shop")]

    class InputSerializer(serializers.Serializer):
        quantity = serializers.IntegerField(min_value=1, max_value=99)

    @extend_schema(request=InputSerializer, responses=CartApi.OutputSerializer)
    def patch(self, request, item_id: int):  # type: ignore[no-untyped-def]
        services.cart_line_check(patient=request.user, item_id=item_id)
        refuse_client_prices(request.data)
        data = _strict_input(self.InputSerializer, request.data)
        services.cart_item_update(patient=request.user, item_id=item_id, quantity=data["quantity"])
        return Response(CartApi.OutputSerializer(selectors.cart_get(patient=request.user)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, item_id: int):  # type: ignore[no-untyped-def]
        services.cart_item_remove(patient=request.user, item_id=item_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _strict_input(serializer_class: Any, data: Any) -> dict[str, Any]:
    """Validate the shape; a fractional quantity ("1.5", 1.5) is refused, not rounded."""
    if hasattr(data, "get"):
        q = data.get("quantity")
        if isinstance(q, float) or (isinstance(q, str) and not q.strip().lstrip("-").isdigit()):
            raise ApplicationError(_("The quantity must be a whole number."), code="quantity")
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


@access("own")
class PrescriptionItemListApi(APIView):
    """The caller's own prescription items that can still be filled (what an Rx cart line may point to)."""

    permission_classes = [Allows("pharmacy.shop")]

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        prescription = serializers.IntegerField(source="prescription_id")
        drug = serializers.IntegerField(source="drug_id")
        drug_name = serializers.CharField(source="drug.name")
        quantity = serializers.IntegerField()
        quantity_filled = serializers.IntegerField()
        valid_until = serializers.DateTimeField(source="prescription.valid_until")
        doctor = serializers.CharField(source="prescription.doctor.display_name")

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request):  # type: ignore[no-untyped-def]
        items = selectors.prescription_items_fillable_for(patient=request.user)
        return Response(self.OutputSerializer(items, many=True).data)


class OrderOutput(serializers.ModelSerializer):
    class LineOutput(serializers.ModelSerializer):
        class Meta:
            model = OrderLine
            fields = ["id", "drug", "drug_name", "quantity", "unit_price", "line_total", "prescription_item_id"]

    class EventOutput(serializers.ModelSerializer):
        actor = serializers.CharField(source="actor.display_name", default=None)

        class Meta:
            model = OrderEvent
            fields = ["from_status", "to_status", "actor", "note", "created_at"]

    lines = LineOutput(many=True, read_only=True)
    events = EventOutput(many=True, read_only=True)
    number = serializers.CharField(read_only=True)

    class Meta:
        model = Order
        fields = ["id", "number", "status", "requires_review", "recipient_name", "phone", "address", "total",
                  "payment_provider", "tracking_note", "review_note", "cancel_reason", "created_at", "lines",
                  "events"]


def _paginated(request: Any, view: APIView, orders: Any) -> Response:
    paginator = view.pagination_class()  # type: ignore[attr-defined]
    page = paginator.paginate_queryset(orders, request, view=view)
    return paginator.get_paginated_response(OrderOutput(page, many=True).data)


@access("own")
class OrderListApi(APIView):
    permission_classes = [Allows("pharmacy.shop")]
    pagination_class = PageNumberPagination   # the schema describes the paginated answer

    class InputSerializer(serializers.Serializer):
        recipient_name = serializers.CharField(max_length=150)
        phone = serializers.CharField(max_length=32)
        address = serializers.CharField(max_length=255)

    @extend_schema(responses=OrderOutput(many=True))
    def get(self, request):  # type: ignore[no-untyped-def]
        orders = selectors.orders_of(patient=request.user).prefetch_related("events__actor")
        return _paginated(request, self, orders)

    @extend_schema(request=InputSerializer, responses={201: OrderOutput}, operation_id="pharmacy_order_checkout")
    def post(self, request):  # type: ignore[no-untyped-def]
        """Checkout: the cart becomes an order awaiting payment."""
        refuse_client_prices(request.data)
        data = _strict_input(self.InputSerializer, request.data)
        order = services.order_checkout(patient=request.user, **data)
        return Response(OrderOutput(selectors.order_get_for(user=request.user, order_id=order.pk)).data,
                        status=status.HTTP_201_CREATED)


@access("pharmacist_queue", objects={"pk": "order"})
class OrderDetailApi(APIView):
    @extend_schema(responses=OrderOutput)
    def get(self, request, pk: int):  # type: ignore[no-untyped-def]
        return Response(OrderOutput(selectors.order_get_for(user=request.user, order_id=pk)).data)


@access("pharmacist_queue", objects={"pk": "order"}, samples={"action": "cancel"})
class OrderActionApi(APIView):
    """pay | cancel | deliver (patient) · approve | reject | dispense | ship | refund | cancel | deliver (staff)."""

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=500, required=False, allow_blank=True)
        note = serializers.CharField(max_length=500, required=False, allow_blank=True)
        tracking_note = serializers.CharField(max_length=255, required=False, allow_blank=True)

    SERVICES: dict[str, Any] = {
        "pay": services.order_pay, "cancel": services.order_cancel, "deliver": services.order_deliver,
        "approve": services.order_approve, "reject": services.order_reject, "dispense": services.order_dispense,
        "ship": services.order_ship, "refund": services.order_refund,
    }

    @extend_schema(request=InputSerializer, responses=OrderOutput, operation_id="pharmacy_order_action")
    def post(self, request, pk: int, action: str):  # type: ignore[no-untyped-def]
        service = self.SERVICES.get(action)
        if service is None:
            raise ApplicationError(_("Unknown action."), code="action")
        services.order_for(actor=request.user, order_id=pk, action=action)
        data = _strict_input(self.InputSerializer, request.data)
        kwargs: dict[str, Any] = {"actor": request.user, "order_id": pk}
        if action in ("cancel", "reject", "refund"):
            kwargs["reason"] = data.get("reason", "")
        elif action == "approve":
            kwargs["note"] = data.get("note", "")
        elif action == "ship":
            kwargs["tracking_note"] = data.get("tracking_note", "")
        service(**kwargs)
        return Response(OrderOutput(selectors.order_get_for(user=request.user, order_id=pk)).data)


@access("own")
class QueueApi(APIView):
    """The pharmacist's queues: review, dispense, ship, shipped."""

    permission_classes = [Allows("pharmacy.review")]
    pagination_class = PageNumberPagination   # the schema describes the paginated answer

    @extend_schema(parameters=[OpenApiParameter("queue", str, enum=list(selectors.QUEUES))],
                   responses=OrderOutput(many=True))
    def get(self, request):  # type: ignore[no-untyped-def]
        orders = selectors.orders_queue(queue=request.query_params.get("queue", "review"))
        return _paginated(request, self, orders.prefetch_related("events__actor"))


@access("pharmacy_staff", objects={"pk": "drug"})
class RestockApi(APIView):
    permission_classes = [Allows("pharmacy.stock")]

    class InputSerializer(serializers.Serializer):
        quantity = serializers.IntegerField(min_value=1, max_value=100_000)
        note = serializers.CharField(max_length=255, required=False, allow_blank=True)

    @extend_schema(request=InputSerializer, responses=DrugOutput)
    def post(self, request, pk: int):  # type: ignore[no-untyped-def]
        data = _strict_input(self.InputSerializer, request.data)
        drug = services.drug_restock(actor=request.user, drug_id=pk, quantity=data["quantity"],
                                     note=data.get("note", ""))
        return Response(DrugOutput(drug).data)
