from __future__ import annotations

from dataclasses import asdict
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from accounts.policy.routes import access
from knowledge import services
from knowledge.triage import MAX_TEXT
from platform_site import serializers


class TriageInput(serializers.Serializer):
    text = serializers.CharField(max_length=MAX_TEXT, allow_blank=False, trim_whitespace=True)
    age = serializers.FloatField(min_value=0, max_value=130)
    sex = serializers.ChoiceField(choices=["female", "male"])
    language = serializers.ChoiceField(choices=["en", "zh-hans"], default="en")


class TriageOutput(serializers.Serializer):
    urgency = serializers.ChoiceField(choices=["emergency", "urgent", "routine", "self_care"])
    red_flags = serializers.ListField(child=serializers.DictField())
    departments = serializers.ListField(child=serializers.DictField())
    conditions = serializers.ListField(child=serializers.DictField())
    symptoms = serializers.ListField(child=serializers.DictField())
    advice = serializers.CharField()


class TriageThrottle(SimpleRateThrottle):
    """Anonymous visitors by address, logged-in users by account: 30 triage answers a minute."""
    scope = "triage"
    rate = "30/min"

    def get_cache_key(self, request: Request, view: Any) -> str:
        ident = request.user.pk if request.user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


@access("public")
class TriageApi(APIView):
    permission_classes: list[Any] = []  # open to anonymous visitors (rate-limited)
    throttle_classes = [TriageThrottle]

    serializer_class = TriageInput

    @extend_schema(request=TriageInput, responses=TriageOutput)
    def post(self, request: Request) -> Response:
        data = TriageInput(data=request.data)
        data.is_valid(raise_exception=True)
        answer = services.triage_for(request.user, **data.validated_data)
        return Response(asdict(answer))
