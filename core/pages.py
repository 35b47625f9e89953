"""Small helpers shared by every app's page views."""
from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import HttpRequest

from .errors import ApplicationError


def paginate(request: HttpRequest, items: Any, per_page: int = 25) -> Page:
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def flash_error(request: HttpRequest, error: ApplicationError) -> None:
    """Show a domain error as a message (pages' one place to turn ApplicationError into feedback). A refusal
    of the access policy is not feedback: it is raised on, and answered as the 404/403 page (already audited)."""
    # A refusal of the access policy (accounts.policy.refusal) marks itself audited: it is not feedback, it is
    # raised on and answered as the 404/403 page.
    if getattr(error, "audited", False) and error.code in ("not_found", "forbidden", "not_authenticated"):
        raise error
    messages.error(request, str(error.message))
