"""FHIR R4 `$everything` for one patient (session or token auth; the same access rules as the record pages)."""
from __future__ import annotations

import json

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.views import APIView

from accounts.policy import access

from ..selectors.records import record_patient_for
from ..services.fhir import patient_everything


@access("patient_record")
class PatientEverythingApi(APIView):
    @extend_schema(responses={200: dict}, parameters=[OpenApiParameter("download", bool, description="attachment")],
                   summary="FHIR R4 Bundle (searchset) of everything about one patient")
    def get(self, request, patient_id: int):  # type: ignore[no-untyped-def]
        patient = record_patient_for(user=request.user, patient_id=patient_id, object_type="fhir_bundle")
        base = request.build_absolute_uri("/fhir/").rstrip("/")
        bundle = patient_everything(actor=request.user, patient=patient, base_url=base)
        response = HttpResponse(json.dumps(bundle, ensure_ascii=False, indent=1),
                                content_type="application/fhir+json; charset=utf-8")
        if request.query_params.get("download"):
            response["Content-Disposition"] = f'attachment; filename="patient-{patient.pk}-fhir.json"'
        return response
