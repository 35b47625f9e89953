"""Middleware of operations: the probes and /metrics (first, before anything else runs), then the request id and
the log context for every other request."""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from accounts.context import current_request_id

from . import health, metrics
from .request_id import HEADER, request_id_for

logger = logging.getLogger("medplatform.request")

HEALTHZ, READYZ, METRICS = "/healthz", "/readyz", "/metrics"


def _json(body: dict, status: int = 200) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


class ProbeMiddleware:
    """Answers /healthz, /readyz and /metrics before any other middleware.

    A load balancer probes a node by its address, and Prometheus scrapes it the same way: the Host header is
    then the node's IP, which ALLOWED_HOSTS rightly refuses, and the probe is plain HTTP, which the production
    HTTPS redirect would bounce. Answering here skips both, and skips what a probe must not cost or cause:
    the session and user reads, the MFA redirect, the audit log, allauth's rate limits, the access log.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info.rstrip("/") or "/"
        if path == HEALTHZ:
            return _json({"status": "ok"})
        if path == READYZ:
            ok, body = health.readiness()
            return _json(body, 200 if ok else 503)
        if path == METRICS:
            if not metrics.allowed(request):
                return _json({"detail": "metrics need the bearer token (METRICS_TOKEN)"}, 403)
            response = HttpResponse(metrics.exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")
            response["Cache-Control"] = "no-store"
            return response
        return self.get_response(request)


class RequestLogMiddleware:
    """A request id per request (the `X-Request-ID` response header, the audit rows' request_id, the log lines),
    the log context (request id, user id, route — never names, query strings or health data), and in production
    one JSON line per request (REQUEST_LOG) with method, route, status and duration."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = request_id_for(request.headers.get(HEADER))
        request.request_id = rid  # type: ignore[attr-defined]
        token = current_request_id.set(rid)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=rid)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = rid
            if getattr(settings, "REQUEST_LOG", False):
                self._log(request, response.status_code, started)
            return response
        finally:
            current_request_id.reset(token)
            structlog.contextvars.clear_contextvars()

    def process_view(self, request: HttpRequest, view_func: Callable, view_args: tuple, view_kwargs: dict) -> None:
        match = request.resolver_match
        context: dict = {"route": match.route if match else ""}
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            context["user_id"] = user.pk
        structlog.contextvars.bind_contextvars(**context)

    def _log(self, request: HttpRequest, status: int, started: float) -> None:
        match = request.resolver_match
        user = getattr(request, "user", None)   # DRF sets it here too for token-authenticated API calls
        extra = {
            "method": request.method,
            "route": match.route if match else "",
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        }
        if user is not None and user.is_authenticated:
            extra["user_id"] = user.pk
        logger.info("request", extra=extra)
