"""GET /api/consult/recommendations/: the caller's recommended doctors with reasons."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.policy import Allows, access
from platform_site import serializers

from ..selectors.recommend import recommendations_for


class RecommendationOut(serializers.Serializer):
    doctor = serializers.IntegerField()
    name = serializers.CharField()
    score = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.CharField())


class RecommendationsOut(serializers.Serializer):
    cold_start = serializers.BooleanField()
    results = RecommendationOut(many=True)


@access("own")
class RecommendationsApi(APIView):
    permission_classes = [Allows("booking.book")]

    @extend_schema(responses=RecommendationsOut)
    def get(self, request):  # type: ignore[no-untyped-def]
        recs, cold = recommendations_for(patient=request.user)
        return Response(RecommendationsOut({"cold_start": cold, "results": [
            {"doctor": r.doctor.pk, "name": r.doctor.display_name, "score": round(r.score, 3), "reasons": r.reasons}
            for r in recs]}).data)
