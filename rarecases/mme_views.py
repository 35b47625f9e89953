"""The Matchmaker Exchange endpoints (ga4gh/mme-apis v1.1): POST /mme/match, GET /mme/heartbeat, GET /mme/metrics.

Machine to machine: a peer authenticates by its X-Auth-Token (join-protocol.md), never by a session or a
user, so these views are CSRF-exempt and never read request.user or the session (no cookie is needed or
used). Order of checks for /match: method (405), token (401, audited, nothing logged as a match), media
types (415 / 406 with supportedVersions), body size (413), JSON (400), schema (422), then the match. Every
error is JSON with a human-readable "message" (search-api.md, Error handling).
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from accounts import policy
from accounts.policy.routes import access

from . import mme_protocol as proto
from .models import MmeNode
from .services import mme

logger = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024


def _json(body: dict[str, Any], *, status: int = 200, version: str = proto.LATEST) -> JsonResponse:
    return JsonResponse(body, status=status, content_type=proto.media_type(version),
                        json_dumps_params={"ensure_ascii": False})


def _error(status: int, message: str, **extra: Any) -> JsonResponse:
    return _json({"message": message, **extra}, status=status)


def _refuse(request: HttpRequest, reason: str) -> JsonResponse:
    """The one place an MME request is refused for its token: one audit row, a 401, nothing else stored."""
    try:
        policy.refuse(actor=None, object_type="mme", object_id=request.path[:64], action="receive", reason=reason,
                      rule="peer", status=401)
    except policy.LoginRequired:
        pass
    return _error(401, "invalid or missing X-Auth-Token")


def _authenticated(request: HttpRequest) -> MmeNode | None:
    return mme.node_authenticate(request.headers.get("X-Auth-Token", "").strip())


@access("peer")
@csrf_exempt
def match(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        response = _error(405, "method not allowed: send the match request with POST")
        response["Allow"] = "POST"
        return response
    node = _authenticated(request)
    if node is None:
        return _refuse(request, "unknown or missing X-Auth-Token")
    negotiated = proto.negotiate(request.headers.get("Content-Type", ""), request.headers.get("Accept", ""))
    if not negotiated.ok:
        extra = {"supportedVersions": list(proto.SUPPORTED_VERSIONS)} if negotiated.status == 406 else {}
        return _error(negotiated.status, negotiated.message, **extra)
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if (declared.isdigit() and int(declared) > MAX_BODY) or len(request.body) > MAX_BODY:
        return _error(413, f"request body larger than {MAX_BODY} bytes")
    try:
        data = json.loads(request.body)
    except ValueError:
        return _error(400, "the request body is not valid JSON")
    problems = proto.errors("request", data)
    if problems:
        return _error(422, "the request does not follow the MME API schema", errors=problems)
    body = mme.mme_match(node=node, request_body=data)
    invalid = proto.errors("response", body)
    if invalid:  # our own bug: answer anyway (the peer may still use it) but say so in the log
        logger.error("MME response does not follow the schema: %s", invalid)
    return _json(body, version=negotiated.version)


def _get_only(view: Callable[[], dict[str, Any]]) -> Callable[[HttpRequest], JsonResponse]:
    @csrf_exempt
    def wrapped(request: HttpRequest) -> JsonResponse:
        if request.method != "GET":
            response = _error(405, "method not allowed: use GET")
            response["Allow"] = "GET"
            return response
        if _authenticated(request) is None:
            return _refuse(request, "unknown or missing X-Auth-Token")
        return _json(view())

    wrapped.__name__ = view.__name__
    return wrapped


heartbeat = access("peer")(_get_only(mme.heartbeat))
metrics = access("peer")(_get_only(mme.metrics))
