"""Video visits (视频问诊): who may enter an appointment's video room and when; joining and leaving audited.

The room is the WebSocket signalling of one appointment (consult/consumers.py): the two browsers exchange their
WebRTC offer, answer and ICE candidates through it; the audio and video never pass through our servers. The
access policy decides (`accounts.policy.video_room`): the appointment's patient side or its doctor, a video
appointment that is open (not cancelled, missed or finished) and paid, from VIDEO_OPENS_BEFORE_MINUTES before
its start to VIDEO_STAYS_OPEN_MINUTES after its end. Anyone else is refused through the policy's refusal
function (one `denied` audit row); a party outside the window, or of a cancelled or unpaid appointment, too.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import AuditAction, User
from accounts.services import audit_record

from ..models import Appointment, AppointmentStatus, SlotKind

OBJECT_TYPE = "video_room"
OPEN_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.IN_PROGRESS)


def room_window(appointment: Appointment) -> tuple[dt.datetime, dt.datetime]:
    """(opens_at, closes_at) of the appointment's video room."""
    before = dt.timedelta(minutes=int(getattr(settings, "VIDEO_OPENS_BEFORE_MINUTES", 15)))
    after = dt.timedelta(minutes=int(getattr(settings, "VIDEO_STAYS_OPEN_MINUTES", 30)))
    return appointment.start - before, appointment.end + after


def _is_paid(appointment: Appointment) -> bool:
    return appointment.status != AppointmentStatus.PENDING_PAYMENT and (not appointment.fee or bool(appointment.paid_at))


def room_decision(user: Any, appointment: Appointment, *, now: dt.datetime | None = None) -> policy.Decision:
    """The policy's answer for this user and this appointment's video room, now."""
    opens_at, closes_at = room_window(appointment)
    return policy.video_room(user, patient_id=appointment.patient_id, doctor_id=appointment.doctor_id,
                             opens_at=opens_at, closes_at=closes_at,
                             is_open=appointment.kind == SlotKind.VIDEO and (
                                 appointment.status in OPEN_STATUSES
                                 or appointment.status == AppointmentStatus.PENDING_PAYMENT),
                             is_paid=_is_paid(appointment), now=now)


def _appointments() -> Any:
    return Appointment.objects.select_related("patient", "doctor")


def video_room_page(*, user: User, appointment_id: Any) -> Appointment:
    """The appointment behind the room page: its parties see the page at any time (it says when the room opens);
    anyone else is refused as not found (audited)."""
    return policy.obtain(
        _appointments(), appointment_id, actor=user, object_type=OBJECT_TYPE,
        decide=lambda a: policy.appointment_party(user, patient_id=a.patient_id, doctor_id=a.doctor_id),
        message=_("Appointment not found."))


def video_room_enter(*, user: Any, appointment_id: Any, now: dt.datetime | None = None) -> Appointment:
    """A party joins the room (audited `read` with `video: join`). Raises AccessRefused (someone else's
    appointment or no such appointment: not found) or RoleRefused (a party, but the room is not open: outside
    its time, cancelled, finished, unpaid, or not a video visit); each refusal writes exactly one audit row."""
    def party(a: Appointment) -> policy.Decision:
        return policy.appointment_party(user, patient_id=a.patient_id, doctor_id=a.doctor_id)

    actor = user if getattr(user, "is_authenticated", False) else None
    appointment = policy.obtain(
        _appointments(), appointment_id, actor=actor, object_type=OBJECT_TYPE,
        decide=lambda a: room_decision(user, a, now=now), readable=party,
        message=_("Appointment not found."),
        forbidden=_("The video room is not open: it opens %(before)s minutes before the appointment and closes "
                    "%(after)s minutes after its end, and only for a booked, paid video visit.") % {
            "before": getattr(settings, "VIDEO_OPENS_BEFORE_MINUTES", 15),
            "after": getattr(settings, "VIDEO_STAYS_OPEN_MINUTES", 30)})
    audit_record(actor=user, action=AuditAction.READ, object_type=OBJECT_TYPE, object_id=appointment.pk,
                 subject=appointment.patient, detail={"video": "join"})
    return appointment


def video_room_leave(*, user: User, appointment: Appointment, joined_at: dt.datetime | None = None) -> None:
    """A party left the room (closed the page, pressed Leave, lost the connection): audited with how long."""
    detail: dict[str, Any] = {"video": "leave"}
    if joined_at is not None:
        detail["seconds"] = int((timezone.now() - joined_at).total_seconds())
    audit_record(actor=user, action=AuditAction.READ, object_type=OBJECT_TYPE, object_id=appointment.pk,
                 subject=appointment.patient, detail=detail)
