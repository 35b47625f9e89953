"""/healthz and /readyz: JSON, no log-in, no audit, answered whatever the Host header; /readyz names what is down."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from accounts.models import AuditEvent
from tests.platform.conftest import BIN, ROOT, closed_port_url, free_port, wait_until


@pytest.mark.django_db
def test_healthz_and_readyz_answer_a_probe_by_node_address_without_a_session_or_an_audit_row(client):
    # Given a load balancer probing a node by its IP (not an allowed host)
    # When it asks /healthz and /readyz
    live = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    ready = client.get("/readyz", HTTP_HOST="10.0.0.7:8000")

    # Then both answer 200 JSON, every dependency ok, and nothing was written or set
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "migrations", "cache", "broker", "storage"}
    assert all(check["ok"] for check in body["checks"].values()), body
    assert AuditEvent.objects.count() == 0
    assert "sessionid" not in ready.cookies


@pytest.mark.django_db
def test_readyz_fails_with_the_reason_when_redis_is_down(client, settings):
    # Given the cache and the broker on a Redis that does not answer (a closed port)
    settings.REDIS_URL = closed_port_url()
    settings.CELERY_BROKER_URL = closed_port_url()

    # When the node is probed
    response = client.get("/readyz")

    # Then it is not ready, and says which dependency failed and why — without the URL
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    checks = body["checks"]
    assert checks["cache"] == {"ok": False, "error": "ConnectionError: connection refused", "ms": checks["cache"]["ms"]}
    assert checks["broker"]["error"] == "ConnectionError: connection refused"
    assert checks["database"]["ok"]
    assert checks["migrations"]["ok"]
    assert checks["storage"]["ok"]
    assert "127.0.0.1" not in response.content.decode()


def test_readyz_fails_with_the_reason_when_postgresql_is_down(tmp_path):
    # Given a web node whose PostgreSQL does not answer (nothing listens on its port)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "platform_site.settings.local", "DEBUG": "false",
                "DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/medplatform",
                "CELERY_BROKER_URL": "filesystem://", "CELERY_FS_DIR": str(tmp_path / "broker"),
                "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"), "REDIS_URL": ""})
    log = open(tmp_path / "web.log", "wb")  # noqa: SIM115 - closed below
    web = subprocess.Popen([str(BIN / "gunicorn"), "platform_site.wsgi:application", "--bind", f"127.0.0.1:{port}",
                            "--workers", "1", "--log-level", "warning"], cwd=ROOT, env=env, stdout=log,
                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    def get(path: str) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    try:
        # The process itself is alive: /healthz does not touch the database
        wait_until(lambda: _answers(get, web), 60, "the node to answer /healthz")

        # When /readyz is asked
        status, body = get("/readyz")

        # Then it is 503 with the database named, refused, and the migrations not checkable
        assert status == 503
        assert body["checks"]["database"]["ok"] is False
        assert body["checks"]["database"]["error"] == "OperationalError: connection refused"
        assert body["checks"]["migrations"]["error"] == "database unavailable"
        assert body["checks"]["storage"]["ok"]
        assert body["checks"]["broker"]["ok"]
    finally:
        web.terminate()
        web.wait(timeout=15)
        log.close()
        print((tmp_path / "web.log").read_text(errors="replace")[-3000:], file=sys.stderr)


def _answers(get, web) -> bool:  # type: ignore[no-untyped-def]
    if web.poll() is not None:
        raise AssertionError("the web node exited")
    try:
        return get("/healthz") == (200, {"status": "ok"})
    except OSError:
        return False
