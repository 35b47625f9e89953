"""Small helpers shared by every app's page views."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .errors import ApplicationError
from .services.audit import audit_denied


def role_required(*roles: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Only users with one of `roles` may open the page; anyone else gets a 403 and an audit entry."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.user.role not in roles:
                audit_denied(actor=request.user, object_type="page", object_id=request.path,
                             reason=f"role {request.user.role} not in {','.join(roles)}")
                return render(request, "403.html", status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def paginate(request: HttpRequest, items: Any, per_page: int = 25) -> Page:
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def flash_error(request: HttpRequest, error: ApplicationError) -> None:
    """Show a domain error as a message (pages' one place to turn ApplicationError into feedback)."""
    messages.error(request, str(error.message))
