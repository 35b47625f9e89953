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


def convert(value: Any, conv: tuple[Any, list]) -> Any:
    """`value` as read by the backend, through a column's converters `conv` = (expression, functions), in the
    order the ORM's compiler applies them."""
    expression, funcs = conv
    for func in funcs:
        value = func(value, expression, connection)
    return value


class CompiledRead:
    """One row of a model read by a statement compiled once from a queryset: the same SQL, the same column
    converters and the same instance (`Model.from_db`, annotations set as attributes) as the ORM would give.

    `User.objects.raw(sql)` resolves its columns against the model by name on every call (~0.2 ms of CPU for a
    user row, measured with py-spy on bench/booking.py's gunicorn workers); the positions here are worked out
    once, from the queryset's own compiler.
    """

    def __init__(self, queryset: Any, params: tuple[Any, ...]) -> None:
        compiler = queryset.query.get_compiler(connection=connection)
        sql, compiled_params = compiler.as_sql()
        if tuple(compiled_params) != tuple(params):
            raise RuntimeError(f"unexpected parameters in a compiled read: {compiled_params!r} != {params!r}")
        select, annotations = compiler.select, compiler.annotation_col_map
        model_positions = compiler.klass_info["select_fields"]
        if model_positions != list(range(len(model_positions))):
            raise RuntimeError("a compiled read needs the model's columns first")
        self.model = queryset.model
        self.sql = sql
        self.attnames = [select[i][0].target.attname for i in model_positions]
        self.annotations = sorted(annotations.items(), key=lambda item: item[1])
        self.converters = [(i, (expression, funcs)) for i, (funcs, expression) in
                           compiler.get_converters([expression for expression, _sql, _alias in
                                                    select[:compiler.col_count]]).items()]

    def first(self, params: list[Any]) -> Any:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if self.converters:
            row = list(row)
            for i, conv in self.converters:
                row[i] = convert(row[i], conv)
        instance = self.model.from_db(connection.alias, self.attnames, row[:len(self.attnames)])
        for name, position in self.annotations:
            setattr(instance, name, row[position])
        return instance
