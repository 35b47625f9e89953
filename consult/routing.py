"""WebSocket routes (served by the ASGI application, platform_site/asgi.py; HTTP stays on gunicorn)."""
from __future__ import annotations

from django.urls import path

from .consumers import VideoSignalConsumer

websocket_urlpatterns = [
    path("ws/appointments/<id:appointment_id>/video/", VideoSignalConsumer.as_asgi(), name="video_signal"),
]
