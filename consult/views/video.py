"""The video room page (docs/consult.md "Video visits"): WebRTC in static/consult/video.js, signalling over the
WebSocket of consult/consumers.py (served by the ASGI server, not by this page's server)."""
from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.policy import access, page

from ..services import video as svc


def signalling_base(request: HttpRequest) -> str:
    """The WebSocket server's base URL as this browser reaches it: VIDEO_WS_URL, else the page's own host on
    VIDEO_WS_PORT (`make run`), else the page's own origin (a proxy routes /ws/ to the ASGI server)."""
    if settings.VIDEO_WS_URL:
        return settings.VIDEO_WS_URL
    scheme = "wss" if request.is_secure() else "ws"
    if settings.VIDEO_WS_PORT:
        return f"{scheme}://{request.get_host().rsplit(':', 1)[0]}:{settings.VIDEO_WS_PORT}"
    return f"{scheme}://{request.get_host()}"


@access("appointment_party")
@page("consultation.use")
def video_room(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = svc.video_room_page(user=request.user, appointment_id=appointment_id)
    opens_at, closes_at = svc.room_window(appointment)
    decision = svc.room_decision(request.user, appointment)
    base = signalling_base(request)
    response = render(request, "consult/video.html", {
        "appointment": appointment, "opens_at": opens_at, "closes_at": closes_at,
        "room_open": bool(decision), "room_reason": decision.reason,
        "ws_url": f"{base}/ws/appointments/{appointment.pk}/video/",
        "ice_servers": settings.VIDEO_ICE_SERVERS,
        "has_thread": hasattr(appointment, "thread"),
        "now": timezone.now(),
    })
    # The page may open its one WebSocket (CSP connect-src; 'self' alone does not cover another port).
    response._csp_update = {"connect-src": [base]}  # type: ignore[attr-defined]
    return response
