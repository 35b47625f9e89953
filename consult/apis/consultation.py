"""API of online consultations and encounters (same scoping and audit as the pages)."""
from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import policy
from accounts.policy import Allows, access

from ..models import (
    ConsultationMessage,
    ConsultationThread,
    Encounter,
    EncounterAmendment,
    EncounterDiagnosis,
    ICD10Code,
)
from ..services import consultation as svc
from ..services import encounters as enc
from ..services.booking import appointment_for_doctor
from ..services.encounters import NOTE_FIELDS
from ..services.icd10 import icd10_search


class MessageOut(serializers.ModelSerializer):
    sender_name = serializers.CharField(source="sender.display_name")
    attachment_url = serializers.SerializerMethodField()

    class Meta:
        model = ConsultationMessage
        fields = ["id", "sender", "sender_name", "body", "attachment_name", "attachment_type", "attachment_size",
                  "attachment_url", "created_at"]

    def get_attachment_url(self, obj: ConsultationMessage) -> str | None:
        from django.urls import reverse

        return reverse("api-consult-attachment", args=[obj.pk]) if obj.attachment_path else None


class ThreadOut(serializers.ModelSerializer):
    class Meta:
        model = ConsultationThread
        fields = ["id", "appointment", "status", "summary", "closed_at"]


@access("appointment_party")
class ConsultationApi(APIView):
    """GET the thread and its messages (?after=<id> for only newer ones); POST a message (multipart for a file)."""

    permission_classes = [Allows("consultation.use")]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
        attachment = serializers.FileField(required=False, allow_null=True, allow_empty_file=False)

    class OutputSerializer(serializers.Serializer):
        thread = ThreadOut()
        messages = MessageOut(many=True)

    @extend_schema(responses=OutputSerializer)
    def get(self, request, appointment_id: int):  # type: ignore[no-untyped-def]
        try:
            after = int(request.query_params.get("after") or 0)
        except ValueError:
            after = 0
        thread, messages = svc.consultation_read(user=request.user, appointment_id=appointment_id, after_id=after)
        return Response({"thread": ThreadOut(thread).data, "messages": MessageOut(messages, many=True).data})

    @extend_schema(request=InputSerializer, responses={201: MessageOut})
    def post(self, request, appointment_id: int):  # type: ignore[no-untyped-def]
        svc.thread_for(user=request.user, appointment_id=appointment_id, action=policy.Action.WRITE)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data.get("attachment")
        message = svc.message_post(
            user=request.user, appointment_id=appointment_id, body=data.validated_data["body"],
            upload=svc.Upload(name=upload.name, size=upload.size, file=upload) if upload else None,
        )
        return Response(MessageOut(message).data, status=201)


@access("appointment_doctor")
class ConsultationCloseApi(APIView):
    permission_classes = [Allows("consultation.use")]

    class InputSerializer(serializers.Serializer):
        summary = serializers.CharField(max_length=5000)

    @extend_schema(request=InputSerializer, responses=ThreadOut)
    def post(self, request, appointment_id: int):  # type: ignore[no-untyped-def]
        svc.thread_for(user=request.user, appointment_id=appointment_id, doctor_only=True,
                       action=policy.Action.WRITE)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        thread = svc.thread_close(doctor=request.user, appointment_id=appointment_id,
                                  summary=data.validated_data["summary"])
        return Response(ThreadOut(thread).data)


@access("appointment_party", objects={"message_id": "consultation_message"})
class AttachmentApi(APIView):
    permission_classes = [Allows("consultation.use")]

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, message_id: int):  # type: ignore[no-untyped-def]
        stored, message = svc.attachment_open(user=request.user, message_id=message_id)
        response = FileResponse(stored, content_type=message.attachment_type,
                                as_attachment=True, filename=message.attachment_name)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class ICD10Out(serializers.ModelSerializer):
    class Meta:
        model = ICD10Code
        fields = ["code", "name_en", "name_zh", "block", "chapter"]


class DiagnosisOut(serializers.ModelSerializer):
    code = ICD10Out()

    class Meta:
        model = EncounterDiagnosis
        fields = ["code", "is_primary", "diagnosed_at"]


class AmendmentOut(serializers.ModelSerializer):
    class Meta:
        model = EncounterAmendment
        fields = ["id", "author", "at", "reason", "changes"]


class EncounterOut(serializers.ModelSerializer):
    diagnoses = DiagnosisOut(many=True)
    amendments = AmendmentOut(many=True)

    class Meta:
        model = Encounter
        fields = ["id", "appointment", "patient", "doctor", "occurred_at", *NOTE_FIELDS, "diagnoses", "amendments",
                  "created_at", "updated_at"]


class EncounterIn(serializers.Serializer):
    chief_complaint = serializers.CharField(required=False, allow_blank=True)
    history = serializers.CharField(required=False, allow_blank=True)
    findings = serializers.CharField(required=False, allow_blank=True)
    assessment = serializers.CharField(required=False, allow_blank=True)
    plan = serializers.CharField(required=False, allow_blank=True)
    diagnoses = serializers.ListField(child=serializers.CharField(max_length=20), required=False, max_length=20)


@access("appointment_doctor")
class EncounterRecordApi(APIView):
    permission_classes = [Allows("encounter.write")]

    @extend_schema(request=EncounterIn, responses={201: EncounterOut})
    def post(self, request, appointment_id: int):  # type: ignore[no-untyped-def]
        appointment_for_doctor(doctor=request.user, appointment_id=appointment_id)
        data = EncounterIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        encounter = enc.encounter_record(doctor=request.user, appointment_id=appointment_id,
                                         notes={f: v.get(f, "") for f in NOTE_FIELDS},
                                         diagnoses=v.get("diagnoses", []))
        return Response(EncounterOut(enc.encounter_read(user=request.user, encounter_id=encounter.pk)).data,
                        status=201)


@access("patient_record")
class EncounterDetailApi(APIView):
    """GET: whoever may read the patient's record; PATCH (amend): only the encounter's author."""

    permission_classes = [Allows("records.use")]

    class AmendIn(EncounterIn):
        reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    @extend_schema(responses=EncounterOut)
    def get(self, request, encounter_id: int):  # type: ignore[no-untyped-def]
        return Response(EncounterOut(enc.encounter_read(user=request.user, encounter_id=encounter_id)).data)

    @extend_schema(request=AmendIn, responses=EncounterOut)
    def patch(self, request, encounter_id: int):  # type: ignore[no-untyped-def]
        enc.encounter_for_author(user=request.user, encounter_id=encounter_id)
        data = self.AmendIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        enc.encounter_amend(user=request.user, encounter_id=encounter_id,
                            notes={f: v[f] for f in NOTE_FIELDS if f in v},
                            diagnoses=v.get("diagnoses"), reason=v["reason"])
        return Response(EncounterOut(enc.encounter_read(user=request.user, encounter_id=encounter_id)).data)


@access("public")
class ICD10SearchApi(APIView):
    permission_classes = [Allows("icd10.lookup")]

    @extend_schema(responses=ICD10Out(many=True))
    def get(self, request):  # type: ignore[no-untyped-def]
        return Response(ICD10Out(icd10_search(request.query_params.get("q", "")), many=True).data)
