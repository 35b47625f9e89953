"""Path converters of the input boundary.

`<id:name>` is `<int:name>` bounded to the 64-bit range of our id columns: a longer or larger number does not
match the route, so it is a 404 like any other unknown id (a 30-digit id used to reach the database and fail
there with OverflowError). Registered by platform_site.urls; tests/platform/test_input_boundary.py checks that
no route uses the unbounded `int` converter.
"""
from __future__ import annotations

from . import inputs


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > inputs.INT64_MAX:
            raise ValueError("beyond 64 bits")  # Django: no match → 404
        return number

    def to_url(self, value: int) -> str:
        return str(int(value))


def register() -> None:
    """Called once from core's AppConfig.ready(), before any URLconf is imported."""
    from django.urls import converters, register_converter

    if "id" not in converters.get_converters():
        register_converter(IdConverter, "id")
