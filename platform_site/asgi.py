"""The ASGI application: ONLY the WebSocket routes (the video rooms' signalling, consult/routing.py).

HTTP stays on gunicorn's sync workers (MACHINE-NOTES: Django's sync views served through ASGI measured ~10×
slower here); an HTTP request that reaches this server is answered 404. `make run` starts uvicorn with this
application next to gunicorn (platform_site/launch.py); production routes /ws/ to it (docs/consult.md).

WebSockets are authenticated by the session cookie (AuthMiddlewareStack) and must come from an allowed host
(AllowedHostsOriginValidator: a page of another site cannot open a room with the visitor's cookie).
"""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_site.settings.local")
django_asgi = get_asgi_application()  # sets Django up before the consumers' models are imported

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402


async def http_not_here(scope, receive, send):  # noqa: ANN001,ANN201 - the ASGI callable signature
    """HTTP is gunicorn's: this server answers every HTTP request 404 (lifespan is turned off in the launcher)."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 404,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
    await send({"type": "http.response.body", "body": b"WebSocket server: HTTP is served elsewhere.\n"})


# The routes are loaded by name: the site's wiring does not import the apps (the layers of docs/architecture.md).
websocket_urlpatterns = import_string("consult.routing.websocket_urlpatterns")

application = ProtocolTypeRouter({
    "http": http_not_here,
    "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
})
