from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import (
    AuditEvent,
    Consent,
    CounsellorProfile,
    DoctorCredential,
    DoctorProfile,
    FamilyLink,
    IdentityVerification,
    Notification,
    OutboundEmail,
    PatientProfile,
    PharmacistProfile,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "is_active", "is_managed", "date_joined"]
    list_filter = ["role", "is_active", "is_managed"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Person"), {"fields": ("full_name", "role", "is_managed", "time_zone", "preferred_language")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),)


for model in (PatientProfile, DoctorProfile, PharmacistProfile, CounsellorProfile):
    admin.site.register(model, list_display=["user"], search_fields=["user__email", "user__full_name"])


@admin.register(FamilyLink)
class FamilyLinkAdmin(admin.ModelAdmin):
    list_display = ["principal", "member", "relationship", "created_at"]


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "granted_at", "withdrawn_at"]
    list_filter = ["kind"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit log is read-only here; on PostgreSQL a trigger also refuses UPDATE and DELETE."""

    list_display = ["seq", "at", "actor_label", "action", "object_type", "object_id", "subject", "outcome", "ip"]
    list_filter = ["action", "outcome", "object_type"]
    search_fields = ["actor_label", "object_type", "object_id"]
    date_hierarchy = "at"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["user", "kind", "title", "created_at", "read_at"]


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    list_display = ["subject", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status"]


@admin.register(IdentityVerification)
class IdentityVerificationAdmin(ReadOnlyAdmin):
    """Real-name identities, masked: the number itself is never shown (PIPL; docs/compliance.md)."""

    list_display = ["user", "legal_name", "document_type", "number_masked", "verified_at"]
    fields = ["user", "legal_name", "document_type", "number_masked", "nationality", "birth_date", "verified_at",
              "recorded_by"]
    search_fields = ["user__email", "legal_name"]


@admin.register(DoctorCredential)
class DoctorCredentialAdmin(admin.ModelAdmin):
    """An administrator records a doctor's registered institution, its consent and the start of independent
    practice from the documents; saved through the service (validated, audited)."""

    list_display = ["doctor", "institution", "institution_consent_at", "independent_practice_since", "recorded_at"]
    fields = ["doctor", "institution", "institution_consent_at", "institution_consent_reference",
              "independent_practice_since"]
    search_fields = ["doctor__email", "institution"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        from .services import doctor_credential_record

        saved = doctor_credential_record(
            actor=request.user, doctor=obj.doctor, institution=obj.institution,
            institution_consent_at=obj.institution_consent_at,
            independent_practice_since=obj.independent_practice_since,
            consent_reference=obj.institution_consent_reference)
        obj.pk = saved.pk
