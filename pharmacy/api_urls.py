"""/api/pharmacy/ routes (DRF)."""
from __future__ import annotations

from django.urls import path

from . import apis

urlpatterns = [
    path("drugs/", apis.DrugListApi.as_view(), name="api-pharmacy-drugs"),
    path("drugs/<id:pk>/", apis.DrugDetailApi.as_view(), name="api-pharmacy-drug"),
    path("drugs/<id:pk>/restock/", apis.RestockApi.as_view(), name="api-pharmacy-restock"),
    path("cart/", apis.CartApi.as_view(), name="api-pharmacy-cart"),
    path("cart/items/", apis.CartItemCreateApi.as_view(), name="api-pharmacy-cart-items"),
    path("cart/items/<id:item_id>/", apis.CartItemApi.as_view(), name="api-pharmacy-cart-item"),
    path("prescription-items/", apis.PrescriptionItemListApi.as_view(), name="api-pharmacy-prescription-items"),
    path("orders/", apis.OrderListApi.as_view(), name="api-pharmacy-orders"),
    path("orders/<id:pk>/", apis.OrderDetailApi.as_view(), name="api-pharmacy-order"),
    path("orders/<id:pk>/<slug:action>/", apis.OrderActionApi.as_view(), name="api-pharmacy-order-action"),
    path("queue/", apis.QueueApi.as_view(), name="api-pharmacy-queue"),
]
