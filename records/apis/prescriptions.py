"""Prescriptions API: write (doctor), list and read (patient or doctor), cancel; adherence per prescription."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.policy import Allows, access
from accounts.services import audit_record
from platform_site import serializers

from ..models import DoseUnit, Frequency, Prescription, PrescriptionItem, Route
from ..selectors import prescriptions as selectors
from ..services import prescriptions as services
from ..services.rx_rules import Guardian


class ItemOutput(serializers.ModelSerializer):
    drug_name = serializers.CharField(source="drug.name", read_only=True)
    quantity_remaining = serializers.IntegerField(read_only=True)

    class Meta:
        model = PrescriptionItem
        fields = ["id", "drug", "drug_name", "dose", "dose_unit", "route", "frequency", "interval_hours",
                  "times_of_day", "start_date", "duration_days", "quantity", "quantity_filled", "quantity_remaining",
                  "instructions", "allergy_conflicts", "allergy_override_reason"]


class PrescriptionOutput(serializers.ModelSerializer):
    items = ItemOutput(many=True, read_only=True)
    is_valid = serializers.BooleanField(read_only=True)
    adherence_percent = serializers.SerializerMethodField()

    class Meta:
        model = Prescription
        fields = ["id", "patient", "doctor", "encounter", "status", "issued_at", "valid_until", "is_valid", "note",
                  "cancel_reason", "items", "adherence_percent"]

    def get_adherence_percent(self, obj: Prescription) -> int | None:
        adherence = self.context.get("adherence", {}).get(obj.pk)
        return adherence.percent if adherence else None


@access("own", body={"encounter_id": "encounter"}, body_rule="author")
class PrescriptionListApi(APIView):
    permission_classes = [Allows("records.use")]

    class ItemInput(serializers.Serializer):
        drug_id = serializers.IntegerField()
        dose = serializers.DecimalField(max_digits=8, decimal_places=3, min_value=0)
        dose_unit = serializers.ChoiceField(choices=DoseUnit.choices)
        route = serializers.ChoiceField(choices=Route.choices, default=Route.ORAL)
        frequency = serializers.ChoiceField(choices=Frequency.choices)
        interval_hours = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=72)
        times_of_day = serializers.ListField(child=serializers.CharField(max_length=5), required=False, default=list)
        start_date = serializers.DateField(required=False, allow_null=True)
        duration_days = serializers.IntegerField(min_value=1, max_value=365)
        quantity = serializers.IntegerField(min_value=1, max_value=1000)
        instructions = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
        allergy_override_reason = serializers.CharField(required=False, allow_blank=True, default="")

    class InputSerializer(serializers.Serializer):
        encounter_id = serializers.IntegerField()
        # The rule (≤ 3 days, 《处方管理办法》) is the service's, refused with its reason and audited.
        valid_days = serializers.IntegerField(min_value=1, max_value=90, default=1)
        chronic_long = serializers.BooleanField(required=False, default=False)
        guardian_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
        guardian_relation = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
        guardian_id_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
        guardian_present = serializers.BooleanField(required=False, default=False)
        note = serializers.CharField(required=False, allow_blank=True, default="")
        items = serializers.ListField(child=serializers.DictField(), allow_empty=False)

    @extend_schema(responses=PrescriptionOutput(many=True))
    def get(self, request):  # type: ignore[no-untyped-def]
        qs = list(selectors.prescriptions_visible_to(request.user)[:200])
        adherence = selectors.adherence_for_prescriptions(prescription_ids=[rx.pk for rx in qs])
        return Response(PrescriptionOutput(qs, many=True, context={"adherence": adherence}).data)

    @extend_schema(request=InputSerializer, responses={201: PrescriptionOutput})
    def post(self, request):  # type: ignore[no-untyped-def]
        services.prescriber_check(request.user)
        raw = request.data.get("encounter_id") if hasattr(request.data, "get") else None
        if raw is not None and str(raw).isdigit():
            services.encounter_to_prescribe(doctor=request.user, encounter_id=int(raw))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        items = []
        for raw in data.validated_data["items"]:
            item = self.ItemInput(data=raw)
            item.is_valid(raise_exception=True)
            items.append(item.validated_data)
        rx = services.prescription_create(doctor=request.user, encounter_id=data.validated_data["encounter_id"],
                                          items=items, valid_days=data.validated_data["valid_days"],
                                          note=data.validated_data["note"],
                                          chronic_long=data.validated_data["chronic_long"],
                                          guardian=Guardian(name=data.validated_data["guardian_name"],
                                                            relation=data.validated_data["guardian_relation"],
                                                            id_number=data.validated_data["guardian_id_number"],
                                                            present=data.validated_data["guardian_present"]))
        return Response(PrescriptionOutput(rx).data, status=status.HTTP_201_CREATED)


@access("patient_record")
class PrescriptionDetailApi(APIView):
    permission_classes = [Allows("records.use")]

    @extend_schema(responses=PrescriptionOutput)
    def get(self, request, prescription_id: int):  # type: ignore[no-untyped-def]
        rx = selectors.prescription_for(actor=request.user, prescription_id=prescription_id)
        audit_record(actor=request.user, action="read", object_type="prescription", object_id=rx.pk, subject=rx.patient)
        adherence = selectors.adherence_by_prescription(actor=request.user, patient=rx.patient)
        return Response(PrescriptionOutput(rx, context={"adherence": adherence}).data)


@access("author")
class PrescriptionCancelApi(APIView):
    permission_classes = [Allows("prescription.write")]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=300)

    @extend_schema(request=InputSerializer, responses=PrescriptionOutput)
    def post(self, request, prescription_id: int):  # type: ignore[no-untyped-def]
        services.prescription_for_author(doctor=request.user, prescription_id=prescription_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rx = services.prescription_cancel(doctor=request.user, prescription_id=prescription_id,
                                          reason=data.validated_data["reason"])
        return Response(PrescriptionOutput(rx).data)
