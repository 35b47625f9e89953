"""API token authentication: DRF's own, plus the staff MFA rule. StaffMfaRequiredMiddleware sees only session
users (a token is read later, by DRF), so a doctor's, pharmacist's, counsellor's or admin's token is refused
here while that person has no TOTP authenticator (REQUIRE_STAFF_MFA). Patients' tokens cost no extra query."""
from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from .policy import RoleRefused, refuse
from .selectors import staff_without_required_mfa


class MfaAwareTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        user, token = super().authenticate_credentials(key)
        if staff_without_required_mfa(user):   # checks the role first: no query for patients
            try:
                refuse(actor=user, object_type="api_token", object_id=str(user.pk), reason="mfa_required",
                       rule="staff_mfa", status=403)
            except RoleRefused:
                raise exceptions.PermissionDenied(_("Multi-factor authentication must be set up first.")) from None
        return user, token
