"""The platform's error answers (urls.py handler400/403/404/500): JSON `{"detail"}` under /api/, the platform's
own pages elsewhere (with the demo banner and the log-in link of base.html) — never Django's debug page, which
`make run` no longer shows unless DEBUG=1 (settings/local.py)."""
from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults

from .middleware import wants_json

logger = logging.getLogger(__name__)

PLAIN_500 = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Server error · 服务器错误</title></head>"
             "<body><h1>Server error · 服务器错误</h1><p>Something went wrong on our side. Please try again. · "
             "系统出错，请稍后再试。</p></body></html>")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"detail": _("Bad request."), "code": "bad_request"}, status=400)
    return defaults.bad_request(request, exception, template_name="400.html")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"detail": _("You do not have permission to perform this action."),
                             "code": "forbidden"}, status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"detail": _("Server error. Please try again."), "code": "server_error"}, status=500)
    try:
        # The full layout (demo banner, log-in link) when it can still be drawn …
        return HttpResponseServerError(loader.get_template("500.html").render({}, request))
    except Exception:  # noqa: BLE001 - … a plain bilingual page when even that fails (database down)
        logger.warning("the 500 page could not be rendered; sent the plain one", exc_info=True)
        return HttpResponseServerError(PLAIN_500)
