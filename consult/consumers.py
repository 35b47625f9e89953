"""The video room's signalling (docs/consult.md "Video visits"): a WebSocket per party, room = appointment id.

On connect the access policy is asked (services/video.py: the appointment's patient side or doctor, within the
room's time, a booked and paid video visit); anyone else is refused through the policy's refusal function (one
audit row), told why and disconnected (close code 4403). A party's join and leave are audited.

Messages (JSON): the browser sends {"type": "offer"|"answer"|"ice", "data": ...}; the consumer relays them to the
other party of the same room unchanged (it never reads SDP or media). The server sends {"type": "peer-joined"}
when the other party arrives (the one already in the room then makes the offer), {"type": "peer-left"},
{"type": "joined", "role": ...} to the newcomer and {"type": "refused", "message": ...} before closing.
"""
from __future__ import annotations

import json
from typing import Any

from asgiref.sync import async_to_sync
from channels.generic.websocket import WebsocketConsumer
from django.utils import timezone, translation

from core.errors import ApplicationError

from .services import video

RELAYED = frozenset({"offer", "answer", "ice"})
MAX_MESSAGE_CHARS = 64 * 1024   # an SDP offer is a few kilobytes; anything larger is not signalling
REFUSED_CLOSE_CODE = 4403


def room_group(appointment_id: int) -> str:
    return f"video.{int(appointment_id)}"


class VideoSignalConsumer(WebsocketConsumer):
    appointment: Any = None
    group: str = ""

    def connect(self) -> None:
        user = self.scope.get("user")
        appointment_id = self.scope["url_route"]["kwargs"]["appointment_id"]
        try:
            self.appointment = video.video_room_enter(user=user, appointment_id=appointment_id)
        except ApplicationError as exc:  # AccessRefused / RoleRefused / LoginRequired: already audited
            self.accept()
            with translation.override(getattr(user, "preferred_language", "") or "en"):
                self.send(text_data=json.dumps({"type": "refused", "code": exc.code, "message": str(exc.message)}))
            self.close(code=REFUSED_CLOSE_CODE)
            return
        self.user = user
        self.joined_at = timezone.now()
        self.group = room_group(self.appointment.pk)
        async_to_sync(self.channel_layer.group_add)(self.group, self.channel_name)
        self.accept()
        role = "doctor" if user.pk == self.appointment.doctor_id else "patient"
        self.send(text_data=json.dumps({"type": "joined", "role": role}))
        async_to_sync(self.channel_layer.group_send)(
            self.group, {"type": "room.event", "event": "peer-joined", "sender": self.channel_name})

    def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.group or text_data is None or len(text_data) > MAX_MESSAGE_CHARS:
            return
        try:
            message = json.loads(text_data)
        except ValueError:
            return
        if not isinstance(message, dict) or message.get("type") not in RELAYED:
            return
        async_to_sync(self.channel_layer.group_send)(
            self.group, {"type": "room.relay", "message": {"type": message["type"], "data": message.get("data")},
                         "sender": self.channel_name})

    def disconnect(self, code: int) -> None:
        if not self.group:
            return
        async_to_sync(self.channel_layer.group_discard)(self.group, self.channel_name)
        async_to_sync(self.channel_layer.group_send)(
            self.group, {"type": "room.event", "event": "peer-left", "sender": self.channel_name})
        video.video_room_leave(user=self.user, appointment=self.appointment, joined_at=self.joined_at)
        self.group = ""

    # Group handlers: every party's consumer gets each event; it passes on what another party sent.
    def room_relay(self, event: dict[str, Any]) -> None:
        if event["sender"] != self.channel_name:
            self.send(text_data=json.dumps(event["message"]))

    def room_event(self, event: dict[str, Any]) -> None:
        if event["sender"] != self.channel_name:
            self.send(text_data=json.dumps({"type": event["event"]}))
