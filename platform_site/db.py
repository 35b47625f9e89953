"""Database helpers shared by the apps' hot paths."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import connection

T = TypeVar("T")
_BUILT: dict[tuple[str, str, str], Any] = {}


def built_once(key: str, build: Callable[[], T]) -> T:
    """`build()` once per database (alias and vendor) and remember the result under `key`.

    For what depends only on the models and the backend: a statement's text, the converters of its columns.
    The value is shared by every connection (thread) to that database, so it must not hold a connection's own
    state; Django's converters qualify (they read only settings: USE_TZ, the time zone).
    Measured on the booking path (bench/booking.py): compiling the token look-up's queryset cost ~0.7 ms of CPU
    per API request, re-quoting the booking statements' ~50 names ~0.5 ms.
    """
    cache_key = (connection.alias, connection.vendor, key)
    try:
        return _BUILT[cache_key]
    except KeyError:
        value = _BUILT[cache_key] = build()
        return value
