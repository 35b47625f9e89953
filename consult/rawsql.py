"""Small helpers for the few hot paths that run hand-written SQL (booking, the doctor's console).

Why SQL there: on the 2-core reference box, building the equivalent querysets cost more CPU than the database
spent answering them (bench/booking.py). Table and column names still come from the models' _meta, and values
read back go through the same backend converters the ORM applies, so PostgreSQL and SQLite both get the
values the ORM would have returned (aware datetimes, booleans).
"""
from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Field, Model

from platform_site.db import built_once

__all__ = ["built_once", "column", "convert", "converters", "db_datetime", "fast_datetimes", "qn", "table"]

def qn(name: str) -> str:
    return connection.ops.quote_name(name)


def table(model: type[Model]) -> str:
    return qn(model._meta.db_table)


def column(model: type[Model], field: str) -> str:
    return qn(model._meta.get_field(field).column)


def converters(model: type[Model], fields: list[str], alias: str = "") -> list[tuple[Any, list]]:
    """(column expression, converters) for each named field, as the ORM's compiler would apply them."""
    out = []
    for name in fields:
        field: Field = model._meta.get_field(name)
        col = field.get_col(alias or model._meta.db_table)
        out.append((col, connection.ops.get_db_converters(col) + field.get_db_converters(connection)))
    return out


def convert(value: Any, conv: tuple[Any, list]) -> Any:
    col, funcs = conv
    for func in funcs:
        value = func(value, col, connection)
    return value


def db_datetime(value: Any) -> Any:
    """A datetime as the backend stores it (aware on PostgreSQL, naive UTC text on SQLite)."""
    return connection.ops.adapt_datetimefield_value(value)


def fast_datetimes(cursor: Any) -> None:
    """Read timestamptz columns of this cursor with psycopg's C loader.

    Django registers a pure-Python loader on its PostgreSQL connections (to attach its time zone object);
    it costs ~10 µs a value, i.e. most of the client's CPU for a 200-row page. The C loader returns the same
    instants, aware, in the session's time zone (UTC, which Django sets). No effect on other backends.
    """
    if connection.vendor == "postgresql" and hasattr(cursor.cursor, "adapters"):  # psycopg 3 (not psycopg2)
        from psycopg.types.datetime import TimestamptzLoader

        cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
