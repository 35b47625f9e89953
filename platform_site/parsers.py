"""The API's JSON parser: size and depth limits and the text rule before any serializer sees the data.

Set as DRF's first default parser (settings/integrations_drf.py). A body over the limit is a 413 naming the
limit, answered after the rest of the body was read (a client still sending gets the answer, not a broken
pipe); deeper than JSON_MAX_DEPTH is a 400 (the standard parser recursed until RecursionError); a string with
NUL, a lone surrogate or a control character is a 400 naming where it is.
"""
from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError

from . import inputs


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def json_max_bytes() -> int:
    return int(getattr(settings, "INPUT_JSON_MAX_BYTES", inputs.JSON_MAX_BYTES))


def json_max_depth() -> int:
    return int(getattr(settings, "INPUT_JSON_MAX_DEPTH", inputs.JSON_MAX_DEPTH))


def drain(stream: Any, limit: int = inputs.DRAIN_MAX_BYTES) -> None:
    """Read and drop what is left of a request body (up to `limit` bytes), so the client may finish sending."""
    if stream is None:
        return
    left = limit
    try:
        while left > 0:
            chunk = stream.read(min(65536, left))
            if not chunk:
                return
            left -= len(chunk)
    except OSError:  # the client went away: nothing to drain
        return


def _strict_constant(value: str) -> Any:
    raise ValueError(f"{value} is not valid JSON")


def parse_json_bytes(raw: bytes, *, max_depth: int) -> Any:
    """Bytes of a JSON body → data, or ParseError (400) with a safe, translatable message."""
    if inputs.json_depth_exceeds(raw, max_depth):
        raise ParseError(inputs.MSG_JSON_DEPTH % {"limit": max_depth}, code="too_deep")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError(inputs.MSG_JSON_ENCODING, code="encoding") from None
    try:
        data = json.loads(text, parse_constant=_strict_constant)
    except (ValueError, RecursionError) as exc:
        # json's message quotes no input beyond a position, so it is safe to show.
        raise ParseError(f"JSON parse error - {exc}", code="parse_error") from None
    found = inputs.json_text_error(data)
    if found is not None:
        where, error = found
        raise ParseError(f"{where}: {error.message}" if where else str(error.message), code=error.code)
    return data


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        limit = json_max_bytes()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            drain(stream)
            raise RequestTooLarge(inputs.msg_json_too_large(limit))
        return parse_json_bytes(raw, max_depth=json_max_depth())
