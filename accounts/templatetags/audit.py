"""Template filters for showing audit entries to the people they concern (accounts/access_log.html)."""
from __future__ import annotations

from django import template

from ..audit_labels import object_type_label
from ..models import AuditEvent

register = template.Library()


@register.filter
def audit_object(event: AuditEvent) -> str:
    """'medicine order 6': the record's type in the reader's language, and its id."""
    return f"{object_type_label(event.object_type)} {event.object_id}".strip()


@register.filter
def audit_actor(event: AuditEvent) -> str:
    """The person by name and role in the reader's language ('Dr Demo Lin 林医生 · Doctor'); the label stored with
    the entry when the account is gone; empty for the system."""
    if event.actor is None:
        return event.actor_label
    return f"{event.actor.display_name} · {event.actor.get_role_display()}"
