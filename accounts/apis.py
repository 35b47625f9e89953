from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services
from .models import AuditEvent, ConsentKind, Notification, Relationship, Sex, User
from .policy import access


@access("own")
class MeApi(APIView):
    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = User
            fields = ["id", "email", "full_name", "role", "time_zone", "preferred_language"]

    @extend_schema(responses=OutputSerializer)
    def get(self, request):  # type: ignore[no-untyped-def]
        return Response(self.OutputSerializer(request.user).data)


@access("own")
class NotificationListApi(ListAPIView):
    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = Notification
            fields = ["id", "kind", "title", "body", "url", "created_at", "read_at"]

    serializer_class = OutputSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.notifications_for(self.request.user)


@access("own")
class AccessLogApi(ListAPIView):
    """Every access to the caller's own data."""

    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = AuditEvent
            fields = ["seq", "at", "actor_label", "action", "object_type", "object_id", "outcome", "ip"]

    serializer_class = OutputSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.audit_events_about(self.request.user)


@access("own")
class ConsentApi(APIView):
    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=ConsentKind.choices)
        granted = serializers.BooleanField()

    @extend_schema(responses={200: dict})
    def get(self, request):  # type: ignore[no-untyped-def]
        current = selectors.consents_for(request.user)
        return Response({k: bool(v) for k, v in current.items()})

    @extend_schema(request=InputSerializer, responses={200: dict})
    def post(self, request):  # type: ignore[no-untyped-def]
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["granted"]:
            services.consent_grant(user=request.user, kind=data.validated_data["kind"])
        else:
            services.consent_withdraw(user=request.user, kind=data.validated_data["kind"])
        current = selectors.consents_for(request.user)
        return Response({k: bool(v) for k, v in current.items()})


@access("own")
class FamilyApi(APIView):
    class InputSerializer(serializers.Serializer):
        full_name = serializers.CharField(max_length=150)
        relationship = serializers.ChoiceField(choices=Relationship.choices)
        date_of_birth = serializers.DateField(required=False, allow_null=True)
        sex = serializers.ChoiceField(choices=Sex.choices, default=Sex.UNKNOWN)

    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = User
            fields = ["id", "full_name"]

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request):  # type: ignore[no-untyped-def]
        members = selectors.family_members_of(request.user)
        return Response(self.OutputSerializer(members, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request):  # type: ignore[no-untyped-def]
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = services.family_member_add(principal=request.user, **data.validated_data)
        return Response(self.OutputSerializer(member).data, status=201)
