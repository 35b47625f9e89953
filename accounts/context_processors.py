from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

UNREAD_TTL_SECONDS = 30


def unread_cache_key(user_id: int) -> str:
    return f"accounts:unread:{user_id}"


def unread_count(user: Any) -> int:
    """The navigation badge: the user's unread notifications, kept in the cache for UNREAD_TTL_SECONDS and dropped
    whenever a notification is written or read (accounts.services.notifications). With the shared Redis cache of
    a deployment every node sees the drop at once; with a process-local cache another process may show a count
    up to UNREAD_TTL_SECONDS old (a badge, never health data)."""
    key = unread_cache_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = user.notifications.filter(read_at__isnull=True).count()
        cache.set(key, count, UNREAD_TTL_SECONDS)
    return count


def platform(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    authenticated = user is not None and user.is_authenticated
    return {
        "REQUIRE_STAFF_MFA": settings.REQUIRE_STAFF_MFA,
        "unread_notifications": unread_count(user) if authenticated else 0,
        "user_role": getattr(user, "role", None) if authenticated else None,
    }
