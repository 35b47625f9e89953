"""A video visit in two real browsers: the patient (English) and the doctor (Chinese) open the room, Chromium's fake
camera and microphone stream, the WebRTC connection between them reaches "connected" with the other's video
arriving; a third user is refused (the page answers 404, and their WebSocket to the room is told "refused" and
closed with 4403), each refusal one audit row; leaving is seen by the other side and audited.

The WebSocket server is the real ASGI application under uvicorn, in a thread of this process, against the same
test database as pytest-django's live_server (HTTP); the page learns its port from VIDEO_WS_PORT, as in
`make run`. Signalling only: the media go browser to browser over loopback (host candidates, no STUN/TURN).
"""
from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone, translation

from accounts.models import AuditEvent
from consult.models import ConsultationThread, SlotKind
from tests.consult.factories import AppointmentFactory, SlotFactory
from tests.e2e.conftest import CHROMIUM_ARGS, chromium_path
from tests.factories import DoctorFactory, PatientFactory

FAKE_MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
CONNECTED = "#video-room[data-connection-state='connected']"


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:
    """This module's own Chromium (the shared one has no fake camera and microphone), from the session's driver."""
    chromium = playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                          args=CHROMIUM_ARGS + FAKE_MEDIA)
    yield chromium
    chromium.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def ws_server(live_server: Any, settings: Any) -> Iterator[int]:
    """uvicorn serving platform_site.asgi (the WebSocket routes) in a thread, like `make run`'s second server."""
    import uvicorn
    from django.db import connections

    # The consumers' database connections live in uvicorn's worker threads, which this test cannot close: make
    # each one close after its handler (Channels' close_old_connections), so none outlives the test database.
    conn_max_age = connections.settings["default"].get("CONN_MAX_AGE", 0)
    connections.settings["default"]["CONN_MAX_AGE"] = 0
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config("platform_site.asgi:application", host="127.0.0.1", port=port,
                                           ws="websockets-sansio", lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            pytest.fail("the WebSocket server did not start")
        time.sleep(0.05)
    settings.VIDEO_WS_URL = ""
    settings.VIDEO_WS_PORT = port
    yield port
    server.should_exit = True
    thread.join(10)
    connections.settings["default"]["CONN_MAX_AGE"] = conn_max_age


def video_visit(patient: Any = None, doctor: Any = None) -> Any:
    start = timezone.now().replace(microsecond=0) + dt.timedelta(minutes=5)
    slot = SlotFactory(start=start, end=start + dt.timedelta(minutes=20), kind=SlotKind.VIDEO,
                       **({"doctor": doctor} if doctor else {}))
    appointment = AppointmentFactory(slot=slot, **({"patient": patient} if patient else {}))
    ConsultationThread.objects.create(appointment=appointment)
    return appointment


def remote_video_arrives(page: Any) -> None:
    page.wait_for_function("() => { const v = document.getElementById('video-remote');"
                           " return v.srcObject && v.srcObject.getVideoTracks().length > 0 && v.videoWidth > 0; }")


def test_patient_and_doctor_connect_and_a_third_user_is_refused(ws_server: int, new_page: Any, login_as: Any,
                                                               live_server: Any) -> None:
    appointment = video_visit(doctor=DoctorFactory(preferred_language="zh-hans"))
    room = f"/appointments/{appointment.pk}/video/"

    patient_page = new_page()
    login_as(patient_page, appointment.patient)
    patient_page.goto(room)
    assert patient_page.get_by_role("link", name="Open the consultation thread").is_visible()
    doctor_page = new_page(locale="zh-CN")
    login_as(doctor_page, appointment.doctor)
    doctor_page.goto(room)

    patient_page.wait_for_selector(CONNECTED)
    doctor_page.wait_for_selector(CONNECTED)
    remote_video_arrives(patient_page)
    remote_video_arrives(doctor_page)
    with translation.override("zh-hans"):
        connected_zh = translation.gettext("Connected.")
    assert connected_zh != "Connected."
    assert doctor_page.get_by_test_id("video-status").inner_text() == connected_zh
    assert patient_page.get_by_test_id("video-status").inner_text() == "Connected."

    # Mute: the patient's audio track is disabled, the button says so.
    patient_page.get_by_role("button", name="Mute").click()
    assert patient_page.locator("#video-mute").get_attribute("aria-pressed") == "true"
    assert patient_page.evaluate("document.getElementById('video-local').srcObject.getAudioTracks()"
                                 ".every(t => !t.enabled)")

    # A third user: the page is not found, and a WebSocket opened from their own (open) video room to this
    # room is refused and closed; the two parties stay connected.
    stranger = PatientFactory()
    own = video_visit(patient=stranger)
    stranger_page = new_page()
    login_as(stranger_page, stranger)
    assert stranger_page.goto(room).status == 404
    stranger_page.goto(f"/appointments/{own.pk}/video/")
    ws_url = f"ws://{live_server.url.split('//')[1].rsplit(':', 1)[0]}:{ws_server}/ws/appointments/{appointment.pk}/video/"
    answer = stranger_page.evaluate("""(url) => new Promise((resolve) => {
        const ws = new WebSocket(url); let first = null;
        ws.onmessage = (e) => { first = JSON.parse(e.data); };
        ws.onclose = (e) => resolve({code: e.code, first: first});
    })""", ws_url)
    assert answer["code"] == 4403
    assert answer["first"]["type"] == "refused"
    refusals = AuditEvent.objects.filter(action="denied", actor=stranger, object_type="video_room",
                                         object_id=str(appointment.pk))
    assert [r.detail["reason"] for r in refusals] == ["not_party", "not_party"]   # the page, the socket
    assert patient_page.locator(CONNECTED).count() == 1
    assert doctor_page.locator(CONNECTED).count() == 1

    # Leaving: the doctor's side sees it; both joins and the patient's leave are on the audit log.
    patient_page.get_by_role("button", name="Leave the visit").click()
    doctor_page.wait_for_selector("#video-room[data-connection-state='waiting']")
    deadline = time.time() + 10
    while time.time() < deadline:
        events = [(e.actor_id, (e.detail or {}).get("video")) for e in AuditEvent.objects.filter(
            object_type="video_room", object_id=str(appointment.pk), action="read")]
        if (appointment.patient_id, "leave") in events:
            break
        time.sleep(0.2)
    assert (appointment.patient_id, "join") in events
    assert (appointment.doctor_id, "join") in events
    assert (appointment.patient_id, "leave") in events
