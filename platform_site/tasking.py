"""Queueing helpers: tasks are queued after the transaction commits, and a sick broker never stalls a request.

`enqueue_on_commit` (what services call) goes through the task outbox of `core` (core/outbox.py): a row written
in the caller's transaction, published after commit by a background thread, so a hung or stopped broker costs the
request one INSERT and loses nothing; the row is delivered exactly once when the broker is back.

`enqueue` sends at once and reports failure instead of raising: for periodic sweepers running in a worker,
which fall back to doing the work inline (they never run in a request).
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

logger = logging.getLogger(__name__)

# After a failed send, further sends to the same broker are skipped for this many seconds: a hung Redis
# costs ~2 s per attempt (the socket timeout). Skipped work is safe: it is recorded in the database and the
# sweepers deliver it.
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
    """Send a task (object or registered name) now; return False instead of raising when the broker is
    unreachable (one warning per outage)."""
    from core.outbox import health

    task = _task(task)
    key = _broker_key(task)
    with _lock:
        if _down_until.get(key, 0.0) > time.monotonic():
            logger.debug("broker marked down; not queueing %s (the sweeper will pick it up)", task.name)
            return False
    try:
        task.apply_async(args=args, kwargs=kwargs, retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker error: the sweeper will deliver the recorded work
        health.failed(exc)
        with _lock:
            _down_until[key] = time.monotonic() + BROKER_RETRY_AFTER_SECONDS
        return False
    with _lock:
        _down_until.pop(key, None)
    return True


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Queue a task to run once after the current transaction commits (through the task outbox)."""
    from core.outbox import task_enqueue_on_commit

    task_enqueue_on_commit(task, *args, **kwargs)
