"""The one domain error family every app raises; views and the API turn it into a response in one place."""
from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A business rule refused the request. `message` is translatable and shown to the user."""

    code = "invalid"

    def __init__(self, message: Any, *, code: str | None = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.extra = extra or {}


class Conflict(ApplicationError):
    """The request lost a race or contradicts the current state (HTTP 409)."""

    code = "conflict"


class NotFound(ApplicationError):
    """The object does not exist or the user may not see it (HTTP 404; we never say which)."""

    code = "not_found"


class PermissionDeniedError(ApplicationError):
    """The user is known but their role may not do this (HTTP 403)."""

    code = "forbidden"
