"""Template helpers of rarecases."""
from __future__ import annotations

from django import template

register = template.Library()

SAFE_SCHEMES = ("http://", "https://", "mailto:")


@register.filter
def contact_href(value: object) -> str:
    """A peer-supplied MME contact.href, only if it is an http(s) or mailto link: a peer could send any
    "<scheme>:<address>" (the spec allows it), and javascript: must never become a link on our pages."""
    href = str(value or "").strip()
    return href if href.lower().startswith(SAFE_SCHEMES) else ""
