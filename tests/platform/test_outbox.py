"""core's task outbox without a broker process: the row is written in the caller's transaction, a request never
waits on the broker, a failed publish leaves the row for later with one warning per outage, and the worker-side
claim runs a row's task once however often its message arrives."""
from __future__ import annotations

import logging
import time

import pytest
from celery import current_app, shared_task
from django.db import transaction

from core import outbox
from core.models import TaskOutbox
from core.tasking import OutboxTask

pytestmark = pytest.mark.django_db(transaction=True)

RUNS: list[int] = []


@shared_task(name="tests.outbox.record", bind=True)
def record(self, n: int) -> int:  # type: ignore[no-untyped-def]
    RUNS.append(n)
    return n


@pytest.fixture
def not_eager(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(current_app.conf, "task_always_eager", False)
    monkeypatch.setattr(outbox.health, "down_since", None)
    submitted: list[int] = []
    monkeypatch.setattr(outbox.publisher, "submit", submitted.append)
    RUNS.clear()
    return submitted


def test_the_row_is_written_in_the_callers_transaction_and_handed_over_after_commit(not_eager):
    from platform_site.tasking import enqueue_on_commit

    with transaction.atomic():
        enqueue_on_commit(record, 7)
        assert TaskOutbox.objects.count() == 1
        assert not_eager == []  # nothing leaves before the commit
    row = TaskOutbox.objects.get()
    assert (row.task, row.args, row.kwargs, row.published_at, row.done_at) == ("tests.outbox.record", [7], {}, None, None)
    assert not_eager == [row.pk]


def test_a_rolled_back_transaction_queues_nothing(not_eager):
    from platform_site.tasking import enqueue_on_commit

    def business_write_that_fails() -> None:
        with transaction.atomic():
            enqueue_on_commit(record, 1)
            raise RuntimeError("the business write failed")

    with pytest.raises(RuntimeError):
        business_write_that_fails()
    assert TaskOutbox.objects.count() == 0
    assert not_eager == []


def test_a_failing_broker_leaves_the_rows_and_warns_once_per_outage(not_eager, monkeypatch, caplog):
    rows = [TaskOutbox.objects.create(task="tests.outbox.record", args=[i]) for i in range(3)]
    attempts = []

    def hung(*args, **kwargs):  # type: ignore[no-untyped-def]
        attempts.append(kwargs["task_id"])
        raise TimeoutError("Timeout reading from socket")

    monkeypatch.setattr(current_app, "send_task", hung)
    caplog.set_level(logging.INFO, logger="core.outbox")
    for row in rows:
        assert outbox.outbox_publish(row_ids=[row.pk]) == 0
    assert attempts == [f"outbox-{r.pk}" for r in rows]
    assert list(TaskOutbox.objects.values_list("published_at", "publish_attempts")) == [(None, 1)] * 3
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "broker unreachable (TimeoutError" in warnings[0].getMessage()
    assert warnings[0].exc_info is None  # no traceback

    # the broker is back: the sweep publishes every row once, and says so once
    sent = []
    monkeypatch.setattr(current_app, "send_task", lambda name, **kw: sent.append((name, kw["args"], kw["task_id"])))
    TaskOutbox.objects.update(created_at=TaskOutbox.objects.get(pk=rows[0].pk).created_at.replace(year=2020))
    assert outbox.outbox_sweep() == 3
    assert outbox.outbox_sweep() == 0
    assert sorted(sent) == sorted(("tests.outbox.record", [r.args[0]], f"outbox-{r.pk}") for r in rows)
    assert [r.getMessage()[:24] for r in caplog.records if r.levelno >= logging.WARNING] == [
        "broker unreachable (Time", "broker reachable again a"]


def test_a_request_does_not_wait_for_a_hung_broker(monkeypatch):
    # the real publisher thread, a broker that hangs 2 s per send: the committing caller returns at once
    monkeypatch.setitem(current_app.conf, "task_always_eager", False)
    monkeypatch.setattr(outbox.health, "down_since", None)
    calls = []

    def hung(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs["task_id"])
        time.sleep(2)
        raise TimeoutError("Timeout reading from socket")

    monkeypatch.setattr(current_app, "send_task", hung)
    publisher = outbox.Publisher()
    monkeypatch.setattr(outbox, "publisher", publisher)
    from platform_site.tasking import enqueue_on_commit

    try:
        started = time.monotonic()
        for i in range(5):
            with transaction.atomic():
                enqueue_on_commit(record, i)
        elapsed = time.monotonic() - started
        time.sleep(0.3)
    finally:
        publisher.stop()
    assert elapsed < 0.5
    assert len(calls) == 1  # the thread tried the broker once, in the background
    assert TaskOutbox.objects.filter(done_at__isnull=True, published_at__isnull=True).count() >= 4


def _deliver(row: TaskOutbox, *, retries: int = 0, redelivered: bool = False) -> None:
    """What the worker's tracer does with one message of this row."""
    record.push_request(id=f"outbox-{row.pk}", retries=retries, is_eager=False,
                        delivery_info={"redelivered": redelivered}, args=row.args, kwargs={})
    try:
        record(*row.args)
    finally:
        record.pop_request()


def test_a_row_published_twice_runs_once(not_eager):
    assert isinstance(record, OutboxTask)
    row = TaskOutbox.objects.create(task="tests.outbox.record", args=[5])
    _deliver(row)
    _deliver(row)  # a duplicate publish (timeout after the broker took it; a sweep racing the publisher)
    assert RUNS == [5]
    row.refresh_from_db()
    assert row.started_at is not None
    assert row.done_at is not None
    assert row.failed is False


def test_a_retry_or_a_redelivery_after_a_lost_worker_may_run_again_until_done(not_eager):
    row = TaskOutbox.objects.create(task="tests.outbox.record", args=[9])
    TaskOutbox.objects.filter(pk=row.pk).update(started_at=row.created_at)  # a worker died mid-task
    _deliver(row)
    assert RUNS == []
    _deliver(row, redelivered=True)
    assert RUNS == [9]
    _deliver(row, retries=1)
    assert RUNS == [9]  # done now: nothing runs twice
