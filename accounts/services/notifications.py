from __future__ import annotations

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import Notification, User


def notify(
    *, user: User, kind: str, title: str, body: str = "", url: str = "", dedupe_key: str | None = None,
    email: bool = True,
) -> Notification | None:
    """Create an in-app notification (and queue an e-mail) exactly once per `dedupe_key`.

    Returns None when a notification with the same key already exists: the unique index, not a check in
    Python, is what makes a second run of a reminder task harmless.
    """
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user, kind=kind, title=title, body=body, url=url, dedupe_key=dedupe_key
            )
            if email and user.email and not user.is_managed:
                # Goes to the outbox in this same transaction (accounts.mail.OutboxEmailBackend).
                send_mail(title, f"{body}\n\n{url}".strip(), None, [user.email])
    except IntegrityError:
        if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    return notification


def notification_mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one (or all) of the user's notifications read; returns how many changed."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())
