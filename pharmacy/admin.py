"""Admin: the catalogue (stock is read-only here: it changes only through the ledger), orders read-mostly."""
from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError

from .models import Drug, Order, OrderEvent, OrderLine, Payment, StockMovement
from .services import drug_create, drug_restock


@admin.register(Drug)
class DrugAdmin(admin.ModelAdmin):
    list_display = ["generic_name_en", "generic_name_zh", "brand_name_en", "strength", "form", "is_prescription_only",
                    "price", "stock", "category", "is_active"]
    list_filter = ["is_prescription_only", "category", "form", "is_active"]
    search_fields = ["generic_name_en", "generic_name_zh", "brand_name_en", "brand_name_zh", "atc_code"]
    readonly_fields = ["stock"]
    actions = ["restock_10"]

    def save_model(self, request: HttpRequest, obj: Drug, form, change: bool) -> None:  # type: ignore[no-untyped-def]
        if change:
            super().save_model(request, obj, form, change)  # catalogue fields; stock is read-only
            return
        fields = {f: form.cleaned_data[f] for f in form.cleaned_data if f not in ("price", "stock")}
        new = drug_create(actor=request.user, price=form.cleaned_data["price"], stock=0, **fields)
        obj.pk = new.pk

    @admin.action(description=_("Restock 10 packs"))
    def restock_10(self, request: HttpRequest, queryset: QuerySet[Drug]) -> None:
        for drug in queryset:
            try:
                drug_restock(actor=request.user, drug_id=drug.pk, quantity=10, note="admin")
            except ApplicationError as exc:
                self.message_user(request, str(exc.message), messages.ERROR)
                return
        self.message_user(request, _("Restocked."))


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = ["drug", "drug_name", "quantity", "unit_price", "line_total", "prescription_item_id"]

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "note", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Read-only: state changes go through the pharmacist console (services record who and when)."""

    list_display = ["id", "patient", "status", "requires_review", "total", "created_at"]
    list_filter = ["status", "requires_review"]
    search_fields = ["id", "patient__email"]
    inlines = [OrderLineInline, OrderEventInline]
    list_select_related = ["patient"]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    list_display = ["created_at", "drug", "quantity", "kind", "order", "actor", "note"]
    list_filter = ["kind"]
    list_select_related = ["drug", "order", "actor"]
    search_fields = ["drug__generic_name_en", "drug__generic_name_zh"]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["order", "provider", "amount", "status", "reference", "created_at", "refunded_at"]
    list_filter = ["provider", "status"]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
