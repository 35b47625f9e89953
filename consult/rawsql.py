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

from platform_site.db import built_once, convert

__all__ = ["built_once", "column", "convert", "converters", "db_datetime", "fetch_all_binary", "qn",
           "table"]


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


def db_datetime(value: Any) -> Any:
    """A datetime as the backend stores it (aware on PostgreSQL, naive UTC text on SQLite)."""
    return connection.ops.adapt_datetimefield_value(value)


def fetch_all_binary(sql: str, params: list[Any]) -> list[tuple]:
    """All rows of one read, on PostgreSQL with server-side parameters and binary results.

    Django's psycopg cursors bind parameters on the client and read results as text. For the console's day
    query (bench/booking.py: 100–200 rows of 13 columns on every console page), binary results cost the server
    less to send and Python ~1.5 ms less to read, and with server-side parameters psycopg prepares the
    statement after its fifth run on a connection, so the server stops re-planning it (measured per query:
    server CPU 4.8 → 4.1 ms, Python 2.6 → 0.7 ms). The psycopg cursor is swapped into Django's own cursor
    wrapper, so query logging, execute wrappers (and the tests' query counts) and error translation still
    apply. Values: the same as the ORM reads on PostgreSQL (aware datetimes in UTC). Other backends: a plain
    cursor.
    """
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql" or not hasattr(cursor.cursor, "adapters"):  # psycopg 2 or not PG
            cursor.execute(sql, params)
            return cursor.fetchall()
        from django.db.backends.postgresql.base import ServerBindingCursor
        from psycopg.pq import Format

        binary = ServerBindingCursor(connection.connection)
        binary.format = Format.BINARY
        text, cursor.cursor = cursor.cursor, binary
        try:
            cursor.execute(sql, params)
            return cursor.fetchall()
        finally:
            cursor.cursor = text
            binary.close()
