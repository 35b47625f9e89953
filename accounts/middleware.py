from __future__ import annotations

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
        token = current_request.set(RequestContext(ip=client_ip(request), path=request.get_full_path()))
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)


class StaffMfaRequiredMiddleware:
    """Send doctors, pharmacists, counsellors and admins without TOTP to MFA set-up (REQUIRE_STAFF_MFA)."""

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
            from allauth.mfa.models import Authenticator

            if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                if request.path.startswith("/api/"):
                    from django.http import JsonResponse

                    return JsonResponse({"detail": "Multi-factor authentication must be set up first."}, status=403)
                return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
