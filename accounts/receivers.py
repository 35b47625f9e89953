"""Audit of log-ins. Django's auth signals are the one hook every log-in path passes through."""
from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .audit import audit_record
from .models import AuditAction


@receiver(user_logged_in, dispatch_uid="audit_login")
def _audit_login(sender, request, user, **kwargs):  # type: ignore[no-untyped-def]
    audit_record(actor=user, action=AuditAction.LOGIN, object_type="session", subject=None)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _audit_logout(sender, request, user, **kwargs):  # type: ignore[no-untyped-def]
    if user is not None:
        audit_record(actor=user, action=AuditAction.LOGOUT, object_type="session")


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _audit_login_failed(sender, credentials, request=None, **kwargs):  # type: ignore[no-untyped-def]
    attempted = str(credentials.get("email") or credentials.get("username") or "")[:150]
    audit_record(actor=None, action=AuditAction.LOGIN_FAILED, object_type="session", outcome="failed",
                 actor_label=f"anonymous ({attempted})", detail={"attempted": attempted})


def _forget_mfa_check(sender, request=None, **kwargs):  # type: ignore[no-untyped-def]
    from .middleware import forget_mfa_check

    forget_mfa_check(request)


def _connect_mfa() -> None:
    from allauth.mfa.signals import authenticator_removed

    authenticator_removed.connect(_forget_mfa_check, dispatch_uid="forget_mfa_check")


_connect_mfa()
