from __future__ import annotations

from typing import Any

from django import template

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
