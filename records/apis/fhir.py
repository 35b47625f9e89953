"""The FHIR R4 endpoint (session or token auth; the same access rules as the record pages).

What a FHIR client expects (docs/security.md "FHIR"):
- content negotiation: `Accept: application/fhir+json`, `application/json`, `*/*` (or none) and `_format=json` /
  `_format=application/fhir+json` all answer `application/fhir+json`; any other format is a 406;
- every error under /fhir/ (404, 403, 401, 400, 405, 406, 500) is an `OperationOutcome` — from these views
  (their exception handler) and from everything before them (records.middleware.FhirErrorMiddleware);
- `GET /fhir/metadata` is the `CapabilityStatement` of what this server really does.
"""
from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.policy import access
from platform_site import serializers
from platform_site.api import exception_handler

from ..selectors.records import record_patient_for
from ..services.fhir import FHIR_VERSION, patient_everything

FHIR_JSON = "application/fhir+json"
# `_format` values and Accept media types that mean FHIR JSON (the spec's short forms, the R4 and the older
# DSTU2 MIME type, plain JSON); "+" may arrive decoded as a space from an unencoded query string.
JSON_FORMATS = frozenset({"json", "fhir+json", "application/json", FHIR_JSON, "application/json+fhir"})
JSON_ACCEPTS = JSON_FORMATS | {"*/*", "application/*"}

# FHIR's issue type for each HTTP error (https://hl7.org/fhir/R4/valueset-issue-type.html).
ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
               406: "not-supported", 409: "conflict", 410: "deleted", 413: "too-costly", 415: "not-supported",
               422: "processing", 429: "throttled"}


def operation_outcome(status: int, diagnostics: str) -> dict[str, Any]:
    """An OperationOutcome with one error issue for an HTTP error `status` (FHIR R4 §3.1.0.4.2: errors are
    answered with an OperationOutcome)."""
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": "fatal" if status >= 500 else "error",
                       "code": ISSUE_CODES.get(status, "exception" if status >= 500 else "processing"),
                       "diagnostics": diagnostics}]}


class FhirJsonRenderer(BaseRenderer):
    media_type = FHIR_JSON
    format = "json"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: dict[str, Any] | None = None) -> bytes:
        if data is None:
            return b""
        return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


def _media_types(header: str) -> list[str]:
    """The media types of an Accept header with a quality above 0, parameters (fhirVersion, q) dropped."""
    found = []
    for part in header.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = next((p.split("=", 1)[1] for p in params if p.replace(" ", "").startswith("q=")), "1")
        try:
            if float(quality) <= 0:
                continue
        except ValueError:
            continue
        if media:
            found.append(media.lower().replace(" ", "+"))
    return found


class FhirContentNegotiation(BaseContentNegotiation):
    """FHIR JSON or nothing: `_format` wins over Accept (FHIR R4 §3.1.0.1.10); anything else answers 406."""

    def select_parser(self, request: Any, parsers: list[Any]) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Any, renderers: list[Any], format_suffix: str | None = None) -> Any:
        renderer = renderers[0]
        wanted = request.query_params.get("_format")
        if wanted is not None:
            if wanted.strip().lower().replace(" ", "+").split(";")[0] in JSON_FORMATS:
                return renderer, FHIR_JSON
            raise NotAcceptable(_("Only FHIR JSON is served here (_format=json or application/fhir+json)."))
        header = request.META.get("HTTP_ACCEPT", "").strip()
        if not header or any(media in JSON_ACCEPTS for media in _media_types(header)):
            return renderer, FHIR_JSON
        raise NotAcceptable(_("Only FHIR JSON is served here (Accept: application/fhir+json or application/json)."))


def fhir_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """The platform's handler (the same statuses and audit), its answer as an OperationOutcome."""
    response = exception_handler(exc, context)
    if response is not None:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else str(response.data)
        response.data = operation_outcome(response.status_code, str(detail))
        response.content_type = f"{FHIR_JSON}; charset=utf-8"
    return response


# The schema of the error answers (drf-spectacular).
OperationOutcomeSchema = inline_serializer("OperationOutcome", {
    "resourceType": serializers.ChoiceField(choices=["OperationOutcome"]),
    "issue": serializers.ListField(child=inline_serializer("OperationOutcomeIssue", {
        "severity": serializers.CharField(help_text="fatal, error, warning or information"),
        "code": serializers.CharField(),
        "diagnostics": serializers.CharField(),
    })),
})
_ERRORS = {code: OpenApiResponse(OperationOutcomeSchema, description=description) for code, description in (
    (400, "Invalid request (OperationOutcome)."), (403, "Not allowed (OperationOutcome)."),
    (404, "No such patient for this caller (OperationOutcome)."),
    (406, "Unsupported format: only FHIR JSON (OperationOutcome)."))}
FORMAT_PARAMETER = OpenApiParameter(
    "_format", str, required=False, enum=["json", "application/json", FHIR_JSON],
    description="The format of the answer (FHIR JSON only); overrides the Accept header.")


class FhirApiView(APIView):
    renderer_classes = [FhirJsonRenderer]
    content_negotiation_class = FhirContentNegotiation

    def get_exception_handler(self):  # type: ignore[no-untyped-def]
        return fhir_exception_handler


@access("patient_record")
class PatientEverythingApi(FhirApiView):
    @extend_schema(
        operation_id="fhir_patient_everything",
        summary="FHIR R4 Bundle (searchset) of everything about one patient",
        parameters=[OpenApiParameter("download", bool, description="attachment"), FORMAT_PARAMETER],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="A FHIR R4 Bundle (searchset)."),
                   **_ERRORS})
    def get(self, request, patient_id: int):  # type: ignore[no-untyped-def]
        patient = record_patient_for(user=request.user, patient_id=patient_id, object_type="fhir_bundle")
        base = request.build_absolute_uri("/fhir/").rstrip("/")
        bundle = patient_everything(actor=request.user, patient=patient, base_url=base)
        response = Response(bundle)
        if request.query_params.get("download"):
            response["Content-Disposition"] = f'attachment; filename="patient-{patient.pk}-fhir.json"'
        return response


@access("public")
class CapabilityStatementApi(FhirApiView):
    """What this FHIR server really does: one operation, Patient `$everything`, read-only, JSON only."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(operation_id="fhir_metadata", summary="FHIR R4 CapabilityStatement of this server",
                   parameters=[FORMAT_PARAMETER],
                   responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="A CapabilityStatement."),
                              400: _ERRORS[400], 406: _ERRORS[406]})
    def get(self, request):  # type: ignore[no-untyped-def]
        base = request.build_absolute_uri("/fhir/").rstrip("/")
        return Response(capability_statement(base))


def capability_statement(base_url: str) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.now().date().isoformat(),
        "publisher": "MedPlatform",
        "kind": "instance",
        "software": {"name": "MedPlatform", "version": settings.SPECTACULAR_SETTINGS.get("VERSION", "1")},
        "implementation": {"description": "MedPlatform FHIR export", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": [FHIR_JSON, "json"],
        "rest": [{
            "mode": "server",
            "documentation": ("Read-only export. Patient/{id}/$everything answers a searchset Bundle of the "
                              "patient's Patient, Practitioner, Encounter, Condition, Observation, "
                              "AllergyIntolerance, MedicationRequest and Appointment resources, to the patient "
                              "(or their proxy) and to doctors the access policy lets read the record."),
            "security": {"description": ("A logged-in session or an API token (Authorization: Token …); "
                                         "refusals are audited and answer 404 for other people's records."),
                         "cors": False},
            "resource": [{
                "type": "Patient",
                "operation": [{"name": "everything",
                               "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"}],
            }],
        }],
    }
