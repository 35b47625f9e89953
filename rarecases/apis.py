"""REST API for doctors (/api/rarecases/): the same capabilities and permission rules as the pages."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role, User
from accounts.services import audit_denied
from platform_site import serializers

from . import selectors, services
from .models import Case, EventKind
from .services.federation import case_payload


class IsDoctor(BasePermission):
    def has_permission(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        ok = bool(request.user and request.user.is_authenticated and request.user.role == Role.DOCTOR)
        if request.user and request.user.is_authenticated and not ok:
            audit_denied(actor=request.user, object_type="api", object_id=request.path,
                         reason=f"role {request.user.role} is not doctor")
        return ok


class CaseOutput(serializers.ModelSerializer):
    source = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = ["id", "case_uuid", "version", "origin", "title", "age_band", "sex", "region", "codes", "category",
                  "chapter", "orpha", "phenotypes", "findings", "treatment", "outcome", "tags", "created_at",
                  "received_at", "source"]

    def get_source(self, obj: Case) -> str:
        return obj.received_from.instance_id if obj.received_from_id else "local"


class CaseSearchApi(APIView):
    permission_classes = [IsDoctor]

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(required=False, allow_blank=True, default="")
        code = serializers.CharField(required=False, allow_blank=True, default="")
        category = serializers.CharField(required=False, allow_blank=True, default="")
        phenotype = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(parameters=[FilterSerializer], responses=CaseOutput(many=True))
    def get(self, request):  # type: ignore[no-untyped-def]
        f = self.FilterSerializer(data=request.query_params)
        f.is_valid(raise_exception=True)
        from rest_framework.pagination import PageNumberPagination

        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(selectors.case_search(**f.validated_data), request, view=self)
        return paginator.get_paginated_response(CaseOutput(page, many=True).data)


class CaseDetailApi(APIView):
    """Reading a case counts as a view (S500)."""

    permission_classes = [IsDoctor]

    class OutputSerializer(CaseOutput):
        stats = serializers.SerializerMethodField()
        propagation = serializers.SerializerMethodField()

        class Meta(CaseOutput.Meta):
            fields = [*CaseOutput.Meta.fields, "stats", "propagation"]

        def get_stats(self, obj: Case) -> dict:
            return selectors.case_stats(obj)

        def get_propagation(self, obj: Case) -> dict:
            return selectors.propagation_graph(obj)

    @extend_schema(responses=OutputSerializer)
    def get(self, request, case_id: int):  # type: ignore[no-untyped-def]
        case = selectors.case_for_doctor(user=request.user, case_id=case_id)
        services.case_event_record(case=case, kind=EventKind.VIEW, actor=request.user)
        return Response(self.OutputSerializer(case).data)


class CaseDownloadApi(APIView):
    """Exactly the shared payload; counts as a download (usage)."""

    permission_classes = [IsDoctor]

    @extend_schema(responses={200: dict})
    def get(self, request, case_id: int):  # type: ignore[no-untyped-def]
        case = selectors.case_for_doctor(user=request.user, case_id=case_id)
        services.case_event_record(case=case, kind=EventKind.DOWNLOAD, actor=request.user)
        return Response(case_payload(case))


class CaseFollowApi(APIView):
    permission_classes = [IsDoctor]

    @extend_schema(request=None, responses={200: dict})
    def post(self, request, case_id: int):  # type: ignore[no-untyped-def]
        case = selectors.case_for_doctor(user=request.user, case_id=case_id)
        return Response({"following": True, "created": services.case_follow(user=request.user, case=case)})

    @extend_schema(responses={200: dict})
    def delete(self, request, case_id: int):  # type: ignore[no-untyped-def]
        case = selectors.case_for_doctor(user=request.user, case_id=case_id)
        services.case_unfollow(user=request.user, case=case)
        return Response({"following": False})


class CaseCiteApi(APIView):
    permission_classes = [IsDoctor]

    class InputSerializer(serializers.Serializer):
        appointment_id = serializers.IntegerField()
        note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={201: dict})
    def post(self, request, case_id: int):  # type: ignore[no-untyped-def]
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = selectors.case_for_doctor(user=request.user, case_id=case_id)
        citation = services.case_cite(doctor=request.user, case=case, **data.validated_data)
        return Response({"citation": citation.pk}, status=status.HTTP_201_CREATED)


class CaseForwardApi(APIView):
    permission_classes = [IsDoctor]

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()

    @extend_schema(request=InputSerializer, responses={201: dict})
    def post(self, request, case_id: int):  # type: ignore[no-untyped-def]
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = selectors.case_for_doctor(user=request.user, case_id=case_id)
        recipient = User.objects.filter(email__iexact=data.validated_data["email"]).first()
        if recipient is None:
            from accounts.errors import NotFound

            raise NotFound(_("No doctor with that e-mail address."))
        event = services.case_forward(sender=request.user, case=case, recipient=recipient)
        return Response({"event": str(event.event_uuid)}, status=status.HTTP_201_CREATED)


class CaseShareApi(APIView):
    permission_classes = [IsDoctor]

    @extend_schema(request=None, responses={201: dict})
    def post(self, request, case_id: int):  # type: ignore[no-untyped-def]
        case = selectors.case_for_doctor(user=request.user, case_id=case_id)
        decision = services.rare_case_share(case=case, by=request.user)
        return Response({"outcome": decision.outcome, "peers": decision.peers}, status=status.HTTP_201_CREATED)


class EncounterPreviewApi(APIView):
    """The de-identified draft of an encounter: exactly what would leave, and what the check found."""

    permission_classes = [IsDoctor]

    class InputSerializer(serializers.Serializer):
        findings = serializers.CharField(required=False, allow_blank=True, max_length=5000)
        treatment = serializers.CharField(required=False, allow_blank=True, max_length=5000)
        outcome = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
        phenotype_ids = serializers.ListField(child=serializers.RegexField(r"^HP:\d{7}$"), required=False,
                                              default=list)

    @extend_schema(request=InputSerializer, responses={200: dict})
    def post(self, request, encounter_id: int):  # type: ignore[no-untyped-def]
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        encounter = selectors.encounter_for_doctor(doctor=request.user, encounter_id=encounter_id)
        return Response(services.case_preview(encounter=encounter, **data.validated_data))


class EncounterConfirmApi(EncounterPreviewApi):
    @extend_schema(request=EncounterPreviewApi.InputSerializer, responses={201: CaseOutput})
    def post(self, request, encounter_id: int):  # type: ignore[no-untyped-def]
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        encounter = selectors.encounter_for_doctor(doctor=request.user, encounter_id=encounter_id)
        case = services.rare_case_confirm(doctor=request.user, encounter=encounter, **data.validated_data)
        return Response(CaseOutput(case).data, status=status.HTTP_201_CREATED)


class CandidateListApi(APIView):
    permission_classes = [IsDoctor]

    class OutputSerializer(serializers.Serializer):
        encounter_id = serializers.IntegerField()
        code = serializers.CharField()
        block = serializers.CharField()
        incidence = serializers.FloatField()

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request):  # type: ignore[no-untyped-def]
        return Response(self.OutputSerializer(selectors.candidates_for_doctor(request.user)[:200], many=True).data)


class PlatformStatusApi(APIView):
    """Admins: this platform's profile, case counts and the outbox per peer and status."""

    class OutputSerializer(serializers.Serializer):
        profile = serializers.DictField()
        cases = serializers.DictField()
        outbox = serializers.DictField()

    @extend_schema(responses=OutputSerializer)
    def get(self, request):  # type: ignore[no-untyped-def]
        if request.user.role != Role.ADMIN:
            audit_denied(actor=request.user, object_type="api", object_id=request.path, reason="admin only")
            raise PermissionDenied()
        return Response(selectors.platform_status())


class HpoSearchApi(APIView):
    permission_classes = [IsDoctor]

    @extend_schema(parameters=[OpenApiParameter("q", str)], responses={200: dict})
    def get(self, request):  # type: ignore[no-untyped-def]
        from . import vocab

        return Response({"results": vocab.hpo_search(request.query_params.get("q", ""))})


class InstanceSetupApi(APIView):
    """Admins: configure this instance for a federation (profile, thresholds, peers and their shared
    secrets) in one call — what `make federation` and the federation tests do after start-up."""

    @extend_schema(request=dict, responses={200: dict})
    def post(self, request):  # type: ignore[no-untyped-def]
        if request.user.role != Role.ADMIN:
            audit_denied(actor=request.user, object_type="api", object_id=request.path, reason="admin only")
            raise PermissionDenied()
        from .services.setup import instance_setup

        return Response(instance_setup(spec=request.data))
