"""REST API for doctors (/api/rarecases/): the same capabilities and permission rules as the pages."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.policy import Allows, access
from platform_site import serializers

from . import selectors, services
from .models import Case, EventKind
from .services.federation import case_payload

IsDoctor = Allows("rarecases.use")


class CaseOutput(serializers.ModelSerializer):
    source = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = ["id", "case_uuid", "version", "origin", "title", "age_band", "sex", "region", "codes", "category",
                  "chapter", "orpha", "phenotypes", "findings", "treatment", "outcome", "tags", "created_at",
                  "received_at", "source"]

    def get_source(self, obj: Case) -> str:
        return obj.received_from.instance_id if obj.received_from_id else "local"


@access("own")
class CaseSearchApi(APIView):
    permission_classes = [IsDoctor]
    pagination_class = PageNumberPagination   # the schema describes the paginated answer

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(required=False, allow_blank=True, default="")
        code = serializers.CharField(required=False, allow_blank=True, default="")
        category = serializers.CharField(required=False, allow_blank=True, default="")
        phenotype = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(parameters=[FilterSerializer], responses=CaseOutput(many=True))
    def get(self, request):  # type: ignore[no-untyped-def]
        f = self.FilterSerializer(data=request.query_params)
        f.is_valid(raise_exception=True)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.case_search(**f.validated_data), request, view=self)
        return paginator.get_paginated_response(CaseOutput(page, many=True).data)


@access("deidentified_case")
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


@access("deidentified_case")
class CaseDownloadApi(APIView):
    """Exactly the shared payload; counts as a download (usage)."""

    permission_classes = [IsDoctor]

    @extend_schema(responses={200: dict})
    def get(self, request, case_id: int):  # type: ignore[no-untyped-def]
        case = selectors.case_for_doctor(user=request.user, case_id=case_id)
        services.case_event_record(case=case, kind=EventKind.DOWNLOAD, actor=request.user)
        return Response(case_payload(case))


@access("deidentified_case")
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


@access("deidentified_case", body={"appointment_id": "appointment"}, body_rule="appointment_doctor")
class CaseCiteApi(APIView):
    permission_classes = [IsDoctor]

    class InputSerializer(serializers.Serializer):
        appointment_id = serializers.IntegerField()
        note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={201: dict})
    def post(self, request, case_id: int):  # type: ignore[no-untyped-def]
        case = selectors.case_for_doctor(user=request.user, case_id=case_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        citation = services.case_cite(doctor=request.user, case=case, **data.validated_data)
        return Response({"citation": citation.pk}, status=status.HTTP_201_CREATED)


@access("deidentified_case")
class CaseForwardApi(APIView):
    permission_classes = [IsDoctor]

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()

    @extend_schema(request=InputSerializer, responses={201: dict})
    def post(self, request, case_id: int):  # type: ignore[no-untyped-def]
        case = selectors.case_for_doctor(user=request.user, case_id=case_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recipient = User.objects.filter(email__iexact=data.validated_data["email"]).first()
        if recipient is None:
            from core.errors import NotFound

            raise NotFound(_("No doctor with that e-mail address."))
        event = services.case_forward(sender=request.user, case=case, recipient=recipient)
        return Response({"event": str(event.event_uuid)}, status=status.HTTP_201_CREATED)


@access("deidentified_case")
class CaseShareApi(APIView):
    permission_classes = [IsDoctor]

    @extend_schema(request=None, responses={201: dict})
    def post(self, request, case_id: int):  # type: ignore[no-untyped-def]
        case = selectors.case_for_doctor(user=request.user, case_id=case_id)
        decision = services.rare_case_share(case=case, by=request.user)
        return Response({"outcome": decision.outcome, "peers": decision.peers}, status=status.HTTP_201_CREATED)


@access("author")
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
        encounter = selectors.encounter_for_doctor(doctor=request.user, encounter_id=encounter_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.case_preview(encounter=encounter, **data.validated_data))


@access("author")
class EncounterConfirmApi(EncounterPreviewApi):
    @extend_schema(request=EncounterPreviewApi.InputSerializer, responses={201: CaseOutput})
    def post(self, request, encounter_id: int):  # type: ignore[no-untyped-def]
        encounter = selectors.encounter_for_doctor(doctor=request.user, encounter_id=encounter_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.rare_case_confirm(doctor=request.user, encounter=encounter, **data.validated_data)
        return Response(CaseOutput(case).data, status=status.HTTP_201_CREATED)


@access("own")
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


@access("admin")
class PlatformStatusApi(APIView):
    """Admins: this platform's profile, case counts and the outbox per peer and status."""

    class OutputSerializer(serializers.Serializer):
        profile = serializers.DictField()
        cases = serializers.DictField()
        outbox = serializers.DictField()

    permission_classes = [Allows("rarecases.admin")]

    @extend_schema(responses=OutputSerializer)
    def get(self, request):  # type: ignore[no-untyped-def]
        return Response(selectors.platform_status())


@access("public")
class HpoSearchApi(APIView):
    permission_classes = [IsDoctor]

    @extend_schema(parameters=[OpenApiParameter("q", str)], responses={200: dict})
    def get(self, request):  # type: ignore[no-untyped-def]
        from . import vocab

        return Response({"results": vocab.hpo_search(request.query_params.get("q", ""))})


@access("admin")
class InstanceSetupApi(APIView):
    """Admins: configure this instance for a federation (profile, thresholds, peers and their shared
    secrets) in one call — what `make federation` and the federation tests do after start-up."""

    permission_classes = [Allows("rarecases.admin")]

    @extend_schema(request=dict, responses={200: dict})
    def post(self, request):  # type: ignore[no-untyped-def]
        from .services.setup import instance_setup

        return Response(instance_setup(spec=request.data))


def _local_out(r: dict) -> dict:
    case = r["case"]
    return {"case_id": case.pk, "case_uuid": str(case.case_uuid), "origin": case.origin, "title": case.title,
            "score": r["score"], "phenotype": r["phenotype"], "genotype": r["genotype"], "disorders": r["disorders"],
            "why": r["why"], "contact": r["contact"], "test": r["profile"].is_test}


def _search_out(search) -> dict:  # type: ignore[no-untyped-def]
    data = selectors.similar_results(search)
    return {"id": search.pk, "case_id": search.case_id, "created_at": search.created_at, "test": search.include_test,
            "waiting": data["waiting"], "query": search.query, "local": [_local_out(r) for r in data["local"]],
            "peers": [{"node": p["query"].node.name, "status": p["query"].status, "http_status": p["query"].http_status,
                       "error": p["query"].error, "duration_ms": p["query"].duration_ms,
                       "results": p["query"].results} for p in data["peers"]]}


@access("deidentified_case")
class SimilarStartApi(APIView):
    """Find similar patients for a case: local results now, MME peers asked in the background."""

    permission_classes = [IsDoctor]

    class InputSerializer(serializers.Serializer):
        include_test = serializers.BooleanField(required=False, default=False)

    @extend_schema(request=InputSerializer, responses={201: dict})
    def post(self, request, case_id: int):  # type: ignore[no-untyped-def]
        case = selectors.case_for_doctor(user=request.user, case_id=case_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        search = services.similar_search_start(doctor=request.user, case=case, **data.validated_data)
        search = selectors.similar_search_for(doctor=request.user, search_id=search.pk)
        return Response(_search_out(search), status=status.HTTP_201_CREATED)


@access("owner", objects={"search_id": "similar_search"})
class SimilarDetailApi(APIView):
    """A search the doctor started: local results and each peer's state and answers (poll while waiting)."""

    permission_classes = [IsDoctor]

    @extend_schema(responses={200: dict})
    def get(self, request, search_id: int):  # type: ignore[no-untyped-def]
        return Response(_search_out(selectors.similar_search_for(doctor=request.user, search_id=search_id)))


@access("own")
class MmeIncomingApi(APIView):
    """Peers' MME queries that were answered with the doctor's cases."""

    permission_classes = [IsDoctor]

    @extend_schema(responses={200: dict})
    def get(self, request):  # type: ignore[no-untyped-def]
        from rest_framework.pagination import PageNumberPagination

        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(selectors.incoming_for_doctor(request.user), request, view=self)
        return paginator.get_paginated_response([
            {"received_at": r.request.received_at, "peer": r.request.node.name, "case_id": r.case_id,
             "case_title": r.case.title, "score": r.score, "rank": r.rank, "why": r.why,
             "their_contact": r.request.query.get("contact", {})} for r in page])
