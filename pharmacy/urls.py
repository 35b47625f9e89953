from __future__ import annotations

from django.urls import path

from . import views

app_name = "pharmacy"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("drugs/<int:pk>/", views.drug_detail, name="drug_detail"),
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/items/<int:item_id>/quantity/", views.cart_update, name="cart_update"),
    path("cart/items/<int:item_id>/remove/", views.cart_remove, name="cart_remove"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/<slug:action>/", views.order_action, name="order_action"),
    path("console/", views.console, name="console"),
    path("stock/", views.stock, name="stock"),
    path("stock/<int:pk>/", views.stock_ledger, name="stock_ledger"),
    path("stock/<int:pk>/restock/", views.restock, name="restock"),
]
