"""API token authentication that keeps the staff MFA rule: StaffMfaRequiredMiddleware sees only session
users (a token is read later, by DRF), so a doctor's, pharmacist's, counsellor's or admin's token is refused
here while that person has no TOTP authenticator (REQUIRE_STAFF_MFA). Patients' tokens cost no extra query.

The token's user is read with one statement compiled once per database (platform_site.db.built_once): DRF's
`Token.objects.select_related("user").get(key=…)` spent ~1.1 ms of CPU per API request building the query,
the same statement read through a RawQuerySet ~0.4 ms, through platform_site.db.CompiledRead less again
(bench/booking.py). Same rows, same converters."""
from __future__ import annotations

from typing import Any

from django.db import connection
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from platform_site.db import CompiledRead, built_once

from .models import User
from .policy import RoleRefused, refuse
from .selectors import staff_without_required_mfa


def _token_user_read() -> CompiledRead:
    return CompiledRead(User.objects.filter(auth_token__key="?"), ("?",))


def user_for_token(key: str) -> tuple[User, Token] | None:
    """The user owning API token `key` and the token (its user cached; its other fields are loaded on first
    access, as with .only()), or None."""
    user = built_once("accounts.token_user", _token_user_read).first([key])
    if user is None:
        return None
    token = Token.from_db(connection.alias, ["key", "user_id"], [key, user.pk])
    Token.user.field.set_cached_value(token, user)
    return user, token


class MfaAwareTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        found = user_for_token(key)
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user, token = found
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if staff_without_required_mfa(user):   # checks the role first: no query for patients
            try:
                refuse(actor=user, object_type="api_token", object_id=str(user.pk), reason="mfa_required",
                       rule="staff_mfa", status=403)
            except RoleRefused:
                raise exceptions.PermissionDenied(_("Multi-factor authentication must be set up first.")) from None
        return user, token
