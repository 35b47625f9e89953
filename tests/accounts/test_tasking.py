"""platform_site.tasking: a broker failure never raises, and a broker known to be down is not retried at once."""
from __future__ import annotations

import pytest
from celery import Celery

from platform_site import tasking


@pytest.fixture
def failing_task(monkeypatch):
    app = Celery("tasking-check", broker="memory://tasking-check", set_as_current=False)

    @app.task(name="tests.tasking.noop")
    def noop() -> None:  # pragma: no cover - never runs
        return None

    calls = []

    def broken_apply_async(*args, **kwargs):
        calls.append((args, kwargs))
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(noop, "apply_async", broken_apply_async)
    monkeypatch.setattr(tasking, "_down_until", {})
    return noop, calls


def test_failure_returns_false_and_skips_the_broker_for_a_while(failing_task, monkeypatch):
    task, calls = failing_task
    assert tasking.enqueue(task) is False
    assert tasking.enqueue(task) is False
    assert tasking.enqueue(task) is False
    # only the first attempt reached the (hung) broker; the others were skipped without waiting
    assert len(calls) == 1


def test_broker_is_tried_again_after_the_window(failing_task, monkeypatch):
    task, calls = failing_task
    now = [1000.0]
    monkeypatch.setattr(tasking.time, "monotonic", lambda: now[0])
    assert tasking.enqueue(task) is False
    now[0] += tasking.BROKER_RETRY_AFTER_SECONDS + 0.1
    assert tasking.enqueue(task) is False
    assert len(calls) == 2


def test_success_sends_the_task(monkeypatch):
    app = Celery("tasking-ok", broker="memory://tasking-ok", set_as_current=False)

    @app.task(name="tests.tasking.ok")
    def ok() -> None:  # pragma: no cover - runs in the worker
        return None

    sent = []
    monkeypatch.setattr(ok, "apply_async", lambda *a, **k: sent.append(k))
    monkeypatch.setattr(tasking, "_down_until", {})
    assert tasking.enqueue(ok, 1, x=2) is True
    assert sent == [{"args": (1,), "kwargs": {"x": 2}, "retry": False}]
