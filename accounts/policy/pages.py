"""The policy at the page edge: a decorator for role gates, and a middleware that answers a refusal raised
anywhere below a page (AccessRefused → the 404 page, RoleRefused → the 403 page). Both rely on
`refuse()` having written the audit row already."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .refusal import AccessRefused, LoginRequired, RoleRefused, refuse, require
from .rules import can


def page(capability: str | None = None) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A page for logged-in users — with `capability`, only for the roles that have it (rules.CAPABILITIES).
    Anonymous visitors are sent to the log-in form, other roles get the 403 page; both are audited once."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            try:
                if not user.is_authenticated:
                    refuse(actor=None, object_type="page", object_id=request.path[:64], reason="anonymous",
                           action=request.method.lower(), status=401)
                if capability:
                    require(can(user, capability), actor=user, object_type="page", object_id=request.path[:64],
                            action=request.method.lower(), status=403)
            except LoginRequired:
                return redirect_to_login(request.get_full_path())
            except RoleRefused:
                return render(request, "403.html", status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class RefusalMiddleware:
    """Turns a refusal that escaped a page view into the right page (the row is already written)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, LoginRequired):
            return redirect_to_login(request.get_full_path())
        if isinstance(exception, RoleRefused):
            return render(request, "403.html", status=403)
        if isinstance(exception, AccessRefused):
            return render(request, "404.html", status=404)
        return None
