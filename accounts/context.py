"""Per-request context (client IP, path, request id, whether the session passed two-factor authentication)
that services read when they write an audit entry or apply a rule that depends on the session (a doctor's
online work)."""
from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    path: str = ""
    # None outside a web request (a task, the shell); else a function answering whether this session's log-in
    # included MFA (asked lazily: only a rule that needs it pays for loading the session).
    mfa: Callable[[], bool] | None = None


_EMPTY = RequestContext()
current_request: ContextVar[RequestContext] = ContextVar("current_request", default=_EMPTY)  # noqa: B039 - frozen

# The request id (operations.middleware sets it per request; a Celery task runs with the id of the request that
# queued it). Stored on the audit rows the request writes and printed on its log lines.
current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")
