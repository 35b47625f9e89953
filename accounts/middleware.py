from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .context import RequestContext, current_request
from .models import STAFF_ROLES


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Makes the client IP and path available to services that write audit entries."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_request.set(RequestContext(ip=client_ip(request), path=request.get_full_path(),
                                                   mfa=lambda: session_used_mfa(request)))
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)


def session_used_mfa(request: HttpRequest) -> bool:
    """Did this session's log-in include a second factor (allauth records each authentication step in the
    session)? An API call with a token has no such record: False."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(request, "session", None) is None:
        return False
    from allauth.account.authentication import get_authentication_records

    return any(record.get("method") == "mfa" for record in get_authentication_records(request, user))


class SessionIdleRefreshMiddleware:
    """Sliding expiry without a session write on every request: a logged-in session is saved again (its
    expiry pushed to SESSION_COOKIE_AGE from now) when its last refresh is SESSION_REFRESH_SECONDS old. The
    idle time-out is then between SESSION_COOKIE_AGE − SESSION_REFRESH_SECONDS and SESSION_COOKIE_AGE; the
    write saved is one UPDATE per page (bench/booking.py). Place it right after SessionMiddleware."""

    KEY = "_refreshed"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and not session.is_empty():
            now = int(time.time())
            if now - int(session.get(self.KEY, 0)) >= settings.SESSION_REFRESH_SECONDS:
                session[self.KEY] = now   # marks the session modified: SessionMiddleware saves it
        return response


MFA_CHECKED = "_staff_mfa_ok"


class StaffMfaRequiredMiddleware:
    """Send doctors, pharmacists, counsellors and admins without TOTP to MFA set-up (REQUIRE_STAFF_MFA).
    Once a session's user is seen with a TOTP authenticator, the session remembers it (no query per request);
    removing the authenticator forgets it (accounts.apps: allauth's authenticator_removed signal)."""

    ALLOWED_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/api/schema/", "/favicon")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            settings.REQUIRE_STAFF_MFA
            and user is not None
            and user.is_authenticated
            and user.role in STAFF_ROLES
            and not request.path.startswith(self.ALLOWED_PREFIXES)
        ):
            from .selectors import staff_without_required_mfa

            session = getattr(request, "session", None)
            if session is not None and session.get(MFA_CHECKED) == user.pk:
                return self.get_response(request)
            if staff_without_required_mfa(user):
                if request.path.startswith("/api/"):
                    from django.http import JsonResponse

                    return JsonResponse({"detail": "Multi-factor authentication must be set up first."}, status=403)
                return redirect(reverse("mfa_activate_totp"))
            if session is not None:
                session[MFA_CHECKED] = user.pk
        return self.get_response(request)


def forget_mfa_check(request: HttpRequest | None, **kwargs: object) -> None:
    """allauth's authenticator_removed: the next request checks the database again."""
    session = getattr(request, "session", None)
    if session is not None:
        session.pop(MFA_CHECKED, None)
