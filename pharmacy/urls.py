from __future__ import annotations

from django.urls import path

from . import views

app_name = "pharmacy"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("drugs/<id:pk>/", views.drug_detail, name="drug_detail"),
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/items/<id:item_id>/quantity/", views.cart_update, name="cart_update"),
    path("cart/items/<id:item_id>/remove/", views.cart_remove, name="cart_remove"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/<id:pk>/", views.order_detail, name="order_detail"),
    path("orders/<id:pk>/<slug:action>/", views.order_action, name="order_action"),
    path("console/", views.console, name="console"),
    path("review/prescriptions/", views.rx_review_queue, name="rx_review_queue"),
    path("review/prescriptions/<id:prescription_id>/", views.rx_review, name="rx_review"),
    path("stock/", views.stock, name="stock"),
    path("stock/<id:pk>/", views.stock_ledger, name="stock_ledger"),
    path("stock/<id:pk>/restock/", views.restock, name="restock"),
]
