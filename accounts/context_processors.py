from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    unread = 0
    if user is not None and user.is_authenticated:
        # Counted with the user when the session loaded it (accounts.backends); else (an API token) asked here.
        unread = getattr(user, "unread_notifications_count", None)
        if unread is None:
            unread = user.notifications.filter(read_at__isnull=True).count()
    return {
        "REQUIRE_STAFF_MFA": settings.REQUIRE_STAFF_MFA,
        "unread_notifications": unread,
        "user_role": getattr(user, "role", None) if user is not None and user.is_authenticated else None,
    }
