"""Reads that apply permissions: who may act for whom, and the audit trail of a person's data."""
from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import STAFF_ROLES, AuditEvent, Consent, ConsentKind, Notification, Role, User


def patients_actable_by(user: User) -> QuerySet[User]:
    """The patient accounts `user` may act for: themselves and the family members linked to them."""
    if not user.is_authenticated or user.role != Role.PATIENT:
        return User.objects.none()
    return User.objects.filter(Q(pk=user.pk) | Q(acted_for_by__principal=user)).distinct()


def user_can_act_for(user: User, patient: User) -> bool:
    return patients_actable_by(user).filter(pk=patient.pk).exists()


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
