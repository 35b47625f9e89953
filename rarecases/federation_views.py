"""The peer-facing HTTP endpoints: GET /federation/profile/, POST /federation/cases/, POST /federation/usage/.

Peers authenticate by HMAC signature (rarecases.signing), not by session or token. A request that fails
the signature, freshness or nonce check gets 401 and nothing is stored; a payload that fails the schema or
the de-identification check gets 400/422 and nothing is stored (the nonce insert is rolled back too).
"""
from __future__ import annotations

import json

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from rest_framework import serializers

from accounts import policy
from accounts.policy import access
from accounts.services import audit_record

from . import signing
from .services.federation import (
    BATCH_SCHEMA,
    CASE_SCHEMA,
    USAGE_SCHEMA,
    PayloadRefused,
    Unauthorized,
    case_receive,
    platform_profile,
    profile_public,
    request_authenticate,
    usage_receive,
)

MAX_BODY = 2 * 1024 * 1024


class CodeSerializer(serializers.Serializer):
    code = serializers.RegexField(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
    name_en = serializers.CharField(max_length=300, allow_blank=True)
    name_zh = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")
    block = serializers.CharField(max_length=10, allow_blank=True, required=False, default="")


class TermSerializer(serializers.Serializer):
    id = serializers.RegexField(r"^(HP:\d{7}|ORPHA:\d{1,7})$")
    name = serializers.CharField(max_length=300)


class ProvenanceSerializer(serializers.Serializer):
    path = serializers.ListField(child=serializers.SlugField(max_length=64), max_length=20)


class CasePayloadSerializer(serializers.Serializer):
    schema = serializers.ChoiceField(choices=[CASE_SCHEMA])
    origin = serializers.SlugField(max_length=64)
    case_uuid = serializers.UUIDField()
    version = serializers.IntegerField(min_value=1, max_value=10_000)
    title = serializers.CharField(max_length=200)
    age_band = serializers.RegexField(r"^(\d{1,2}-\d{1,2}|90\+|unknown)$")
    sex = serializers.ChoiceField(choices=["female", "male", "other", "unknown"])
    region = serializers.CharField(max_length=64, allow_blank=True)
    codes = CodeSerializer(many=True, allow_empty=False, max_length=20)
    category = serializers.CharField(max_length=10, allow_blank=True)
    chapter = serializers.CharField(max_length=10, allow_blank=True)
    orpha = TermSerializer(many=True, max_length=20)
    phenotypes = TermSerializer(many=True, max_length=50)
    findings = serializers.CharField(max_length=5000, allow_blank=True)
    treatment = serializers.CharField(max_length=5000, allow_blank=True)
    outcome = serializers.CharField(max_length=5000, allow_blank=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=64), max_length=30)
    created_at = serializers.DateTimeField()
    provenance = ProvenanceSerializer()


class UsagePayloadSerializer(serializers.Serializer):
    schema = serializers.ChoiceField(choices=[USAGE_SCHEMA])
    origin = serializers.SlugField(max_length=64)
    case_uuid = serializers.UUIDField()
    version = serializers.IntegerField(min_value=1)
    event_uuid = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=["view", "download", "cite", "forward", "share_peer"])
    at = serializers.DateTimeField()
    source_node = serializers.CharField(max_length=120)
    target_node = serializers.CharField(max_length=120, allow_blank=True)
    depth = serializers.IntegerField(min_value=0, max_value=50)


@access("public")
@require_GET
def profile(request: HttpRequest) -> JsonResponse:
    return JsonResponse(profile_public(platform_profile()))


def _signed_headers(request: HttpRequest) -> dict[str, str]:
    names = (signing.HEADER_KEY, signing.HEADER_TS, signing.HEADER_NONCE, signing.HEADER_HASH, signing.HEADER_SIG)
    return {n: request.headers.get(n, "") for n in names}


def _receive(request: HttpRequest, serializer_class: type[serializers.Serializer], handler) -> JsonResponse:  # type: ignore[no-untyped-def]
    body = request.body
    if len(body) > MAX_BODY:
        return JsonResponse({"detail": "payload too large"}, status=413)
    try:
        with transaction.atomic():
            peer = request_authenticate(method="POST", path=request.path, body=body, headers=_signed_headers(request))
            try:
                data = json.loads(body)
            except ValueError as exc:
                raise PayloadRefused("invalid JSON") from exc
            ser = serializer_class(data=data)
            if not ser.is_valid():
                raise PayloadRefused("schema", extra={"errors": ser.errors})
            return handler(peer, ser.validated_data)
    except Unauthorized as exc:
        # Audited after the rollback, so the refusal is kept while nothing of the request is.
        _refused(object_type="federation", object_id=request.path, reason=str(exc.message))
        return JsonResponse({"detail": "unauthorized"}, status=401)
    except PayloadRefused as exc:
        status = 422 if exc.extra.get("fields") else 400
        _refused(object_type="federation", object_id=request.path,
                 reason=f"{exc.message} {exc.extra.get('fields', '')}".strip())
        return JsonResponse({"detail": str(exc.message), **exc.extra}, status=status)


def _refused(*, object_type: str, object_id: str, reason: str) -> None:
    """A peer's refused request: one audit row through the platform's one refusal function (no user here)."""
    try:
        policy.refuse(actor=None, object_type=object_type, object_id=object_id[:64], action="receive",
                      reason=reason[:200], rule="peer")
    except policy.AccessRefused:
        pass


def _json_ready(data: dict) -> dict:
    return json.loads(json.dumps(data, default=str))


class BatchSerializer(serializers.Serializer):
    schema = serializers.ChoiceField(choices=[BATCH_SCHEMA])
    cases = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=200)


def _receive_batch(peer, data):  # type: ignore[no-untyped-def]
    """Each case of a batch is validated and stored on its own (a savepoint each), so one refused case
    does not refuse the others; the answer lists a status per case, in order. One audit entry per batch."""
    results, stored = [], []
    for item in data["cases"]:
        ser = CasePayloadSerializer(data=item)
        if not ser.is_valid():
            results.append({"status": "refused", "detail": ser.errors})
            continue
        try:
            with transaction.atomic():
                case, created = case_receive(peer=peer, payload=_json_ready(ser.validated_data), audit=False)
        except PayloadRefused as exc:
            _refused(object_type="rarecases.case", object_id=str(item.get("case_uuid", ""))[:64],
                     reason=f"{exc.message} {exc.extra.get('fields', '')}".strip())
            results.append({"status": "refused", "detail": str(exc.message)})
            continue
        results.append({"status": "stored" if created else "duplicate", "case_uuid": str(case.case_uuid),
                        "version": case.version})
        if created:
            stored.append(f"{case.case_uuid}:{case.version}")
    if stored:
        audit_record(actor=None, action="create", object_type="rarecases.case", object_id=f"batch:{len(stored)}",
                     detail={"from_peer": peer.instance_id, "cases": stored})
    return JsonResponse({"results": results}, status=200)


@access("peer")
@csrf_exempt
@require_POST
def cases(request: HttpRequest) -> JsonResponse:
    """One case (schema rarecases.case/1) or a batch (rarecases.batch/1) per signed request."""
    def handle(peer, data):  # type: ignore[no-untyped-def]
        case, created = case_receive(peer=peer, payload=_json_ready(data))
        return JsonResponse({"status": "stored" if created else "duplicate", "case_uuid": str(case.case_uuid),
                             "version": case.version, "receipt": case.pk}, status=201 if created else 200)

    if len(request.body) > MAX_BODY:
        return JsonResponse({"detail": "payload too large"}, status=413)
    try:
        is_batch = json.loads(request.body).get("schema") == BATCH_SCHEMA
    except (ValueError, AttributeError):
        is_batch = False
    if is_batch:
        return _receive(request, BatchSerializer, _receive_batch)
    return _receive(request, CasePayloadSerializer, handle)


@access("peer")
@csrf_exempt
@require_POST
def usage(request: HttpRequest) -> JsonResponse:
    def handle(peer, data):  # type: ignore[no-untyped-def]
        created = usage_receive(peer=peer, payload=_json_ready(data))
        return JsonResponse({"status": "recorded" if created else "duplicate"}, status=201 if created else 200)

    return _receive(request, UsagePayloadSerializer, handle)
