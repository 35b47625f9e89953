"""The input boundary for what no form or serializer reads: query strings, form bodies, body sizes.

Many pages read `request.GET` / `request.POST` directly (a search box, a reason field), so the text rule is
applied here to every query parameter and every form field (names, addresses and reasons strictly, by field
name), and to uploaded file names. An oversized body is refused before a view runs: JSON over
INPUT_JSON_MAX_BYTES, a form body over DATA_UPLOAD_MAX_MEMORY_SIZE — a 413 naming the limit (JSON under /api/,
the platform's page elsewhere), sent after the rest of the body was read, so a client still sending gets the
answer instead of a broken pipe. Bodies a view left unread are drained too, for the same reason.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

from . import inputs
from .parsers import drain, json_max_bytes

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


# Machine-to-machine protocols with their own body limit and error format (Matchmaker Exchange: 1 MiB and
# {"message"}, rarecases/mme_views.py).
MACHINE_PROTOCOL_PATHS = ("/mme/",)


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(("/api/", "/fhir/", "/federation/", "/mme/")) or "application/json" in request.headers.get("Accept", "")


def refusal(request: HttpRequest, status: int, detail: str, code: str) -> HttpResponse:
    """A 4xx answer of the boundary: JSON `{"detail", "code"}` for the API, the platform's page otherwise."""
    if wants_json(request):
        return JsonResponse({"detail": detail, "code": code}, status=status)
    template = loader.select_template([f"{status}.html", "400.html"])
    return HttpResponse(template.render({"message": detail, "status": status}, request), status=status)


def _content_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def _drain_unread(request: HttpRequest) -> None:
    if _content_length(request) and not getattr(request, "_read_started", True):
        drain(request)


def _first_bad(items: Any) -> tuple[str, inputs.InputError] | None:
    for key, values in items:
        error = inputs.text_error(key)
        if error is not None:
            return key, error
        for value in values:
            if isinstance(value, str):
                error = inputs.text_error(value, strict=inputs.is_strict_field(key))
                if error is not None:
                    return key, error
    return None


class InputBoundaryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self._refused(request)
        if response is None:
            response = self.get_response(request)
        _drain_unread(request)
        return response

    def _refused(self, request: HttpRequest) -> HttpResponse | None:
        bad = _first_bad(request.GET.lists())
        if bad is not None:
            return self._bad_field(request, *bad)
        length = _content_length(request)
        content_type = request.content_type or ""
        if content_type == "application/json" or content_type.endswith("+json"):
            if request.path.startswith(MACHINE_PROTOCOL_PATHS):
                return None  # these protocols bound and refuse their bodies in their own error format
            limit = json_max_bytes()
            if length > limit:
                return self._too_large(request, inputs.msg_json_too_large(limit))
            return None
        if content_type in FORM_TYPES and request.method in ("POST", "PUT", "PATCH"):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if content_type == "application/x-www-form-urlencoded" and limit is not None and length > limit:
                return self._too_large(request, inputs.msg_body_too_large(limit))
            try:
                bad = _first_bad(request.POST.lists())
                files = request.FILES
            except RequestDataTooBig:
                return self._too_large(request, inputs.msg_body_too_large(limit))
            except TooManyFieldsSent:
                return refusal(request, 400, _("The form has too many fields."), "too_many_fields")
            if bad is None:
                bad = _first_bad((key, [f.name or "" for f in files.getlist(key)]) for key in files)
            if bad is not None:
                return self._bad_field(request, *bad)
        return None

    def _bad_field(self, request: HttpRequest, name: str, error: inputs.InputError) -> HttpResponse:
        detail = _("%(field)s: %(message)s") % {"field": inputs.shown(name), "message": error.message}
        return refusal(request, 400, detail, error.code)

    def _too_large(self, request: HttpRequest, detail: str) -> HttpResponse:
        # Read the rest first: answering while the client still sends makes it see a broken pipe.
        drain(request)
        response = refusal(request, 413, detail, "too_large")
        return response
