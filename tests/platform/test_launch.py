"""`make run` (platform_site.launch) starts exactly one beat scheduler: embedded in its single worker."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from platform_site.launch import commands

ROOT = Path(__file__).resolve().parent.parent.parent


def test_make_run_starts_one_web_server_and_one_worker_with_embedded_beat():
    procs = commands("8123")
    celery = [argv for argv in procs if "celery" in argv]
    assert len(procs) == 3
    assert procs[0][1:4] == ["platform_site.wsgi:application", "--bind", "127.0.0.1:8123"]
    # the WebSocket server: uvicorn with the ASGI app (WebSocket routes only) on the next port
    sockets = [argv for argv in procs if os.path.basename(argv[0]) == "uvicorn"]
    assert len(sockets) == 1
    assert sockets[0][1] == "platform_site.asgi:application"
    assert sockets[0][sockets[0].index("--port") + 1] == "8124"
    assert len(celery) == 1
    assert celery[0][celery[0].index("platform_site") + 1] == "worker"
    # a second scheduler (`celery beat`, or -B on a second worker) would run every periodic task twice
    assert sum(argv.count("-B") + argv.count("--beat") + argv.count("beat") for argv in procs) == 1


def _run_django(code: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEBUG", "DATABASE_URL"))}
    environ.update({"DJANGO_SETTINGS_MODULE": "platform_site.settings.local", **env})
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True,
                          timeout=120)


PROBE = """
import django; django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
c = Client(raise_request_exception=False)
page = c.get("/no-such-page/")
api = c.get("/api/consult/appointments/99999999999999999999999/")
static = c.get("/static/css/site.css")
print("DEBUG", settings.DEBUG, page.status_code, "Page not found at" in page.content.decode(),
      "Synthetic demonstration data only" in page.content.decode(), api.status_code, api["Content-Type"],
      static.status_code)
"""


def test_make_run_settings_show_the_platforms_pages_and_log_each_line_once(tmp_path):
    # Given the settings `make run` uses, without DEBUG in the environment (collectstatic has run)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True,
                   env={**os.environ, "DJANGO_SETTINGS_MODULE": "platform_site.settings.local"}, timeout=120)
    out = _run_django(PROBE)
    assert out.returncode == 0, out.stderr
    # Then DEBUG is off: the platform's 404 page (with the demo banner), JSON for the API, static files served
    assert out.stdout.split() == ["DEBUG", "False", "404", "False", "True", "404", "application/json", "200"]
    # and the 404 is logged once
    assert out.stderr.count("Not Found: /no-such-page/") == 1, out.stderr

    # Given DEBUG=1 (opting in): Django's debug page, still one log line per 404
    out = _run_django(PROBE, DEBUG="1")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[:4] == ["DEBUG", "True", "404", "True"]
    assert out.stderr.count("Not Found: /no-such-page/") == 1, out.stderr
