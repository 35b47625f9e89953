"""Per-request context (client IP, path, whether the session passed two-factor authentication) that services
read when they write an audit entry or apply a rule that depends on the session (a doctor's online work)."""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    path: str = ""
    # None outside a web request (a task, the shell); else whether this session's log-in included MFA.
    mfa: bool | None = None


_EMPTY = RequestContext()
current_request: ContextVar[RequestContext] = ContextVar("current_request", default=_EMPTY)  # noqa: B039 - frozen
