"""Per-request context (client IP, path) that services read when they write an audit entry."""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    path: str = ""


_EMPTY = RequestContext()
current_request: ContextVar[RequestContext] = ContextVar("current_request", default=_EMPTY)  # noqa: B039 - frozen
