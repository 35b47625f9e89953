"""/api/portraits/: runs, students (portraits) and alerts, with the same cohort scoping as the pages."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.policy import Allows, access
from accounts.services import audit_record

from . import selectors, services
from .models import Alert, AlertState, Result, Run

IsCounsellorOrAdmin = Allows("portraits.use")


class RunOutput(serializers.ModelSerializer):
    class Meta:
        model = Run
        fields = ["id", "kind", "period", "status", "progress", "stage", "error", "n_students", "params",
                  "versions", "created_at", "started_at", "finished_at"]


@access("own")
class RunListApi(APIView):
    permission_classes = [IsCounsellorOrAdmin]

    class InputSerializer(serializers.Serializer):
        period = serializers.RegexField(r"^\d{4}(-[12])?$")
        k = serializers.CharField(required=False, default="5")

    @extend_schema(responses=RunOutput(many=True))
    def get(self, request):  # type: ignore[no-untyped-def]
        return Response(RunOutput(selectors.runs_visible_to(request.user)[:100], many=True).data)

    @extend_schema(request=InputSerializer, responses={202: RunOutput})
    def post(self, request):  # type: ignore[no-untyped-def]
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = services.portrait_run_start(user=request.user, **data.validated_data)
        return Response(RunOutput(run).data, status=status.HTTP_202_ACCEPTED)


@access("portraits_staff")
class RunDetailApi(APIView):
    permission_classes = [IsCounsellorOrAdmin]

    class OutputSerializer(RunOutput):
        class Meta(RunOutput.Meta):
            fields = [*RunOutput.Meta.fields, "metrics", "centroids"]

    @extend_schema(responses=OutputSerializer)
    def get(self, request, run_id: int):  # type: ignore[no-untyped-def]
        run = selectors.run_for(actor=request.user, run_id=run_id)
        return Response(self.OutputSerializer(run).data)


@access("portraits_staff")
class PortraitListApi(ListAPIView):
    """The portraits of a run that the caller's cohort covers; filters: q, college, grade, <dimension>."""

    permission_classes = [IsCounsellorOrAdmin]

    class OutputSerializer(serializers.ModelSerializer):
        pseudonym = serializers.CharField(source="student.pseudonym")
        college = serializers.CharField(source="student.college")
        grade = serializers.CharField(source="student.grade")

        class Meta:
            model = Result
            fields = ["id", "pseudonym", "college", "grade", "labels", "scores", "features", "portrait_type"]

    serializer_class = OutputSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        run = selectors.run_for(actor=self.request.user, run_id=self.kwargs["run_id"])
        g = self.request.query_params
        return selectors.result_search(self.request.user, run, q=g.get("q", ""), college=g.get("college", ""),
                                       grade=g.get("grade", ""),
                                       labels={d: g.get(d, "") for d in ("learning", "economic", "health",
                                                                         "interest")})


@access("counsellor_cohort", objects={"result_id": "portraits_result"})
class PortraitDetailApi(APIView):
    permission_classes = [IsCounsellorOrAdmin]

    class OutputSerializer(PortraitListApi.OutputSerializer):
        class Meta(PortraitListApi.OutputSerializer.Meta):
            fields = [*PortraitListApi.OutputSerializer.Meta.fields, "explanation"]

    @extend_schema(responses=OutputSerializer)
    def get(self, request, run_id: int, result_id: int):  # type: ignore[no-untyped-def]
        run = selectors.run_for(actor=request.user, run_id=run_id)
        result = selectors.result_for(actor=request.user, run=run, result_id=result_id)
        audit_record(actor=request.user, action="read", object_type="portraits.student",
                     object_id=result.student_id, detail={"run": run.id, "via": "api"})
        return Response(self.OutputSerializer(result).data)


class AlertOutput(serializers.ModelSerializer):
    rule = serializers.CharField(source="rule.kind")
    pseudonym = serializers.CharField(source="student.pseudonym")

    class Meta:
        model = Alert
        fields = ["id", "rule", "pseudonym", "period", "owner", "state", "note", "detail", "created_at"]


@access("own")
class AlertListApi(ListAPIView):
    permission_classes = [IsCounsellorOrAdmin]
    serializer_class = AlertOutput

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = selectors.alerts_visible_to(self.request.user)
        state = self.request.query_params.get("state")
        return qs.filter(state=state) if state else qs


@access("counsellor_cohort", objects={"alert_id": "portraits_alert"})
class AlertUpdateApi(APIView):
    permission_classes = [IsCounsellorOrAdmin]

    class InputSerializer(serializers.Serializer):
        state = serializers.ChoiceField(choices=AlertState.choices)
        note = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses=AlertOutput)
    def patch(self, request, alert_id: int):  # type: ignore[no-untyped-def]
        selectors.alert_for(actor=request.user, alert_id=alert_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alert = services.alert_update(user=request.user, alert_id=alert_id, **data.validated_data)
        return Response(AlertOutput(alert).data)
