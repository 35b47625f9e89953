"""API token authentication that keeps the staff MFA rule: StaffMfaRequiredMiddleware sees only session
users (a token is read later, by DRF), so a doctor's, pharmacist's, counsellor's or admin's token is refused
here while that person has no TOTP authenticator (REQUIRE_STAFF_MFA). Patients' tokens cost no extra query."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from .models import STAFF_ROLES


class MfaAwareTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        user, token = super().authenticate_credentials(key)
        if settings.REQUIRE_STAFF_MFA and user.role in STAFF_ROLES:
            from allauth.mfa.models import Authenticator

            if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                from accounts.services import audit_denied

                audit_denied(actor=user, object_type="api_token", object_id=str(user.pk), subject=None,
                             reason="staff token without MFA")
                raise exceptions.PermissionDenied(_("Multi-factor authentication must be set up first."))
        return user, token
