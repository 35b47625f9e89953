"""Queueing helpers: tasks are queued after the transaction commits, and a broker outage never fails a page.

The work a task does is always recorded in the database first (an outbox row, a pending state); the task
only speeds it up. If the broker cannot be reached, the row stays pending and a periodic sweeper picks
it up later, so the page that asked still answers.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

# After a failed send, further sends to the same broker are skipped for this many seconds: a hung Redis
# costs ~2 s per attempt (the socket timeout), and a page that queues several tasks must still answer
# quickly. Skipped work is safe: it is recorded in the database and the sweepers deliver it.
BROKER_RETRY_AFTER_SECONDS = 10.0
_down_until: dict[str, float] = {}
_lock = threading.Lock()


def _broker_key(task: Any) -> str:
    return str(getattr(task.app.conf, "broker_url", "") or "")


def _task(task: Any) -> Any:
    """A task object, or the registered task of that name: services queue tasks by name, so an app's services
    never import its tasks module (which imports the services: no circle)."""
    if isinstance(task, str):
        from importlib import import_module

        from celery import current_app

        if task not in current_app.tasks:  # a web process registers an app's tasks when its module is imported
            import_module(f"{task.split('.', 1)[0]}.tasks")
        return current_app.tasks[task]
    return task


def enqueue(task: Any, *args: Any, **kwargs: Any) -> bool:
    """Send a task (object or registered name) now; return False (and log) instead of raising when the broker is
    unreachable."""
    task = _task(task)
    key = _broker_key(task)
    with _lock:
        if _down_until.get(key, 0.0) > time.monotonic():
            logger.info("broker marked down; not queueing %s (the sweeper will pick it up)", task.name)
            return False
    try:
        task.apply_async(args=args, kwargs=kwargs, retry=False)
    except Exception:  # noqa: BLE001 - any broker error: the sweeper will deliver the recorded work
        logger.warning("could not queue %s; the periodic sweeper will pick it up", task.name, exc_info=True)
        with _lock:
            _down_until[key] = time.monotonic() + BROKER_RETRY_AFTER_SECONDS
        return False
    with _lock:
        _down_until.pop(key, None)
    return True


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Queue a task once the current transaction commits (immediately when there is none)."""
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))
