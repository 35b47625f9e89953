"""One place where domain errors become API responses."""
from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as _SpectacularAutoSchema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ApplicationError, Conflict, NotFound, PermissionDeniedError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        code = status.HTTP_400_BAD_REQUEST
        if isinstance(exc, Conflict):
            code = status.HTTP_409_CONFLICT
        elif isinstance(exc, NotFound):
            code = status.HTTP_404_NOT_FOUND
        elif isinstance(exc, PermissionDeniedError):
            code = status.HTTP_403_FORBIDDEN
        body: dict[str, Any] = {"detail": str(exc.message), "code": exc.code}
        if exc.extra:
            body["errors"] = exc.extra
        return Response(body, status=code)
    return drf_exception_handler(exc, context)


class AutoSchema(_SpectacularAutoSchema):
    """Names the nested `InputSerializer`/`OutputSerializer` of each API view after the view
    (`AccessLogApi.OutputSerializer` → component `AccessLogApiOutput`), so views' schemas never collide."""

    def get_serializer_name(self, serializer: Any, direction: str) -> str:
        qualname = type(serializer).__qualname__
        if "." in qualname and "<locals>" not in qualname:
            return qualname.replace(".", "")
        return super().get_serializer_name(serializer, direction)
