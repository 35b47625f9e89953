"""Admin of the records side: read-mostly views for support staff (health data changes go through services)."""
from __future__ import annotations

from django.contrib import admin

from .models import (
    Allergy,
    DoseReminder,
    HealthDocument,
    Observation,
    Prescription,
    PrescriptionFill,
    PrescriptionItem,
    Problem,
    ReminderPlan,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Health records are changed through the services (audited); the admin only looks."""

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Allergy)
class AllergyAdmin(ReadOnlyAdmin):
    list_display = ["patient", "substance", "severity", "status", "recorded_at"]
    list_filter = ["severity", "status", "category"]
    list_select_related = ["patient"]


@admin.register(Problem)
class ProblemAdmin(ReadOnlyAdmin):
    list_display = ["patient", "code", "status", "onset_date", "resolved_date"]
    list_filter = ["status"]
    list_select_related = ["patient", "code"]


@admin.register(Observation)
class ObservationAdmin(ReadOnlyAdmin):
    list_display = ["patient", "kind", "value", "value2", "unit", "effective_at", "is_out_of_range", "source"]
    list_filter = ["kind", "is_out_of_range", "source"]
    list_select_related = ["patient"]


@admin.register(HealthDocument)
class HealthDocumentAdmin(ReadOnlyAdmin):
    list_display = ["patient", "title", "kind", "content_type", "size", "created_at"]
    list_select_related = ["patient"]


class ItemInline(admin.TabularInline):
    model = PrescriptionItem
    extra = 0
    can_delete = False
    fields = ["drug", "dose", "dose_unit", "route", "frequency", "quantity", "quantity_filled",
              "allergy_override_reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Prescription)
class PrescriptionAdmin(ReadOnlyAdmin):
    list_display = ["pk", "patient", "doctor", "status", "issued_at", "valid_until"]
    list_filter = ["status"]
    list_select_related = ["patient", "doctor"]
    inlines = [ItemInline]


@admin.register(PrescriptionFill)
class PrescriptionFillAdmin(ReadOnlyAdmin):
    list_display = ["item", "reference", "quantity", "filled_at", "unfilled_at"]


@admin.register(ReminderPlan)
class ReminderPlanAdmin(ReadOnlyAdmin):
    list_display = ["item", "patient", "time_zone", "times_of_day", "is_paused"]
    list_filter = ["is_paused"]


@admin.register(DoseReminder)
class DoseReminderAdmin(ReadOnlyAdmin):
    list_display = ["pk", "patient", "item", "scheduled_at", "status", "sent_at", "responded_at"]
    list_filter = ["status"]
    list_select_related = ["patient", "item"]
    date_hierarchy = "scheduled_at"
