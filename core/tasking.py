"""The Celery task class of the platform (platform_site/celery.py: `task_cls`): a task published from the outbox
runs at most once per row, however many times its message arrives."""
from __future__ import annotations

import logging
from typing import Any

from celery import Task
from celery.exceptions import Ignore, Retry

from .outbox import TASK_ID_PREFIX

logger = logging.getLogger(__name__)


def _row_id(task_id: str | None) -> int | None:
    if task_id and task_id.startswith(TASK_ID_PREFIX):
        tail = task_id[len(TASK_ID_PREFIX):]
        return int(tail) if tail.isdigit() else None
    return None


class OutboxTask(Task):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        request = self.request
        row_id = None if request.is_eager else _row_id(request.id)
        if row_id is None:
            return super().__call__(*args, **kwargs)
        from django.db.models import Q
        from django.utils import timezone

        from .models import TaskOutbox

        rows = TaskOutbox.objects.filter(pk=row_id, done_at__isnull=True)
        # Our own retry, or a message the broker handed out again after a worker died mid-task, may run again;
        # any other second copy of the message may not (it is a duplicate publish).
        again = bool(request.retries) or bool((request.delivery_info or {}).get("redelivered"))
        if not again:
            rows = rows.filter(Q(started_at__isnull=True))
        if not rows.update(started_at=timezone.now()):
            logger.info("task %s: outbox row %s already ran or runs; duplicate message skipped", self.name, row_id)
            return None
        try:
            # The worker's tracer pushed this message's request (id, retries): Task.__call__ would push a new,
            # empty one, and a retrying task would no longer know how often it had retried.
            result = self.run(*args, **kwargs)
        except (Retry, Ignore):
            raise
        except Exception as exc:
            TaskOutbox.objects.filter(pk=row_id).update(done_at=timezone.now(), failed=True,
                                                        last_error=f"{type(exc).__name__}: {exc}"[:300])
            raise
        TaskOutbox.objects.filter(pk=row_id).update(done_at=timezone.now())
        return result
