"""Admin of the booking side: departments, schedules and leave days, slots, appointments, ICD-10 codes.

Encounters and consultation threads are read-only here: clinical text changes go through the services
(amendments keep history); the admin may look, not edit.
"""
from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import (
    Appointment,
    AppointmentPayment,
    AppointmentRefund,
    ConsultationThread,
    Department,
    Encounter,
    EncounterAmendment,
    ICD10Code,
    ScheduleException,
    Slot,
    WaitlistEntry,
    WeeklySchedule,
)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_zh"]
    search_fields = ["code", "name_en", "name_zh"]


@admin.register(WeeklySchedule)
class WeeklyScheduleAdmin(admin.ModelAdmin):
    list_display = ["doctor", "weekday", "start_time", "end_time", "slot_minutes", "kind", "is_active"]
    list_filter = ["weekday", "kind", "is_active"]
    raw_id_fields = ["doctor"]
    list_select_related = ["doctor"]


@admin.register(ScheduleException)
class ScheduleExceptionAdmin(admin.ModelAdmin):
    list_display = ["doctor", "date", "reason"]
    raw_id_fields = ["doctor"]
    list_select_related = ["doctor"]


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ["doctor", "start", "end", "kind", "is_blocked", "held_for", "held_until"]
    list_filter = ["kind", "is_blocked"]
    raw_id_fields = ["doctor", "held_for"]
    list_select_related = ["doctor", "held_for"]
    date_hierarchy = "start"


class PaidFilter(admin.SimpleListFilter):
    title = _("payment")
    parameter_name = "paid"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return [("paid", _("Paid")), ("unpaid", _("Unpaid")), ("free", _("Free"))]

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        if self.value() == "paid":
            return queryset.filter(fee__gt=0, paid_at__isnull=False)
        if self.value() == "unpaid":
            return queryset.filter(fee__gt=0, paid_at__isnull=True)
        if self.value() == "free":
            return queryset.filter(fee=0)
        return queryset


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ["start", "doctor", "patient", "kind", "status", "fee", "payment"]
    list_filter = ["status", "kind", PaidFilter]
    raw_id_fields = ["slot", "patient", "booked_by", "doctor", "cancelled_by", "follow_up_of"]
    list_select_related = ["doctor", "patient"]
    date_hierarchy = "start"

    @admin.display(description=_("payment"))
    def payment(self, obj: Appointment) -> str:
        return {"free": _("Free"), "paid": _("Paid"), "unpaid": _("Unpaid")}[obj.payment_state]

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ["doctor", "patient", "status", "created_at", "offer_expires_at"]
    list_filter = ["status"]
    raw_id_fields = ["doctor", "patient", "booked_by", "offered_slot", "appointment"]
    list_select_related = ["doctor", "patient"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Encounter)
class EncounterAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "doctor", "patient"]
    list_select_related = ["doctor", "patient"]


@admin.register(EncounterAmendment)
class EncounterAmendmentAdmin(ReadOnlyAdmin):
    list_display = ["encounter", "author", "at", "reason"]
    list_select_related = ["author"]


@admin.register(ConsultationThread)
class ConsultationThreadAdmin(ReadOnlyAdmin):
    list_display = ["appointment", "status", "closed_at"]


@admin.register(ICD10Code)
class ICD10CodeAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_zh", "block", "chapter"]
    search_fields = ["code", "name_en", "name_zh"]
    list_filter = ["chapter"]


@admin.register(AppointmentPayment)
class AppointmentPaymentAdmin(admin.ModelAdmin):
    """Read-only: money moves through the services (core.payments), never by editing a row."""

    list_display = ["created_at", "appointment", "provider", "amount", "status", "reference"]
    list_filter = ["status", "provider"]
    raw_id_fields = ["appointment"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(AppointmentRefund)
class AppointmentRefundAdmin(AppointmentPaymentAdmin):
    list_display = ["created_at", "appointment", "rule", "amount", "reference", "actor"]
    list_filter = ["rule"]
    raw_id_fields = ["appointment", "payment", "actor"]
