"""Reads that apply permissions: who may act for whom, and the audit trail of a person's data."""
from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import (
    STAFF_ROLES,
    AuditEvent,
    BreakGlassAccess,
    CareGrant,
    Consent,
    ConsentKind,
    Notification,
    Role,
    User,
)


def family_members_of(user: User) -> QuerySet[User]:
    """The family members a patient acts for (not themself)."""
    from .policy import patient_side_ids

    return patient_side_ids(user).exclude(pk=user.pk)


def break_glass_of(patient: User) -> QuerySet[BreakGlassAccess]:
    """Emergency accesses to one patient's record, newest first (shown to the patient with their reasons)."""
    return BreakGlassAccess.objects.filter(patient=patient).select_related("actor", "reviewed_by")


def break_glass_by(actor: User) -> QuerySet[BreakGlassAccess]:
    return BreakGlassAccess.objects.filter(actor=actor).select_related("patient")


def break_glass_for_review(*, include_reviewed: bool = False) -> QuerySet[BreakGlassAccess]:
    qs = BreakGlassAccess.objects.select_related("actor", "patient", "reviewed_by").order_by(
        "reviewed_at", "-opened_at") if not include_reviewed else \
        BreakGlassAccess.objects.select_related("actor", "patient", "reviewed_by").order_by("-opened_at")
    return qs if include_reviewed else qs.filter(reviewed_at__isnull=True)


def care_grants_of(patient: User) -> QuerySet[CareGrant]:
    """The shared-care grants of a record that are still in force (the patient's access page)."""
    from django.utils import timezone

    return (CareGrant.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()),
                                     patient=patient, revoked_at__isnull=True)
            .select_related("doctor__doctor_profile__department", "granted_by"))


def doctors_to_share_with(patient: User) -> QuerySet[User]:
    """Active doctors the record is not yet shared with (the choice on the access page)."""
    shared = CareGrant.objects.filter(patient=patient, revoked_at__isnull=True).values("doctor_id")
    return (User.objects.filter(role=Role.DOCTOR, is_active=True).exclude(pk__in=shared)
            .select_related("doctor_profile__department").order_by("full_name"))


def consent_is_active(*, user: User, kind: str) -> bool:
    return Consent.objects.filter(user=user, kind=kind, withdrawn_at__isnull=True).exists()


def consents_for(user: User) -> dict[str, Consent | None]:
    active = {c.kind: c for c in Consent.objects.filter(user=user, withdrawn_at__isnull=True)}
    return {kind: active.get(kind) for kind in ConsentKind.values}


def audit_events_about(subject: User) -> QuerySet[AuditEvent]:
    """Every access to a person's data, newest first (the "who accessed my record" page)."""
    return AuditEvent.objects.filter(subject=subject).select_related("actor").order_by("-seq")


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at")


def staff_without_required_mfa(user: User) -> bool:
    """A doctor, pharmacist, counsellor or admin with no TOTP authenticator while REQUIRE_STAFF_MFA is on:
    refused by the page middleware and by API token authentication alike."""
    from allauth.mfa.models import Authenticator
    from django.conf import settings

    return bool(settings.REQUIRE_STAFF_MFA and getattr(user, "role", None) in STAFF_ROLES
                and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists())
