"""Queueing helpers: tasks are queued after the transaction commits, and a broker outage never fails a page.

The work a task does is always recorded in the database first (an outbox row, a pending state); the task
only speeds it up. If the broker cannot be reached, the row stays pending and a periodic sweeper picks
it up later, so the page that asked still answers.
"""
from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue(task: Any, *args: Any, **kwargs: Any) -> bool:
    """Send a task now; return False (and log) instead of raising when the broker is unreachable."""
    try:
        task.apply_async(args=args, kwargs=kwargs, retry=False)
    except Exception:  # noqa: BLE001 - any broker error: the sweeper will deliver the recorded work
        logger.warning("could not queue %s; the periodic sweeper will pick it up", task.name, exc_info=True)
        return False
    return True


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Queue a task once the current transaction commits (immediately when there is none)."""
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))
