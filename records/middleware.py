"""Every error answered under /fhir/ is an OperationOutcome (FHIR R4 §3.1.0.4.2), also those that never reach a
FHIR view: an unknown path (Django's 404), a method not allowed, the input boundary's 400/413, a CSRF 403, a 500.
The FHIR views answer their own errors as OperationOutcomes already (records.apis.fhir)."""
from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse, JsonResponse

from .apis.fhir import FHIR_JSON, operation_outcome

FHIR_PREFIX = "/fhir/"


class FhirErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(FHIR_PREFIX) or response.status_code < 400 \
                or response.get("Content-Type", "").startswith(FHIR_JSON):
            return response
        outcome = JsonResponse(operation_outcome(response.status_code, _diagnostics(response)),
                               status=response.status_code, content_type=f"{FHIR_JSON}; charset=utf-8",
                               json_dumps_params={"ensure_ascii": False})
        for header in ("Allow", "WWW-Authenticate", "Retry-After", "Content-Security-Policy", "Vary"):
            if header in response:
                outcome[header] = response[header]
        return outcome


def _diagnostics(response: HttpResponse) -> str:
    """The answer's own message when it is JSON with a `detail` (the platform's error answers), else the
    status's phrase."""
    if response.get("Content-Type", "").startswith("application/json") and not response.streaming:
        try:
            body = json.loads(response.content)
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("detail"):
            return str(body["detail"])
    try:
        return HTTPStatus(response.status_code).phrase
    except ValueError:
        return str(response.status_code)
