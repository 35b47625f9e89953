"""Video visits: the room's access (the WebSocket signalling consumer and the page), relaying, auditing, and the
video kind treated as online by the follow-up-only rule."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from channels.routing import URLRouter
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from consult.models import AppointmentStatus, ConsultationThread, SlotKind
from consult.routing import websocket_urlpatterns
from consult.services import followup
from tests.consult.factories import AppointmentFactory, SlotFactory
from tests.factories import DoctorFactory, PatientFactory

# The consumer runs its sync handlers through database_sync_to_async, which closes the connection between
# handlers: the test database must not be held in one transaction.
pytestmark = pytest.mark.django_db(transaction=True)

APP = URLRouter(websocket_urlpatterns)


def video_appointment(*, minutes_from_now: int = 5, **kwargs: Any) -> Any:
    start = timezone.now().replace(microsecond=0) + dt.timedelta(minutes=minutes_from_now)
    slot = SlotFactory(start=start, end=start + dt.timedelta(minutes=20), kind=SlotKind.VIDEO)
    appointment = AppointmentFactory(slot=slot, **kwargs)
    ConsultationThread.objects.create(appointment=appointment)   # as booking a video slot does
    return appointment


def path(appointment_id: Any) -> str:
    return f"/ws/appointments/{appointment_id}/video/"


class WebsocketCommunicator(ApplicationCommunicator):
    """channels.testing.WebsocketCommunicator's few calls (channels.testing imports daphne, which uvicorn spares
    us installing): a WebSocket scope, connect, send/receive JSON, disconnect."""

    def __init__(self, application: Any, path: str, headers: Any) -> None:
        super().__init__(application, {"type": "websocket", "path": path, "raw_path": path.encode(),
                                       "query_string": b"", "headers": headers, "subprotocols": [],
                                       "client": ["127.0.0.1", 50000], "server": ["127.0.0.1", 8001]})

    async def connect(self, timeout: float = 3) -> tuple[bool, Any]:
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        return response["type"] == "websocket.accept", response.get("code")

    async def send_json_to(self, data: Any) -> None:
        await self.send_input({"type": "websocket.receive", "text": json.dumps(data)})

    async def receive_json_from(self, timeout: float = 3) -> Any:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def disconnect(self, code: int = 1000, timeout: float = 3) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)


class Party:
    """One side of a room: a communicator connected as `user` (the scope's user, as AuthMiddlewareStack sets).
    Its calls are awaited inside ONE event loop per test (`run`): the consumer's task lives in that loop."""

    def __init__(self, user: Any, appointment_id: Any, app: Any = APP, headers: Any = None) -> None:
        self.comm = WebsocketCommunicator(app, path(appointment_id), headers=headers or [])
        if user is not None:
            self.comm.scope["user"] = user

    async def connect(self) -> bool:
        connected, _ = await self.comm.connect()
        return connected

    async def receive(self) -> dict[str, Any]:
        return await self.comm.receive_json_from(timeout=3)

    async def send(self, message: dict[str, Any]) -> None:
        await self.comm.send_json_to(message)

    async def closed_code(self) -> int | None:
        output = await self.comm.receive_output(timeout=3)
        assert output["type"] == "websocket.close"
        return output.get("code")

    async def silent(self) -> bool:
        return await self.comm.receive_nothing(timeout=0.3)

    async def leave(self) -> None:
        await self.comm.disconnect()


def run(scenario: Any, *args: Any) -> Any:
    return async_to_sync(scenario)(*args)


def denied_rows(appointment: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="denied", object_type="video_room", object_id=str(appointment.pk)))


def video_rows(appointment: Any, event: str) -> list[AuditEvent]:
    return [e for e in AuditEvent.objects.filter(object_type="video_room", object_id=str(appointment.pk),
                                                 action="read") if (e.detail or {}).get("video") == event]


def test_patient_and_doctor_join_relay_and_leave_audited() -> None:
    appointment = video_appointment()
    patient_user, doctor_user = appointment.patient, appointment.doctor

    async def scenario() -> None:
        patient = Party(patient_user, appointment.pk)
        assert await patient.connect()
        assert await patient.receive() == {"type": "joined", "role": "patient"}
        doctor = Party(doctor_user, appointment.pk)
        assert await doctor.connect()
        assert await doctor.receive() == {"type": "joined", "role": "doctor"}
        assert await patient.receive() == {"type": "peer-joined"}   # the one already there makes the offer
        await patient.send({"type": "offer", "data": {"type": "offer", "sdp": "v=0 fake"}})
        assert await doctor.receive() == {"type": "offer", "data": {"type": "offer", "sdp": "v=0 fake"}}
        assert await patient.silent()   # nothing echoed to the sender
        await doctor.send({"type": "answer", "data": {"sdp": "v=0 answer"}})
        assert await patient.receive() == {"type": "answer", "data": {"sdp": "v=0 answer"}}
        await doctor.send({"type": "ice", "data": {"candidate": "candidate:1"}})
        assert (await patient.receive())["type"] == "ice"
        await doctor.send({"type": "chat", "data": "not signalling"})   # anything else is dropped
        assert await patient.silent()
        await doctor.leave()
        assert await patient.receive() == {"type": "peer-left"}
        await patient.leave()

    run(scenario)
    assert len(video_rows(appointment, "join")) == 2
    leaves = video_rows(appointment, "leave")
    assert sorted(e.actor_id for e in leaves) == sorted([appointment.patient_id, appointment.doctor_id])
    assert all(e.subject_id == appointment.patient_id for e in leaves)
    assert denied_rows(appointment) == []


async def refused(user: Any, appointment_id: Any) -> tuple[dict[str, Any], int | None]:
    party = Party(user, appointment_id)
    assert await party.connect()   # accepted only to say why, then closed
    message = await party.receive()
    return message, await party.closed_code()


def test_a_stranger_is_refused_with_one_audit_row_and_no_relay() -> None:
    appointment = video_appointment()
    patient_user, strangers = appointment.patient, (PatientFactory(), DoctorFactory())

    async def scenario() -> list[Any]:
        patient = Party(patient_user, appointment.pk)
        assert await patient.connect()
        await patient.receive()
        answers = [await refused(stranger, appointment.pk) for stranger in strangers]
        assert await patient.silent()   # the strangers never reached the room
        await patient.leave()
        return answers

    for message, code in run(scenario):
        assert message["type"] == "refused"
        assert message["code"] == "not_found"
        assert code == 4403
    rows = denied_rows(appointment)
    assert len(rows) == 2
    assert {r.actor_id for r in rows} == {s.pk for s in strangers}
    assert {r.detail["reason"] for r in rows} == {"not_party"}
    assert len(video_rows(appointment, "join")) == 1


def test_anonymous_and_unknown_appointment_refused() -> None:
    appointment = video_appointment()
    patient_user = appointment.patient
    message, code = run(refused, None, appointment.pk)
    assert message["type"] == "refused"
    assert code == 4403
    assert [r.detail["reason"] for r in denied_rows(appointment)] == ["anonymous"]
    message, _ = run(refused, patient_user, appointment.pk + 1000)
    assert message["code"] == "not_found"
    assert AuditEvent.objects.filter(action="denied", object_id=str(appointment.pk + 1000),
                                     detail__reason="no_such_object").count() == 1


@pytest.mark.parametrize(("minutes_from_now", "allowed"), [
    (settings.VIDEO_OPENS_BEFORE_MINUTES + 2, False),    # too early
    (settings.VIDEO_OPENS_BEFORE_MINUTES - 2, True),     # just opened
    (-20 - settings.VIDEO_STAYS_OPEN_MINUTES + 2, True),  # ended (20 minutes long), still within the grace
    (-20 - settings.VIDEO_STAYS_OPEN_MINUTES - 2, False),  # closed
])
def test_the_room_is_open_only_around_the_appointment_time(minutes_from_now: int, allowed: bool) -> None:
    appointment = video_appointment(minutes_from_now=minutes_from_now)
    doctor_user = appointment.doctor

    async def scenario() -> tuple[dict[str, Any], int | None]:
        party = Party(doctor_user, appointment.pk)
        assert await party.connect()
        message = await party.receive()
        if message["type"] == "joined":
            await party.leave()
            return message, None
        return message, await party.closed_code()

    message, code = run(scenario)
    if allowed:
        assert message == {"type": "joined", "role": "doctor"}
        assert denied_rows(appointment) == []
    else:
        assert message["type"] == "refused"
        assert message["code"] == "forbidden"
        assert code == 4403
        assert [r.detail["reason"] for r in denied_rows(appointment)] == ["outside_window"]


@pytest.mark.parametrize(("change", "reason"), [
    ({"status": AppointmentStatus.CANCELLED}, "not_open"),
    ({"status": AppointmentStatus.COMPLETED}, "not_open"),
    ({"status": AppointmentStatus.PENDING_PAYMENT, "fee": "60.00",
      "hold_expires_at": timezone.now() + dt.timedelta(minutes=15)}, "unpaid"),
    ({"kind": SlotKind.ONLINE}, "not_open"),   # a text consultation has no video room
])
def test_cancelled_unpaid_finished_or_not_video_refused(change: dict[str, Any], reason: str) -> None:
    appointment = video_appointment()
    for field, value in change.items():
        setattr(appointment, field, value)
    appointment.save()
    patient_user = appointment.patient
    message, code = run(refused, patient_user, appointment.pk)
    assert message["type"] == "refused"
    assert code == 4403
    assert [r.detail["reason"] for r in denied_rows(appointment)] == [reason]
    assert video_rows(appointment, "join") == []


def test_session_cookie_authenticates_through_the_asgi_application(client: Any) -> None:
    from platform_site.asgi import application

    appointment = video_appointment()
    client.force_login(appointment.patient)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    async def scenario() -> tuple[Any, Any]:
        party = Party(None, appointment.pk, app=application,
                      headers=[(b"cookie", cookie.encode()), (b"origin", b"http://testserver")])
        assert await party.connect()
        first = await party.receive()
        await party.leave()
        # Without the cookie the same socket is anonymous and refused.
        anonymous = Party(None, appointment.pk, app=application, headers=[(b"origin", b"http://testserver")])
        assert await anonymous.connect()
        return first, await anonymous.receive()

    first, second = run(scenario)
    assert first == {"type": "joined", "role": "patient"}
    assert second["type"] == "refused"


def test_page_for_the_parties_only(client: Any) -> None:
    appointment = video_appointment()
    url = reverse("consult:video_room", args=[appointment.pk])
    client.force_login(appointment.patient)
    body = client.get(url).content.decode()
    assert 'id="video-room"' in body
    assert "/ws/appointments/" in body
    assert reverse("consult:consultation", args=[appointment.pk]) in body
    client.force_login(PatientFactory())
    assert client.get(url).status_code == 404
    assert len(denied_rows(appointment)) == 1


def test_page_outside_the_window_says_when_the_room_opens(client: Any, settings: Any) -> None:
    appointment = video_appointment(minutes_from_now=120)
    client.force_login(appointment.patient)
    body = client.get(reverse("consult:video_room", args=[appointment.pk])).content.decode()
    assert 'data-testid="video-not-open"' in body
    assert "consult/video.js" not in body   # no camera started for a closed room
    assert denied_rows(appointment) == []   # showing the page is no refusal
    settings.VIDEO_WS_PORT = 8765
    appointment = video_appointment()
    client.force_login(appointment.patient)
    body = client.get(reverse("consult:video_room", args=[appointment.pk])).content.decode()
    assert f'data-ws-url="ws://testserver:8765/ws/appointments/{appointment.pk}/video/"' in body


def test_a_video_visit_is_an_online_visit_for_the_follow_up_rule() -> None:
    from core.errors import ApplicationError

    patient = PatientFactory()
    slot = SlotFactory(kind=SlotKind.VIDEO)
    with pytest.raises(ApplicationError):
        followup.online_booking_check(booked_by=patient, patient=patient, slot_id=slot.pk)
    assert followup.online_booking_check(booked_by=patient, patient=patient,
                                         slot_id=SlotFactory(kind=SlotKind.IN_PERSON).pk) is None


@pytest.mark.parametrize(("redis_url", "backend"), [
    ("redis://127.0.0.1:6390/15", "channels_redis.core.RedisChannelLayer"),
    ("", "channels.layers.InMemoryChannelLayer"),
])
def test_channel_layer_is_redis_when_redis_url_is_set(redis_url: str, backend: str) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update({"REDIS_URL": redis_url, "DJANGO_SETTINGS_MODULE": "platform_site.settings.test"})
    out = subprocess.run([sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
                          "l = settings.CHANNEL_LAYERS['default']; print(l['BACKEND'], l.get('CONFIG', {}).get('hosts'))"],
                         cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] == backend
    if redis_url:
        assert redis_url in out.stdout
