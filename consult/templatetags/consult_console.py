"""The doctor console's queue rows, rendered in Python.

A busy day shows up to 50 rows per group (200 on the page); through the template engine each row's dozen
variable look-ups and conditions cost about 0.1 ms, a fifth of the page's time budget (bench/booking.py).
Every value is escaped with html.escape (what the template's autoescape does, without its lazy-string checks).
"""
from __future__ import annotations

from html import escape
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def queue_items(items: list[dict[str, Any]], selected_pk: int | None, day_param: str) -> SafeString:
    """<li> rows of one queue group: time and patient (link selecting the row), kind, status, ✓ if an
    encounter is written; the selected row is marked `current`. Every value is HTML-escaped; the few distinct
    labels and times once per call (a busy group repeats them on every row), the names row by row."""
    day = escape(str(day_param))
    current = ' class="current"'
    seen: dict[str, str] = {}

    def once(value: Any) -> str:
        text = str(value)
        escaped = seen.get(text)
        if escaped is None:
            escaped = seen[text] = escape(text)
        return escaped

    return mark_safe("".join(
        f'<li{current if row["pk"] == selected_pk else ""}><a href="?a={int(row["pk"])}{day}">'
        f'{once(row["time"])} {escape(str(row["patient_name"]))}</a> · {once(row["kind_label"])} · '
        f'<span class="tag">{once(row["status_label"])}</span>{" ✓" if row["has_encounter"] else ""}</li>'
        for row in items
    ))  # noqa: S308 - built from escaped values only
