"""`make run`: the web server, the WebSocket server, one Celery worker and the beat scheduler, stopped together
by Ctrl-C.

HTTP is gunicorn's (sync workers); uvicorn serves ONLY the WebSocket routes (platform_site/asgi.py: the video
rooms' signalling) on its own port, WS_PORT (default PORT + 1). The pages learn it from VIDEO_WS_PORT (the
page's own host on that port), which the launcher sets for every child unless VIDEO_WS_URL or VIDEO_WS_PORT is
already set.

Beat runs embedded in the single worker (`-B`), so exactly one scheduler exists.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

DEMO_ROLES = [
    ("patient", "patient@demo.medplatform.test"),
    ("doctor", "doctor@demo.medplatform.test"),
    ("pharmacist", "pharmacist@demo.medplatform.test"),
    ("counsellor", "counsellor@demo.medplatform.test"),
    ("admin", "admin@demo.medplatform.test"),
]


def ws_port(port: str) -> str:
    return os.environ.get("WS_PORT") or str(int(port) + 1)


def commands(port: str) -> list[list[str]]:
    """The processes `make run` starts: the web server, the WebSocket server and ONE worker with the embedded
    beat scheduler."""
    bin_dir = os.path.dirname(sys.executable)
    web = [os.path.join(bin_dir, "gunicorn"), "platform_site.wsgi:application", "--bind", f"127.0.0.1:{port}",
           "--workers", "2", "--threads", "4", "--graceful-timeout", "5", "--access-logfile", "-",
           "--log-level", "warning"]
    worker = [sys.executable, "-m", "celery", "-A", "platform_site", "worker", "-B", "--loglevel", "INFO",
              "--concurrency", "2", "--schedule", os.path.join("var", "celerybeat-schedule")]
    # One uvicorn process (the in-memory channel layer relays only within one process; with REDIS_URL the
    # Redis layer lets several run). No lifespan: the app is Django's, which has none.
    sockets = [os.path.join(bin_dir, "uvicorn"), "platform_site.asgi:application", "--host", "127.0.0.1",
               "--port", ws_port(port), "--ws", "websockets-sansio", "--lifespan", "off", "--log-level", "warning",
               "--no-access-log"]
    return [web, sockets, worker]


def stop_requested() -> threading.Event:
    """An event that Ctrl-C (SIGINT) or SIGTERM sets; a launcher's main loop polls it (also used by
    rarecases.federation_launch)."""
    event = threading.Event()

    def stop(*_args: object) -> None:
        event.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    return event


def main() -> int:
    port = os.environ.get("PORT", "8000")
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "platform_site.settings.local")
    if not env.get("VIDEO_WS_URL") and not env.get("VIDEO_WS_PORT"):
        env["VIDEO_WS_PORT"] = ws_port(port)
    stopping = stop_requested()
    # Each child leads its own process group, so Ctrl-C reaches only this launcher, which then stops the
    # children gracefully with one SIGTERM. (When the terminal's SIGINT also hit gunicorn's workers
    # directly, a gthread worker could hang on exit and be orphaned once its master was killed.)
    procs = [subprocess.Popen(argv, env=env, start_new_session=True) for argv in commands(port)]
    try:
        broker = env.get("CELERY_BROKER_URL") or "filesystem:// (embedded, var/celery)"
        from platform_site.settings.env import env as cfg

        mfa = "required for staff" if cfg.bool("REQUIRE_STAFF_MFA", default=False) else "off for the local demo"
        print(f"\n  MedPlatform is running at http://127.0.0.1:{port}/   (Ctrl-C stops everything)")
        debug = "on (DEBUG=1: Django's debug pages)" if cfg.bool("DEBUG", default=False) else "off (DEBUG=1 make run turns it on)"
        print(f"  Celery worker + beat on {broker}; staff MFA {mfa}; debug {debug}")
        print(f"  WebSockets (video visits' signalling) on ws://127.0.0.1:{ws_port(port)}/ws/ (uvicorn)")
        print("  Demo log-ins (password: demo-pass-2026):")
        for role, email in DEMO_ROLES:
            print(f"    {role:<11} {email}")
        print(flush=True)
        while not stopping.is_set() and all(p.poll() is None for p in procs):
            time.sleep(0.5)
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.time() + 15
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                pass
        for p in procs:
            # Whatever is left in a child's group (a stuck worker, an orphan) is killed, not left running.
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            if p.poll() is None:
                p.wait(timeout=5)
        print("  stopped: web server, WebSocket server, worker and beat", flush=True)
    return 0 if stopping.is_set() else 1


if __name__ == "__main__":
    sys.exit(main())
