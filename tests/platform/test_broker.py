"""Celery through a real broker: a worker subprocess (with embedded beat) and a gunicorn web server.

The broker is CELERY_BROKER_URL (Redis in CI) or kombu's filesystem transport when it is unset.
"""
from __future__ import annotations

import os
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator

import pytest
from celery import Celery

from accounts.models import EmailStatus, OutboundEmail, User
from core.models import TaskOutbox
from platform_site.settings import integrations_celery
from platform_site.tasking import enqueue
from tests.platform.broker_proxy import BrokerProxy, ThrowawayRedis
from tests.platform.conftest import Browserless, Stack, closed_port_url, wait_until

pytestmark = pytest.mark.broker

PASSWORD = "a-Long-passphrase-42"


def _deliveries(worker_log: str, task: str) -> int:
    """How many runs of `task` the worker's log reports as succeeded."""
    return sum(1 for line in worker_log.splitlines() if f"Task {task}[" in line and "succeeded" in line)


def test_beat_schedules_the_outbox_sweep_through_the_broker_and_the_worker_sends_the_mail(stack: Stack):
    # Given a pending e-mail whose delivery task was never queued
    row = OutboundEmail.objects.create(to=["beat.check@example.test"], subject="Beat check", body="Swept by beat.",
                                       from_email="no-reply@medplatform.invalid")

    # When a worker with embedded beat runs the sweep every second
    worker = stack.start_worker(sweep_seconds=1)

    # Then beat → broker → worker delivers it, once
    wait_until(lambda: OutboundEmail.objects.get(pk=row.pk).status == EmailStatus.SENT, 45, "the sweep to send it")
    row.refresh_from_db()
    assert (row.status, row.attempts) == (EmailStatus.SENT, 1)
    assert row.sent_at is not None
    messages = stack.sent_mail()
    assert len(messages) == 1
    assert "Subject: Beat check" in messages[0]
    assert "To: beat.check@example.test" in messages[0]
    log = worker.log()
    assert "Scheduler: Sending due task accounts-email-outbox-sweep" in log
    assert _deliveries(log, "accounts.tasks.email_outbox_sweep") >= 1
    assert _deliveries(log, "accounts.tasks.email_deliver") == 0


def test_a_task_queued_by_a_page_is_executed_by_the_worker(stack: Stack):
    # Given the web server and a worker whose sweep is far away (so only the queued task can send)
    worker = stack.start_worker(sweep_seconds=3600)
    web = stack.start_web()

    # When someone signs up
    client = Browserless(web.url)
    status, location = client.post_form(
        "/accounts/signup/", {"email": "queued@example.test", "password1": PASSWORD, "password2": PASSWORD})
    print(f"sign-up POST with the broker up answered in {client.last_post_seconds:.3f} s")

    # Then the page redirects, and the verification e-mail is sent by the worker's email_deliver task
    assert (status, location) == (302, "/accounts/confirm-email/")
    assert User.objects.filter(email="queued@example.test").count() == 1
    wait_until(lambda: OutboundEmail.objects.filter(status=EmailStatus.SENT).exists(), 30, "the worker to send it")
    assert list(OutboundEmail.objects.values_list("to", "status", "attempts")) == [
        (["queued@example.test"], EmailStatus.SENT, 1)]
    messages = stack.sent_mail()
    assert len(messages) == 1
    assert "To: queued@example.test" in messages[0]
    assert "/accounts/confirm-email/" in messages[0]
    log = worker.log()
    assert _deliveries(log, "accounts.tasks.email_deliver") == 1
    assert _deliveries(log, "accounts.tasks.email_outbox_sweep") == 0


def _sign_up(client: Browserless, email: str) -> tuple[int, str]:
    return client.post_form("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})


def test_with_the_broker_down_sign_up_still_answers_and_a_later_sweep_sends_the_mail_once(stack: Stack):
    # Given a web server whose broker is unreachable (nothing listens on the port), past its first request
    # (a fresh gunicorn worker's first sign-up also pays for imports and template compilation: measured
    # ~1.9 s with the broker UP on the loaded shared machine, so it is not what this test times)
    web = stack.start_web(CELERY_BROKER_URL=closed_port_url())
    assert _sign_up(Browserless(web.url), "first.outage@example.test") == (302, "/accounts/confirm-email/")

    # When someone signs up
    client = Browserless(web.url)
    status, location = _sign_up(client, "outage@example.test")
    elapsed = client.last_post_seconds
    print(f"sign-up POST with the broker down answered in {elapsed:.3f} s")

    # Then the page still answers, quickly, and both e-mails wait in the outbox, their tasks in the task outbox
    assert (status, location) == (302, "/accounts/confirm-email/")
    assert elapsed < 3, f"sign-up took {elapsed:.2f} s with the broker down"
    assert User.objects.filter(email="outage@example.test").count() == 1
    assert sorted(OutboundEmail.objects.values_list("to", "status", "attempts")) == [
        (["first.outage@example.test"], EmailStatus.PENDING, 0), (["outage@example.test"], EmailStatus.PENDING, 0)]
    wait_until(lambda: "broker unreachable" in web.log(), 10, "the publisher to notice the outage")
    assert list(TaskOutbox.objects.values_list("task", "published_at", "done_at")) == [
        ("accounts.tasks.email_deliver", None, None)] * 2
    # one warning for the outage, no traceback per request
    log = web.log()
    assert log.count("broker unreachable") == 1
    assert "Traceback" not in log

    # When a worker whose beat sweeps the task outbox every second runs (the e-mail sweep is far away)
    worker = stack.start_worker(CORE_OUTBOX_SWEEP_SECONDS="1")
    wait_until(lambda: OutboundEmail.objects.filter(status=EmailStatus.SENT).count() == 2, 45,
               "the sweep to send them")
    # let a few more sweeps run: none may send them again
    time.sleep(3)

    # Then each was sent exactly once, by one run of its task
    assert sorted(OutboundEmail.objects.values_list("to", "status", "attempts")) == [
        (["first.outage@example.test"], EmailStatus.SENT, 1), (["outage@example.test"], EmailStatus.SENT, 1)]
    messages = stack.sent_mail()
    assert len(messages) == 2
    assert sorted(line for m in messages for line in m.splitlines() if line.startswith("To: ")) == [
        "To: first.outage@example.test", "To: outage@example.test"]
    assert _deliveries(worker.log(), "core.tasks.outbox_sweep") >= 3
    assert _deliveries(worker.log(), "accounts.tasks.email_deliver") == 2
    assert TaskOutbox.objects.filter(done_at__isnull=False, failed=False).count() == 2


@pytest.fixture
def proxied_redis() -> Iterator[tuple[BrokerProxy, str]]:
    """A proxy (healthy / hung / stopped on demand) in front of the test broker's Redis, or our own redis-server."""
    url = os.environ.get("CELERY_BROKER_URL", "")
    own = None
    if url.startswith("redis://"):
        parsed = urllib.parse.urlsplit(url)
        host, port, db = parsed.hostname or "127.0.0.1", parsed.port or 6379, (parsed.path.strip("/") or "0")
    else:
        try:
            own = ThrowawayRedis()
        except RuntimeError as exc:
            pytest.skip(f"needs Redis: {exc}")
        host, port, db = "127.0.0.1", own.port, "0"
    proxy = BrokerProxy(host, port)
    yield proxy, proxy.url(int(db))
    proxy.close()
    if own is not None:
        own.close()


def test_a_hung_then_stopped_broker_costs_requests_nothing_and_each_task_runs_once_when_it_returns(
        stack: Stack, proxied_redis):
    # Given a web server and a worker that both reach the broker through a proxy; the worker's sweeps are far
    # away, so only the web process's publisher can send what waited
    proxy, url = proxied_redis
    web = stack.start_web(CELERY_BROKER_URL=url)
    worker = stack.start_worker(CELERY_BROKER_URL=url, CORE_OUTBOX_SWEEP_SECONDS="3600")
    assert _sign_up(Browserless(web.url), "healthy@example.test") == (302, "/accounts/confirm-email/")
    wait_until(lambda: OutboundEmail.objects.filter(status=EmailStatus.SENT).count() == 1, 30, "the healthy mail")

    # When the broker hangs (accepts, never answers), then stops, while people sign up
    timings = {}
    for mode, email in (("hung", "hung.1@example.test"), ("hung", "hung.2@example.test"),
                        ("down", "down.1@example.test")):
        proxy.set(mode)
        client = Browserless(web.url)
        assert _sign_up(client, email) == (302, "/accounts/confirm-email/")
        timings[email] = client.last_post_seconds
    print("sign-up POST seconds while the broker was sick:", timings)

    # Then no request waited for it (the old enqueue waited ~2 s on a hung broker)
    assert max(timings.values()) < 1.5, timings
    wait_until(lambda: "broker unreachable" in web.log(), 15, "the publisher to notice the outage")

    # When the broker is back
    proxy.set("up")
    wait_until(lambda: OutboundEmail.objects.filter(status=EmailStatus.SENT).count() == 4, 60,
               "the publisher to send what waited")
    time.sleep(3)

    # Then every e-mail was sent once, each task ran once, and the outage was logged once each way
    assert sorted(OutboundEmail.objects.values_list("status", "attempts")) == [(EmailStatus.SENT, 1)] * 4
    assert len(stack.sent_mail()) == 4
    assert _deliveries(worker.log(), "accounts.tasks.email_deliver") == 4
    assert TaskOutbox.objects.filter(done_at__isnull=False).count() == 4
    log = web.log()
    assert log.count("broker unreachable") == 1
    assert log.count("broker reachable again") == 1
    assert "Traceback" not in log


@pytest.fixture
def hung_redis() -> Iterator[str]:
    """A TCP server that accepts connections and never answers (a hung Redis)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    accepted: list[socket.socket] = []
    stopping = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stopping.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stopping.set()
    thread.join(timeout=2)
    for conn in accepted:
        conn.close()
    server.close()


@pytest.mark.parametrize("broker", ["hung", "closed"])
def test_enqueue_gives_up_within_seconds_when_redis_hangs_or_is_down(broker, hung_redis, monkeypatch):
    # Given a Celery app with the project's Redis transport options and a broker that hangs or refuses
    url = hung_redis if broker == "hung" else closed_port_url()
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)  # Celery lets this variable override broker_url
    app = Celery("broker-timeout-check", broker=url, set_as_current=False)
    options, connection_timeout = _redis_settings()
    app.conf.broker_transport_options = options
    app.conf.broker_connection_timeout = connection_timeout

    @app.task(name="tests.noop")
    def noop() -> None:  # pragma: no cover - never runs
        return None

    # When a task is queued
    started = time.monotonic()
    queued = enqueue(noop)
    elapsed = time.monotonic() - started

    # Then enqueue reports failure instead of raising, within seconds (Redis' default blocks > 1 minute)
    assert queued is False
    assert elapsed < 3, f"enqueue blocked {elapsed:.2f} s"


def _redis_settings() -> tuple[dict, float]:
    """What settings/integrations_celery.py configures for a Redis broker (CELERY_BROKER_URL=redis://…)."""
    import importlib
    import os

    saved = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = "redis://127.0.0.1:1/0"
    try:
        module = importlib.reload(integrations_celery)
        return dict(module.CELERY_BROKER_TRANSPORT_OPTIONS), module.CELERY_BROKER_CONNECTION_TIMEOUT
    finally:
        if saved is None:
            os.environ.pop("CELERY_BROKER_URL")
        else:
            os.environ["CELERY_BROKER_URL"] = saved
        importlib.reload(integrations_celery)
