"""GET /api/consult/recommendations/: the caller's recommended doctors with reasons."""
from __future__ import annotations

from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.policy import Allows, access

from ..selectors.recommend import recommendations_for


@access("own")
class RecommendationsApi(APIView):
    permission_classes = [Allows("booking.book")]

    def get(self, request):  # type: ignore[no-untyped-def]
        recs, cold = recommendations_for(patient=request.user)
        return Response({"cold_start": cold, "results": [
            {"doctor": r.doctor.pk, "name": r.doctor.display_name, "score": round(r.score, 3), "reasons": r.reasons}
            for r in recs]})
