"""Request ids: one per request (or the load balancer's `X-Request-ID` when it is well-formed), carried by the
Celery tasks the request queues, stored on the audit rows (accounts.AuditEvent.request_id) and printed on every
JSON log line (operations.logging)."""
from __future__ import annotations

import re
import uuid
from typing import Any

import structlog
from celery.signals import before_task_publish, task_postrun, task_prerun

from accounts.context import current_request_id

HEADER = "X-Request-ID"
# What we accept from upstream: short and plain (it ends up in logs and in the audit row).
_ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{8,64}")


def request_id_for(incoming: str | None) -> str:
    """The upstream id when it is well-formed, a new random one otherwise."""
    if incoming and _ACCEPTED.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


@before_task_publish.connect
def _publish_with_request_id(headers: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    rid = current_request_id.get()
    if rid and headers is not None:
        headers.setdefault("request_id", rid)


_TOKENS: dict[str, Any] = {}


@task_prerun.connect
def _run_with_request_id(task_id: str = "", task: Any = None, **_kwargs: Any) -> None:
    request = getattr(task, "request", None)
    if request is None or request.is_eager:
        return   # runs inside the caller (tests, CELERY_TASK_ALWAYS_EAGER): the caller's context applies
    rid = getattr(request, "request_id", None) or (getattr(request, "headers", None) or {}).get("request_id") or ""
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(task=getattr(task, "name", ""), task_id=task_id,
                                           **({"request_id": rid} if rid else {}))
    _TOKENS[task_id] = current_request_id.set(rid)


@task_postrun.connect
def _forget_request_id(task_id: str = "", task: Any = None, **_kwargs: Any) -> None:
    token = _TOKENS.pop(task_id, None)
    if token is not None:
        current_request_id.reset(token)
        structlog.contextvars.clear_contextvars()
