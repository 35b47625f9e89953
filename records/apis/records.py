"""Health-record API: allergies, problems, observations, documents, timeline, summary (thin views)."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import policy
from accounts.policy import Allows, access
from accounts.services import audit_record

from ..models import (
    Allergy,
    AllergyCategory,
    AllergySeverity,
    AllergyStatus,
    HealthDocument,
    HealthDocumentKind,
    Observation,
    ObservationKind,
    Problem,
)
from ..selectors import prescriptions as rx_selectors
from ..selectors import records as selectors
from ..services import records as services


def _patient(request, patient_id: int):  # type: ignore[no-untyped-def]
    """The record's patient if the policy lets the caller (read on GET, write otherwise); refused (audited) as
    not found otherwise."""
    action = policy.Action.READ if request.method in ("GET", "HEAD") else policy.Action.WRITE
    return selectors.record_patient_for(user=request.user, patient_id=patient_id, action=action)


def _audit_read(request, patient, what: str) -> None:  # type: ignore[no-untyped-def]
    audit_record(actor=request.user, action="read", object_type=what, object_id=patient.pk, subject=patient)


class AllergyOutput(serializers.ModelSerializer):
    class Meta:
        model = Allergy
        fields = ["id", "substance", "category", "reaction", "severity", "status", "note", "recorded_at"]


@access("patient_record")
class AllergyListApi(APIView):
    permission_classes = [Allows("records.use")]

    class InputSerializer(serializers.Serializer):
        substance = serializers.CharField(max_length=120)
        reaction = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        severity = serializers.ChoiceField(choices=AllergySeverity.choices, default=AllergySeverity.MODERATE)
        category = serializers.ChoiceField(choices=AllergyCategory.choices, default=AllergyCategory.MEDICATION)
        note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    @extend_schema(responses=AllergyOutput(many=True))
    def get(self, request, patient_id: int):  # type: ignore[no-untyped-def]
        patient = _patient(request, patient_id)
        _audit_read(request, patient, "allergies")
        return Response(AllergyOutput(selectors.allergies_of(actor=request.user, patient=patient, include_inactive=True), many=True).data)

    @extend_schema(request=InputSerializer, responses={201: AllergyOutput})
    def post(self, request, patient_id: int):  # type: ignore[no-untyped-def]
        patient = _patient(request, patient_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        allergy = services.allergy_add(actor=request.user, patient=patient, **data.validated_data)
        return Response(AllergyOutput(allergy).data, status=status.HTTP_201_CREATED)


@access("patient_record")
class AllergyStatusApi(APIView):
    permission_classes = [Allows("records.use")]

    class InputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=AllergyStatus.choices)

    @extend_schema(request=InputSerializer, responses=AllergyOutput)
    def post(self, request, patient_id: int, allergy_id: int):  # type: ignore[no-untyped-def]
        patient = _patient(request, patient_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        allergy = services.allergy_set_status(actor=request.user, allergy_id=allergy_id, patient=patient,
                                              status=data.validated_data["status"])
        return Response(AllergyOutput(allergy).data)


class ProblemOutput(serializers.ModelSerializer):
    code_name = serializers.CharField(source="code.name", read_only=True)

    class Meta:
        model = Problem
        fields = ["id", "code", "code_name", "status", "onset_date", "resolved_date", "note", "encounter", "recorded_at"]


@access("patient_record")
class ProblemListApi(APIView):
    permission_classes = [Allows("records.use")]

    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(max_length=8)
        onset_date = serializers.DateField(required=False, allow_null=True, default=None)
        note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    @extend_schema(responses=ProblemOutput(many=True))
    def get(self, request, patient_id: int):  # type: ignore[no-untyped-def]
        patient = _patient(request, patient_id)
        _audit_read(request, patient, "problems")
        return Response(ProblemOutput(selectors.problems_of(actor=request.user, patient=patient), many=True).data)

    @extend_schema(request=InputSerializer, responses={201: ProblemOutput})
    def post(self, request, patient_id: int):  # type: ignore[no-untyped-def]
        patient = _patient(request, patient_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        problem = services.problem_add(doctor=request.user, patient=patient, **data.validated_data)
        return Response(ProblemOutput(problem).data, status=status.HTTP_201_CREATED)


@access("patient_record")
class ProblemResolveApi(APIView):
    permission_classes = [Allows("records.use")]

    class InputSerializer(serializers.Serializer):
        resolved_date = serializers.DateField(required=False, allow_null=True, default=None)

    @extend_schema(request=InputSerializer, responses=ProblemOutput)
    def post(self, request, patient_id: int, problem_id: int):  # type: ignore[no-untyped-def]
        patient = _patient(request, patient_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        problem = services.problem_resolve(doctor=request.user, problem_id=problem_id, patient=patient,
                                           **data.validated_data)
        return Response(ProblemOutput(problem).data)


class ObservationOutput(serializers.ModelSerializer):
    class Meta:
        model = Observation
        fields = ["id", "kind", "value", "value2", "unit", "effective_at", "source", "is_out_of_range", "note",
                  "encounter"]


@access("patient_record")
class ObservationListApi(APIView):
    permission_classes = [Allows("records.use")]

    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=ObservationKind.choices)
        # Strings, so the service gives the one clear message for a non-number or an implausible value.
        value = serializers.CharField(max_length=20)
        value2 = serializers.CharField(max_length=20, required=False, allow_blank=True, allow_null=True, default=None)
        unit = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
        effective_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
        note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    @extend_schema(responses=ObservationOutput(many=True))
    def get(self, request, patient_id: int):  # type: ignore[no-untyped-def]
        patient = _patient(request, patient_id)
        _audit_read(request, patient, "observations")
        kind = request.query_params.get("kind") or None
        qs = selectors.observations_of(actor=request.user, patient=patient, kind=kind)[:1000]
        return Response(ObservationOutput(qs, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: ObservationOutput})
    def post(self, request, patient_id: int):  # type: ignore[no-untyped-def]
        patient = _patient(request, patient_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        obs = services.observation_record(actor=request.user, patient=patient, **data.validated_data)
        return Response(ObservationOutput(obs).data, status=status.HTTP_201_CREATED)


class DocumentOutput(serializers.ModelSerializer):
    class Meta:
        model = HealthDocument
        fields = ["id", "title", "kind", "original_name", "content_type", "size", "created_at"]


@access("patient_record")
class DocumentListApi(APIView):
    permission_classes = [Allows("records.use")]

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=200)
        kind = serializers.ChoiceField(choices=HealthDocumentKind.choices, default=HealthDocumentKind.OTHER)
        file = serializers.FileField()

    @extend_schema(responses=DocumentOutput(many=True))
    def get(self, request, patient_id: int):  # type: ignore[no-untyped-def]
        patient = _patient(request, patient_id)
        _audit_read(request, patient, "health_documents")
        return Response(DocumentOutput(selectors.documents_of(actor=request.user, patient=patient), many=True).data)

    @extend_schema(request=InputSerializer, responses={201: DocumentOutput})
    def post(self, request, patient_id: int):  # type: ignore[no-untyped-def]
        patient = _patient(request, patient_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        doc = services.document_upload(actor=request.user, patient=patient, title=data.validated_data["title"],
                                       kind=data.validated_data["kind"], uploaded=data.validated_data["file"])
        return Response(DocumentOutput(doc).data, status=status.HTTP_201_CREATED)


@access("patient_record")
class TimelineApi(APIView):
    permission_classes = [Allows("records.use")]

    class OutputSerializer(serializers.Serializer):
        at = serializers.DateTimeField()
        kind = serializers.CharField()
        title = serializers.CharField()
        detail = serializers.CharField()
        url = serializers.CharField()

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request, patient_id: int):  # type: ignore[no-untyped-def]
        patient = _patient(request, patient_id)
        _audit_read(request, patient, "timeline")
        return Response(self.OutputSerializer(selectors.timeline_of(actor=request.user, patient=patient), many=True).data)


@access("patient_record")
class SummaryApi(APIView):
    permission_classes = [Allows("records.use")]

    class OutputSerializer(serializers.Serializer):
        allergies = AllergyOutput(many=True)
        active_problems = ProblemOutput(many=True)
        adherence_percent = serializers.IntegerField(allow_null=True)
        doses_taken = serializers.IntegerField()
        doses_due = serializers.IntegerField()

    @extend_schema(responses=OutputSerializer)
    def get(self, request, patient_id: int):  # type: ignore[no-untyped-def]
        patient = _patient(request, patient_id)
        _audit_read(request, patient, "health_record")
        adherence = rx_selectors.adherence_for_patient(actor=request.user, patient=patient)
        return Response(self.OutputSerializer({
            "allergies": selectors.allergies_of(actor=request.user, patient=patient),
            "active_problems": selectors.active_problems_of(actor=request.user, patient=patient),
            "adherence_percent": adherence.percent, "doses_taken": adherence.taken, "doses_due": adherence.due,
        }).data)
