"""The task outbox: a request never talks to the broker.

`task_enqueue_on_commit(task, *args)` writes a TaskOutbox row in the caller's transaction and, once it commits,
hands the row's id to this process's publisher thread. The request is done: a hung or stopped broker costs it
one INSERT. The publisher sends rows to the broker (`send_task` with task id `outbox-<row id>`); when the broker
fails it logs ONE warning for the outage, leaves the rows in the table and probes every few seconds; when the
broker answers again it logs that once and drains what waited. The periodic sweep (core.tasks.outbox_sweep,
beat) drains too, and re-publishes a row whose message was lost (published long ago, never started).

Exactly once: a row is claimed for publishing with a conditional UPDATE (one publisher per row at a time), and
the worker that runs the task claims `started_at` with another (core.tasking.OutboxTask), so a message that was
published twice (a timeout after the broker did take it, a sweep racing a publisher) runs once.
"""
from __future__ import annotations

import logging
import os
import queue
import threading
import time
from datetime import timedelta
from typing import Any

from django.db import close_old_connections, transaction
from django.db.models import F, Q
from django.utils import timezone

logger = logging.getLogger(__name__)

TASK_ID_PREFIX = "outbox-"
# A published row not started after this long lost its message (a broker restarted without persistence, or a hung
# broker that took the bytes and never queued them — bench/broker_fault.py saw 1 of 1,220): sent again. Sending
# again is safe (the worker's started_at claim runs a task once); the cost is at most one duplicate message per row
# per period when a worker is far behind. Was 10 minutes; the lost message then waited that long.
REPUBLISH_AFTER = timedelta(minutes=2)
# The sweep leaves fresh rows to the publisher thread of the process that wrote them.
SWEEP_GRACE = timedelta(seconds=5)
PROBE_SECONDS = 2.0
BATCH = 200


class BrokerHealth:
    """Up or down, per process, with one log line per change (not a traceback per task)."""

    def __init__(self) -> None:
        self.down_since: float | None = None
        self.lock = threading.Lock()

    def failed(self, exc: BaseException, waiting: int | None = None) -> None:
        with self.lock:
            if self.down_since is not None:
                return
            self.down_since = time.monotonic()
        logger.warning("broker unreachable (%s: %s); tasks wait in the outbox and are sent when it is back",
                       type(exc).__name__, str(exc)[:200])

    def ok(self, sent: int) -> None:
        with self.lock:
            since, self.down_since = self.down_since, None
        if since is not None:
            logger.warning("broker reachable again after %.0f s; sending the tasks that waited (%d so far)",
                           time.monotonic() - since, sent)

    @property
    def is_down(self) -> bool:
        return self.down_since is not None


health = BrokerHealth()


def _model() -> Any:
    from .models import TaskOutbox

    return TaskOutbox


def _app(task: Any = None) -> Any:
    if task is not None and getattr(task, "app", None) is not None:
        return task.app
    from celery import current_app

    return current_app


def task_enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Queue `task(*args, **kwargs)` to run once after the current transaction commits (at once without one).

    Eager Celery (tests, CELERY_TASK_ALWAYS_EAGER) runs it on commit, in this thread, as before. `task` is a task
    or a registered task's name (services queue their app's tasks by name)."""
    from platform_site.tasking import _task

    task = _task(task)
    if _app(task).conf.task_always_eager:
        from platform_site.tasking import enqueue

        transaction.on_commit(lambda: enqueue(task, *args, **kwargs))
        return
    row = _model().objects.create(task=task.name, args=list(args), kwargs=dict(kwargs))
    transaction.on_commit(lambda: publisher.submit(row.pk))


def _claim(row_id: int) -> Any | None:
    """Take one unpublished row for publishing (a conditional UPDATE: two publishers never both take it)."""
    TaskOutbox = _model()
    taken = TaskOutbox.objects.filter(pk=row_id, published_at__isnull=True, done_at__isnull=True).update(
        published_at=timezone.now(), publish_attempts=F("publish_attempts") + 1)
    return TaskOutbox.objects.filter(pk=row_id).first() if taken else None


def outbox_publish(*, row_ids: list[int]) -> int:
    """Send these rows to the broker; returns how many were sent. Stops at the first broker failure (the row goes
    back to unpublished; the rest were never taken) and reports it to `health`."""
    app = _app()
    sent = 0
    for row_id in row_ids:
        row = _claim(row_id)
        if row is None:
            continue
        try:
            app.send_task(row.task, args=row.args, kwargs=row.kwargs, task_id=f"{TASK_ID_PREFIX}{row.pk}",
                          retry=False)
        except Exception as exc:  # noqa: BLE001 - any broker error: the row stays for later
            _model().objects.filter(pk=row.pk).update(published_at=None, last_error=f"{type(exc).__name__}: {exc}"[:300])
            health.failed(exc)
            return sent
        sent += 1
    health.ok(sent)
    return sent


def outbox_pending_ids(*, older_than: timedelta = timedelta(0), limit: int = BATCH) -> list[int]:
    """Rows to (re)publish, oldest first: never published, or published long ago and never started."""
    now = timezone.now()
    lost = Q(published_at__lt=now - REPUBLISH_AFTER, started_at__isnull=True)
    return list(_model().objects.filter(done_at__isnull=True, created_at__lte=now - older_than)
                .filter(Q(published_at__isnull=True) | lost).order_by("created_at", "pk").values_list("pk", flat=True)[:limit])


def outbox_sweep(*, limit: int = 1000) -> int:
    """Periodic: publish what is still waiting (the writer's process died or the broker was down), and send again
    a row whose message was lost. Returns how many were sent."""
    ids = outbox_pending_ids(older_than=SWEEP_GRACE, limit=limit)
    if not ids:
        return 0
    # A lost message: its row goes back to unpublished so that _claim can take it.
    _model().objects.filter(pk__in=ids, published_at__lt=timezone.now() - REPUBLISH_AFTER,
                            started_at__isnull=True).update(published_at=None)
    return outbox_publish(row_ids=ids)


def outbox_purge(*, older_than: timedelta = timedelta(days=7)) -> int:
    return _model().objects.filter(done_at__lt=timezone.now() - older_than).delete()[0]


class Publisher:
    """One thread per process (started on first use, again after a fork) that publishes committed rows."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def stop(self) -> None:
        """End the thread (tests); a process's publisher otherwise lives as long as the process."""
        self._stopping.set()

    def submit(self, row_id: int) -> None:
        self._ensure_thread()
        self._queue.put(row_id)

    def _ensure_thread(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._queue = queue.SimpleQueue()  # a forked child does not inherit the parent's thread
            threading.Thread(target=self._run, name="outbox-publisher", daemon=True).start()
            self._pid = os.getpid()

    def _take_batch(self, timeout: float) -> list[int]:
        try:
            ids = [self._queue.get(timeout=timeout)]
        except queue.Empty:
            return []
        while len(ids) < BATCH:
            try:
                ids.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return ids

    def _run(self) -> None:
        from django.db import connection

        while not self._stopping.is_set():
            try:
                if health.is_down:
                    self._stopping.wait(PROBE_SECONDS)
                    # ids queued meanwhile are in the table: the drain below sends them, oldest first
                    while not self._queue.empty():
                        self._queue.get_nowait()
                    self._drain()
                    continue
                ids = self._take_batch(timeout=0.5)
                if ids:
                    outbox_publish(row_ids=ids)
            except Exception:  # noqa: BLE001 - the thread must survive a database hiccup
                logger.exception("outbox publisher: unexpected error; retrying")
                time.sleep(PROBE_SECONDS)
            finally:
                close_old_connections()
        connection.close()

    def _drain(self) -> None:
        """After an outage: everything that waited, oldest first, in batches, while the broker answers."""
        while True:
            ids = outbox_pending_ids(limit=BATCH)
            if not ids:
                if health.is_down:  # nothing to send: probe the broker itself
                    self._probe()
                return
            sent = outbox_publish(row_ids=ids)
            if health.is_down or sent < len(ids):
                return

    def _probe(self) -> None:
        try:
            with _app().connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
        except Exception:  # noqa: BLE001 - still down
            return
        health.ok(0)


publisher = Publisher()
