"""One place where domain errors become API responses."""
from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as _SpectacularAutoSchema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ApplicationError, Conflict, NotFound, PermissionDeniedError

from . import inputs


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
        return Response(_safe(body), status=code)
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = _safe(with_detail(response.data))
    return response


def with_detail(data: Any) -> Any:
    """Every 4xx body has a `detail`: a validation error's field messages stay where DRF puts them, and the
    first of them becomes `detail` ("reason: This field is required.")."""
    if isinstance(data, dict):
        if "detail" in data:
            return data
        first = _first_message(data)
        return {"detail": first, **data}
    if isinstance(data, list):
        return {"detail": _first_message(data), "errors": data}
    return {"detail": str(data)}


def _first_message(errors: Any, where: str = "") -> str:
    if isinstance(errors, dict):
        for key, value in errors.items():
            label = key if key != "non_field_errors" else ""
            return _first_message(value, f"{where}.{label}" if where and label else (label or where))
    if isinstance(errors, list) and errors:
        return _first_message(errors[0], where)
    return f"{where}: {errors}" if where else str(errors)


def _safe(data: Any) -> Any:
    """Strings of a response that the JSON renderer can encode: a lone surrogate in a message repeating the input
    made the 400 itself fail with UnicodeEncodeError (the boundary refuses them first; this is the backstop)."""
    if isinstance(data, str):
        return inputs.printable(data) if not data.isascii() or "\x00" in data else data
    if isinstance(data, dict):
        return {_safe(k) if isinstance(k, str) else k: _safe(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_safe(v) for v in data]
    return data


class AutoSchema(_SpectacularAutoSchema):
    """Names the nested `InputSerializer`/`OutputSerializer` of each API view after the view
    (`AccessLogApi.OutputSerializer` → component `AccessLogApiOutput`), so views' schemas never collide."""

    def get_serializer_name(self, serializer: Any, direction: str) -> str:
        qualname = type(serializer).__qualname__
        if "." in qualname and "<locals>" not in qualname:
            return qualname.replace(".", "")
        return super().get_serializer_name(serializer, direction)


def keep_operation_dollar(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """drf-spectacular preprocessing hook: a path segment that starts with `$` (a FHIR operation such as
    `/fhir/Patient/{patient_id}/$everything`) keeps it. Spectacular simplifies the route's regex, which drops
    every `$` as an end-of-string anchor, and documented `/fhir/Patient/{patient_id}/everything`, a path that
    does not exist."""
    import re

    fixed = []
    for path, path_regex, method, callback in endpoints:
        for name in re.findall(r"/\$(\w+)", path_regex):
            path = re.sub(rf"/{name}(?=/|$)", f"/${name}", path)
        fixed.append((path, path_regex, method, callback))
    return fixed
