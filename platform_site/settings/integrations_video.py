"""Video visits (docs/consult.md "Video visits"): WebSocket signalling through Django Channels.

Only the signalling (offer, answer, ICE candidates — a few kilobytes per visit) passes through our servers; the
audio and video go browser to browser (or through the TURN server), never through Django.

- CHANNEL_LAYERS: channels_redis on REDIS_URL when it is set (every ASGI process of a deployment relays to the
  others), the in-memory layer otherwise (one ASGI process: `make run` without Redis, tests).
- VIDEO_WS_URL: the base URL of the WebSocket server as the browser reaches it (`wss://video.example.org`), or
  empty for the page's own origin (a reverse proxy routes /ws/ to the ASGI server). VIDEO_WS_PORT: when the
  URL is empty and a port is set, the page's own host on that port (`make run`: 127.0.0.1:8001).
- VIDEO_ICE_SERVERS: a JSON list of RTCIceServer objects (`[{"urls": "stun:turn.example.org:3478"},
  {"urls": "turn:turn.example.org:3478", "username": "...", "credential": "..."}]`); empty: host candidates
  only (enough on one machine or one LAN, as in the tests).
- VIDEO_OPENS_BEFORE_MINUTES / VIDEO_STAYS_OPEN_MINUTES: the room admits the two parties from this long before
  the appointment's start until this long after its end.
"""
from __future__ import annotations

import json

from .env import env

_REDIS_URL = env("REDIS_URL", default="")
if _REDIS_URL:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                  "CONFIG": {"hosts": [_REDIS_URL], "prefix": "medplatform:ws:"}}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

VIDEO_WS_URL = env("VIDEO_WS_URL", default="").rstrip("/")
VIDEO_WS_PORT = env.int("VIDEO_WS_PORT", default=0)
VIDEO_ICE_SERVERS = json.loads(env("VIDEO_ICE_SERVERS", default="") or "[]")
VIDEO_OPENS_BEFORE_MINUTES = env.int("VIDEO_OPENS_BEFORE_MINUTES", default=15)
VIDEO_STAYS_OPEN_MINUTES = env.int("VIDEO_STAYS_OPEN_MINUTES", default=30)
