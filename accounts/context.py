"""Per-request context (client IP, path, request id) that services read when they write an audit entry."""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    path: str = ""


_EMPTY = RequestContext()
current_request: ContextVar[RequestContext] = ContextVar("current_request", default=_EMPTY)  # noqa: B039 - frozen

# The request id (operations.middleware sets it per request; a Celery task runs with the id of the request that
# queued it). Stored on the audit rows the request writes and printed on its log lines.
current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")
