"""API of the booking side: directory, slots, appointments, waitlist, follow-ups, schedules, console.

Thin views: parse, call one service or selector, serialize. Scoping lives in the selectors/services.
"""
from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import policy
from accounts.models import Role, User
from accounts.policy import Allows, access
from platform_site import serializers

from ..models import (
    ONLINE_KINDS,
    Appointment,
    Department,
    FollowUpProposal,
    ScheduleException,
    Slot,
    SlotKind,
    WaitlistEntry,
    Weekday,
    WeeklySchedule,
)
from ..selectors import booking as sel
from ..selectors import console as console_sel
from ..services import booking as svc
from ..services import followups as fu
from ..services import schedules as sched
from ..services import waitlist as wl

CONSOLE_MAX_LIMIT = 200


class DepartmentOut(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["code", "name_en", "name_zh"]


class SlotOut(serializers.ModelSerializer):
    class Meta:
        model = Slot
        fields = ["id", "start", "end", "kind"]


class AppointmentOut(serializers.ModelSerializer):
    doctor_name = serializers.CharField(source="doctor.display_name")
    patient_name = serializers.CharField(source="patient.display_name")
    thread_status = serializers.SerializerMethodField()

    class Meta:
        model = Appointment
        fields = ["id", "slot", "doctor", "doctor_name", "patient", "patient_name", "booked_by", "start", "end",
                  "kind", "status", "reason", "symptoms", "cancel_reason", "follow_up_of", "thread_status",
                  "fee", "hold_expires_at", "paid_at"]

    def get_thread_status(self, obj: Appointment) -> str | None:
        thread = getattr(obj, "thread", None) if obj.kind in ONLINE_KINDS else None
        return thread.status if thread else None


def _raw(data: object, field: str) -> object:
    """A body field as sent (before validation), for the access check that comes first."""
    return data.get(field) if hasattr(data, "get") else None


def _patient(user: User, patient_id: int | None) -> User:
    """The patient a booking is for: the caller, or a family member they act for (refused, audited, else)."""
    if not patient_id:
        return user
    patient = User.objects.filter(pk=patient_id).first()
    policy.require(policy.acts_for(user, patient.pk) if patient else
                   policy.deny(policy.Reason.NO_SUCH_OBJECT, "patient_side"),
                   actor=user, object_type="patient", object_id=patient_id, action=policy.Action.WRITE,
                   subject=patient)
    return patient


@access("public")
class DepartmentListApi(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = DepartmentOut
    pagination_class = None

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return sel.departments()


@access("public")
class DoctorDirectoryApi(ListAPIView):
    """Public doctor directory with the next free slot."""

    permission_classes = [AllowAny]

    class OutputSerializer(serializers.ModelSerializer):
        name = serializers.CharField(source="display_name")
        department = DepartmentOut(source="doctor_profile.department", allow_null=True)
        title = serializers.CharField(source="doctor_profile.title")
        specialties = serializers.CharField(source="doctor_profile.specialties")
        languages = serializers.CharField(source="doctor_profile.languages")
        fee = serializers.DecimalField(source="doctor_profile.fee", max_digits=8, decimal_places=2)
        next_free_slot = serializers.DateTimeField(allow_null=True)

        class Meta:
            model = User
            fields = ["id", "name", "department", "title", "specialties", "languages", "fee", "next_free_slot"]

    serializer_class = OutputSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        p = self.request.query_params
        return sel.doctor_directory(q=p.get("q", ""), department=p.get("department", ""),
                                    language=p.get("language", ""))


@access("public")
class DoctorSlotsApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=SlotOut(many=True))
    def get(self, request, doctor_id: int):  # type: ignore[no-untyped-def]
        if sel.doctor_public(doctor_id=doctor_id) is None:
            raise Http404
        user = request.user if request.user.is_authenticated and request.user.role == Role.PATIENT else None
        return Response(SlotOut(sel.doctor_slots_free(doctor_id=doctor_id, for_patient=user), many=True).data)


@access("own", body={"patient": "patient"}, body_rule="patient_side")
class AppointmentListApi(APIView):
    # Declared so the schema describes the paginated answer ({count, next, previous, results}).
    pagination_class = PageNumberPagination

    class InputSerializer(serializers.Serializer):
        slot = serializers.IntegerField()
        patient = serializers.IntegerField(required=False, allow_null=True)
        reason = serializers.CharField(max_length=300)
        symptoms = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(responses=AppointmentOut(many=True))
    def get(self, request):  # type: ignore[no-untyped-def]
        when = request.query_params.get("when", "upcoming")
        if request.user.role == Role.PATIENT:
            qs = sel.appointments_of_patient_side(request.user, when="past" if when == "past" else "upcoming")
        else:
            qs = sel.appointments_visible_to(request.user).order_by("-start")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(AppointmentOut(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: AppointmentOut})
    def post(self, request):  # type: ignore[no-untyped-def]
        svc.booking_check(booked_by=request.user, patient_id=_raw(request.data, "patient"))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        appointment = svc.appointment_book(booked_by=request.user, patient=_patient(request.user, v.get("patient")),
                                           slot_id=v["slot"], reason=v["reason"], symptoms=v["symptoms"])
        return Response(_booked(appointment), status=201)


def _booked(a: Appointment) -> dict:
    """The new appointment in AppointmentOut's shape, built directly: this is the hot path under load
    (bench/booking.py) and a ModelSerializer rebuilds its fields on every instantiation."""
    return {"id": a.pk, "slot": a.slot_id, "doctor": a.doctor_id, "doctor_name": a.doctor.display_name,
            "patient": a.patient_id, "patient_name": a.patient.display_name, "booked_by": a.booked_by_id,
            "start": a.start, "end": a.end, "kind": a.kind, "status": a.status, "reason": a.reason,
            "symptoms": a.symptoms, "cancel_reason": a.cancel_reason, "follow_up_of": a.follow_up_of_id,
            "thread_status": "open" if a.kind in ONLINE_KINDS else None,
            "fee": f"{a.fee:.2f}", "hold_expires_at": a.hold_expires_at, "paid_at": a.paid_at}


@access("appointment_party")
class AppointmentDetailApi(APIView):
    @extend_schema(responses=AppointmentOut)
    def get(self, request, appointment_id: int):  # type: ignore[no-untyped-def]
        return Response(AppointmentOut(sel.appointment_for(actor=request.user, appointment_id=appointment_id)).data)


@access("appointment_party")
class AppointmentCancelApi(APIView):
    """Patient side: cancel up to the cut-off. Doctor: cancel with a reason (the patient is told)."""

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses=AppointmentOut)
    def post(self, request, appointment_id: int):  # type: ignore[no-untyped-def]
        sel.appointment_for(actor=request.user, appointment_id=appointment_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if request.user.role == Role.DOCTOR:
            appointment = svc.appointment_doctor_cancel(doctor=request.user, appointment_id=appointment_id,
                                                        reason=data.validated_data["reason"])
        else:
            appointment = svc.appointment_cancel(user=request.user, appointment_id=appointment_id,
                                                 reason=data.validated_data["reason"])
        return Response(AppointmentOut(appointment).data)


@access("patient_side", objects={"appointment_id": "appointment"})
class AppointmentRescheduleApi(APIView):
    permission_classes = [Allows("booking.book")]

    class InputSerializer(serializers.Serializer):
        slot = serializers.IntegerField()

    @extend_schema(request=InputSerializer, responses={201: AppointmentOut})
    def post(self, request, appointment_id: int):  # type: ignore[no-untyped-def]
        svc.appointment_for_patient_side(user=request.user, appointment_id=appointment_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new = svc.appointment_reschedule(user=request.user, appointment_id=appointment_id,
                                         new_slot_id=data.validated_data["slot"])
        return Response(AppointmentOut(new).data, status=201)


@access("patient_side", objects={"appointment_id": "appointment"})
class AppointmentPayApi(APIView):
    """Pay an appointment awaiting payment. The `Idempotency-Key` header (or `idempotency_key` in the body) makes
    a retried request answer with the same payment instead of charging again."""

    permission_classes = [Allows("booking.book")]

    class InputSerializer(serializers.Serializer):
        idempotency_key = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses=AppointmentOut)
    def post(self, request, appointment_id: int):  # type: ignore[no-untyped-def]
        from ..services.holds import appointment_pay

        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key") or data.validated_data["idempotency_key"]
        appointment = appointment_pay(user=request.user, appointment_id=appointment_id, idempotency_key=key)
        return Response(AppointmentOut(appointment).data)


@access("appointment_doctor")
class AppointmentStatusApi(APIView):
    permission_classes = [Allows("console.use")]

    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=list(svc.STATUS_TRANSITIONS))

    @extend_schema(request=InputSerializer, responses=AppointmentOut)
    def post(self, request, appointment_id: int):  # type: ignore[no-untyped-def]
        svc.appointment_for_doctor(doctor=request.user, appointment_id=appointment_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = svc.appointment_set_status(doctor=request.user, appointment_id=appointment_id,
                                                 action=data.validated_data["action"])
        return Response(AppointmentOut(appointment).data)


class WaitlistOut(serializers.ModelSerializer):
    class Meta:
        model = WaitlistEntry
        fields = ["id", "doctor", "patient", "reason", "status", "offered_slot", "offer_expires_at", "created_at"]


@access("own", body={"patient": "patient"}, body_rule="patient_side")
class WaitlistApi(APIView):
    permission_classes = [Allows("waitlist.use")]

    class InputSerializer(serializers.Serializer):
        doctor = serializers.IntegerField()
        patient = serializers.IntegerField(required=False, allow_null=True)
        reason = serializers.CharField(max_length=300)

    @extend_schema(responses=WaitlistOut(many=True))
    def get(self, request):  # type: ignore[no-untyped-def]
        return Response(WaitlistOut(sel.waitlist_of(request.user), many=True).data)

    @extend_schema(request=InputSerializer, responses={201: WaitlistOut})
    def post(self, request):  # type: ignore[no-untyped-def]
        svc.booking_check(booked_by=request.user, patient_id=_raw(request.data, "patient"))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        entry = wl.waitlist_join(user=request.user, patient=_patient(request.user, v.get("patient")),
                                 doctor_id=v["doctor"], reason=v["reason"])
        return Response(WaitlistOut(entry).data, status=201)


@access("patient_side", objects={"entry_id": "waitlist_entry"})
class WaitlistLeaveApi(APIView):
    permission_classes = [Allows("waitlist.use")]

    @extend_schema(request=None, responses=WaitlistOut)
    def post(self, request, entry_id: int):  # type: ignore[no-untyped-def]
        return Response(WaitlistOut(wl.waitlist_leave(user=request.user, entry_id=entry_id)).data)


class FollowUpOut(serializers.ModelSerializer):
    slots = SlotOut(many=True)

    class Meta:
        model = FollowUpProposal
        fields = ["id", "appointment", "doctor", "patient", "slots", "note", "status", "accepted_appointment",
                  "created_at"]


@access("appointment_doctor")
class FollowUpProposeApi(APIView):
    permission_classes = [Allows("console.use")]

    class InputSerializer(serializers.Serializer):
        count = serializers.IntegerField(min_value=1, max_value=10, default=3)
        note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={201: FollowUpOut})
    def post(self, request, appointment_id: int):  # type: ignore[no-untyped-def]
        svc.appointment_for_doctor(doctor=request.user, appointment_id=appointment_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = fu.follow_up_propose(doctor=request.user, appointment_id=appointment_id,
                                        count=data.validated_data["count"], note=data.validated_data["note"])
        return Response(FollowUpOut(proposal).data, status=201)


@access("own")
class FollowUpListApi(APIView):
    @extend_schema(responses=FollowUpOut(many=True))
    def get(self, request):  # type: ignore[no-untyped-def]
        return Response(FollowUpOut(sel.follow_ups_of(request.user), many=True).data)


@access("patient_side", objects={"proposal_id": "follow_up"})
class FollowUpAcceptApi(APIView):
    permission_classes = [Allows("booking.book")]

    class InputSerializer(serializers.Serializer):
        slot = serializers.IntegerField()

    @extend_schema(request=InputSerializer, responses={201: AppointmentOut})
    def post(self, request, proposal_id: int):  # type: ignore[no-untyped-def]
        fu.follow_up_check(user=request.user, proposal_id=proposal_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = fu.follow_up_accept(user=request.user, proposal_id=proposal_id,
                                          slot_id=data.validated_data["slot"])
        return Response(AppointmentOut(appointment).data, status=201)


class ScheduleOut(serializers.ModelSerializer):
    class Meta:
        model = WeeklySchedule
        fields = ["id", "weekday", "start_time", "end_time", "slot_minutes", "kind", "valid_from", "valid_until"]


@access("own")
class ScheduleApi(APIView):
    permission_classes = [Allows("schedule.manage")]

    class InputSerializer(serializers.Serializer):
        weekday = serializers.ChoiceField(choices=Weekday.choices)
        start_time = serializers.TimeField()
        end_time = serializers.TimeField()
        slot_minutes = serializers.IntegerField(min_value=5, max_value=240, default=20)
        kind = serializers.ChoiceField(choices=SlotKind.choices, default=SlotKind.ONLINE)
        valid_from = serializers.DateField(required=False, allow_null=True)
        valid_until = serializers.DateField(required=False, allow_null=True)

    @extend_schema(responses=ScheduleOut(many=True))
    def get(self, request):  # type: ignore[no-untyped-def]
        return Response(ScheduleOut(sel.schedules_of(request.user), many=True).data)

    @extend_schema(request=InputSerializer, responses={201: ScheduleOut})
    def post(self, request):  # type: ignore[no-untyped-def]
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        schedule = sched.schedule_add(doctor=request.user, **data.validated_data)
        return Response(ScheduleOut(schedule).data, status=201)


@access("owner", objects={"schedule_id": "schedule"})
class ScheduleRemoveApi(APIView):
    permission_classes = [Allows("schedule.manage")]

    @extend_schema(request=None, responses={200: dict})
    def post(self, request, schedule_id: int):  # type: ignore[no-untyped-def]
        return Response({"slots_deleted": sched.schedule_remove(doctor=request.user, schedule_id=schedule_id)})


@access("own")
class LeaveApi(APIView):
    permission_classes = [Allows("schedule.manage")]

    class InputSerializer(serializers.Serializer):
        date = serializers.DateField()
        reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = ScheduleException
            fields = ["id", "date", "reason"]

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request):  # type: ignore[no-untyped-def]
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        leave = sched.leave_add(doctor=request.user, day=data.validated_data["date"],
                                reason=data.validated_data["reason"])
        return Response(self.OutputSerializer(leave).data, status=201)


class ConsoleRowOut(serializers.Serializer):
    """One appointment of the doctor's queue (plain values, see consult.selectors.console)."""

    pk = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    time = serializers.CharField(help_text="Start, HH:MM in the platform's time zone.")
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    reason = serializers.CharField()
    patient_id = serializers.IntegerField()
    patient_name = serializers.CharField()
    thread_status = serializers.CharField(allow_null=True)
    has_encounter = serializers.BooleanField()


@access("own")
class ConsoleApi(APIView):
    """The calling doctor's queue of one day (default today), grouped, `limit` rows per group from `offset`
    (like the console page: a day can hold a thousand appointments), with every group's full count."""

    class QueryIn(serializers.Serializer):
        day = serializers.DateField(required=False, help_text="YYYY-MM-DD; default today (platform time zone).")
        limit = serializers.IntegerField(required=False, default=50, min_value=1, max_value=CONSOLE_MAX_LIMIT,
                                         help_text="Rows per group.")
        offset = serializers.IntegerField(required=False, default=0, min_value=0,
                                          help_text="Rows skipped in each group (next page: offset + limit).")
        group = serializers.ChoiceField(choices=console_sel.QUEUE_GROUPS, required=False,
                                        help_text="Only this group.")

    permission_classes = [Allows("console.use")]

    class OutputSerializer(serializers.Serializer):
        day = serializers.DateField()
        limit = serializers.IntegerField()
        offset = serializers.IntegerField()
        counts = serializers.DictField(child=serializers.IntegerField(), help_text="Appointments in each group.")
        groups = serializers.DictField(child=serializers.ListField(child=ConsoleRowOut()))
        next = serializers.DictField(child=serializers.CharField(allow_null=True),
                                     help_text="Per group, the URL of its next page (null on the last).")
        previous = serializers.DictField(child=serializers.CharField(allow_null=True),
                                         help_text="Per group, the URL of its previous page (null on the first).")

    @extend_schema(parameters=[QueryIn], responses=OutputSerializer)
    def get(self, request):  # type: ignore[no-untyped-def]
        from django.utils import timezone

        query = self.QueryIn(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        day = q.get("day") or timezone.localdate()
        groups, counts = console_sel.console_day(doctor=request.user, day=day, limit=q["limit"], offset=q["offset"],
                                                 group=q.get("group"))
        if q.get("group"):
            groups = {q["group"]: groups[q["group"]]}
        limit, offset = q["limit"], q["offset"]

        def page(name: str, at: int) -> str:
            return request.build_absolute_uri(
                f"{request.path}?day={day.isoformat()}&group={name}&limit={limit}&offset={at}")

        nxt = {name: page(name, offset + limit) if offset + limit < counts[name] else None for name in groups}
        prev = {name: page(name, max(0, offset - limit)) if offset > 0 else None for name in groups}
        # Rows are already plain values (see ConsoleRowOut for their shape); the JSON renderer writes them as is.
        return Response({"day": day, "limit": limit, "offset": offset, "counts": counts, "groups": groups,
                         "next": nxt, "previous": prev})
