from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from ..names import DIMENSION_NAMES, FEATURE_NAMES, LABEL_NAMES

register = template.Library()


@register.filter
def label_name(code: str) -> Any:
    return LABEL_NAMES.get(code, code)


@register.filter
def dim_name(code: str) -> Any:
    return DIMENSION_NAMES.get(code, code)


@register.filter
def feature_name(code: str) -> Any:
    return FEATURE_NAMES.get(code, code)


@register.filter
def get(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key) if hasattr(mapping, "get") else mapping[key]
    except (KeyError, IndexError, TypeError):
        return None


@register.filter
def pct(value: Any) -> str:
    try:
        return f"{100 * float(value):.1f} %"
    except (TypeError, ValueError):
        return ""


def _detail_sentence(kind: str, d: dict[str, Any]) -> str:
    if kind == "failed_consecutive":
        (first, second), (n1, n2) = d["semesters"], d["failed"]
        return _("%(n1)s failed course(s) in %(s1)s, %(n2)s in %(s2)s") % {"n1": n1, "s1": first, "n2": n2,
                                                                               "s2": second}
    if kind == "exercise_score_drop":
        return _("exercise %(n)s times a month; weighted score down %(drop)s %%") % {"n": d["exercise"],
                                                                                      "drop": d["drop_pct"]}
    if kind == "counselling_gap":
        return _("last counselling session %(date)s, %(days)s days ago") % {"date": d["last"], "days": d["days"]}
    if kind == "low_borrowing":
        return _("%(n)s books borrowed a month") % {"n": d["per_month"]}
    if kind == "low_consumption":
        return _("canteen spending %(spend)s, at or below the cohort's cut-off %(cutoff)s") % {
            "spend": d["spend"], "cutoff": d["cutoff"]}
    raise KeyError(kind)


@register.filter
def alert_detail(alert: Any) -> str:
    """What fired the alert, as a sentence in the reader's language; the stored values as `key: value` for a rule
    this page does not know (or a detail of another shape)."""
    detail = alert.detail or {}
    try:
        return _detail_sentence(alert.rule.kind, detail)
    except (KeyError, TypeError, ValueError):
        return " · ".join(f"{k}: {v}" for k, v in detail.items())
