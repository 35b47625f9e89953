"""The doctor console's queue (group headings, rows, "show all" links), rendered in Python.

A busy day shows up to 25 rows per group (consult.views.console.QUEUE_PAGE); through the template engine each
row's dozen variable look-ups and conditions cost about 0.1 ms, a fifth of the page's time budget
(bench/booking.py), and the five groups' headings and links another ~1 ms. Every value is escaped with html.escape (what the template's
autoescape does, without its lazy-string checks).
"""
from __future__ import annotations

from html import escape
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()


def _heading(key: str) -> str:
    return {
        "in_consultation": gettext("In consultation"), "checked_in": gettext("Checked in"),
        "waiting_online": gettext("Waiting online"), "upcoming": gettext("Later today"),
    }.get(key) or gettext("Done or cancelled")


@register.simple_tag
def queue_groups(groups: list[tuple[str, list[dict[str, Any]], int]], selected_pk: int | None,
                 day_param: str) -> SafeString:
    """Each group with at least one appointment: heading with the day's count, its rows (queue_items), and a
    "show all" link when the group holds more than the rows shown."""
    day = escape(str(day_param))
    parts = []
    for key, items, count in groups:
        if not count:
            continue
        parts.append(f'<h2>{escape(_heading(key))} ({int(count)})</h2>\n'
                     f'<ul data-testid="queue-{escape(key)}">{queue_items(items, selected_pk, day_param)}</ul>\n')
        if count > len(items):
            more = gettext("Showing %(shown)s of %(n)s — show all") % {"shown": len(items), "n": count}
            parts.append(f'<p><a href="?all=1{day}">{escape(more)}</a></p>\n')
    return mark_safe("".join(parts))  # noqa: S308 - built from escaped values only


def queue_items(items: list[dict[str, Any]], selected_pk: int | None, day_param: str) -> SafeString:
    """<li> rows of one queue group: time and patient (link selecting the row), kind, status, ✓ if an
    encounter is written; the selected row is marked `current`. Every value is HTML-escaped; a value seen before
    in the group (labels repeat on every row) is escaped once."""
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
        f'<span class="tag">{once(row["status_label"])}</span>'
        f'{(" · " + once(row["payment_label"])) if row.get("payment_label") else ""}'
        f'{" ✓" if row["has_encounter"] else ""}</li>'
        for row in items
    ))  # noqa: S308 - built from escaped values only
