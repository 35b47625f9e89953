"""Medication reminders API: the patient's doses, answers, pause/resume, times, adherence."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.policy import Allows, access

from ..models import DoseReminder, ReminderPlan
from ..selectors import prescriptions as selectors
from ..services import reminders as services


class DoseOutput(serializers.ModelSerializer):
    drug_name = serializers.CharField(source="item.drug.name", read_only=True)
    prescription = serializers.IntegerField(source="item.prescription_id", read_only=True)

    class Meta:
        model = DoseReminder
        fields = ["id", "item", "prescription", "drug_name", "patient", "scheduled_at", "status", "sent_at",
                  "responded_at"]


def _patient_of_dose(user, dose_id: int):  # type: ignore[no-untyped-def]
    return selectors.dose_for(actor=user, dose_id=dose_id).patient


@access("own")
class DoseListApi(APIView):
    permission_classes = [Allows("medication.use")]

    @extend_schema(responses=DoseOutput(many=True))
    def get(self, request):  # type: ignore[no-untyped-def]
        qs = selectors.doses_visible_to(request.user).order_by("-scheduled_at")[:500]
        return Response(DoseOutput(qs, many=True).data)


@access("patient_side")
class DoseRespondApi(APIView):
    permission_classes = [Allows("medication.use")]

    class InputSerializer(serializers.Serializer):
        taken = serializers.BooleanField()

    @extend_schema(request=InputSerializer, responses=DoseOutput)
    def post(self, request, dose_id: int):  # type: ignore[no-untyped-def]
        patient = _patient_of_dose(request.user, dose_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dose = services.dose_respond(dose_id=dose_id, patient=patient, taken=data.validated_data["taken"])
        return Response(DoseOutput(dose).data)


class PlanOutput(serializers.ModelSerializer):
    class Meta:
        model = ReminderPlan
        fields = ["item", "patient", "times_of_day", "time_zone", "is_paused", "paused_at", "starts_at", "ends_at"]


def _plan_patient(user, item_id: int):  # type: ignore[no-untyped-def]
    return selectors.plan_for(actor=user, item_id=item_id).patient


@access("patient_side", objects={"item_id": "reminder_plan"})
class PlanPauseApi(APIView):
    permission_classes = [Allows("medication.use")]

    class InputSerializer(serializers.Serializer):
        paused = serializers.BooleanField()

    @extend_schema(request=InputSerializer, responses=PlanOutput)
    def post(self, request, item_id: int):  # type: ignore[no-untyped-def]
        patient = _plan_patient(request.user, item_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = services.reminder_plan_pause(item_id=item_id, patient=patient,
                                            paused=data.validated_data["paused"])
        return Response(PlanOutput(plan).data)


@access("patient_side", objects={"item_id": "reminder_plan"})
class PlanTimesApi(APIView):
    permission_classes = [Allows("medication.use")]

    class InputSerializer(serializers.Serializer):
        times_of_day = serializers.ListField(child=serializers.CharField(max_length=5), allow_empty=False)

    @extend_schema(request=InputSerializer, responses=PlanOutput)
    def post(self, request, item_id: int):  # type: ignore[no-untyped-def]
        patient = _plan_patient(request.user, item_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = services.reminder_plan_change_times(item_id=item_id, patient=patient,
                                                   times_of_day=data.validated_data["times_of_day"])
        return Response(PlanOutput(plan).data)


@access("own")
class AdherenceApi(APIView):
    permission_classes = [Allows("medication.use")]

    class OutputSerializer(serializers.Serializer):
        taken = serializers.IntegerField()
        skipped = serializers.IntegerField()
        missed = serializers.IntegerField()
        pending = serializers.IntegerField()
        due = serializers.IntegerField()
        percent = serializers.IntegerField(allow_null=True)

    @extend_schema(responses=OutputSerializer)
    def get(self, request):  # type: ignore[no-untyped-def]
        return Response(self.OutputSerializer(selectors.adherence_for_patient(actor=request.user, patient=request.user)).data)
