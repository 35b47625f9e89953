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
    transaction.on_commit(lambda: _forget_unread([user.pk]))
    return notification


def notification_mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one (or all) of the user's notifications read; returns how many changed."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    changed = qs.update(read_at=timezone.now())
    _forget_unread([user.pk])
    return changed


def _forget_unread(user_ids: list[int]) -> None:
    """The navigation badge's cached count is stale once a notification is written or read."""
    from django.core.cache import cache

    from ..context_processors import unread_cache_key

    cache.delete_many([unread_cache_key(pk) for pk in set(user_ids)])


def notify_many(*, notifications: list[dict], email: bool = True) -> int:
    """Batch form of `notify` for periodic senders (medication reminders): one SELECT and one INSERT for the
    in-app rows, one backend call for the e-mails. Each dict has user_id, kind, title, body, url, dedupe_key and
    `email_to` (the address, or "" for no e-mail). Keys that already exist are skipped; returns how many new.

    The caller must own the keys while this runs (e.g. it holds the row locks of the doses they name): the
    unique index still refuses a duplicate row, but only a single owner guarantees a single e-mail.
    """
    from django.core.mail import EmailMessage, get_connection

    keys = [n["dedupe_key"] for n in notifications]
    existing = set(Notification.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    fresh = [n for n in notifications if n["dedupe_key"] not in existing]
    if not fresh:
        return 0
    now = timezone.now()
    Notification.objects.bulk_create(
        [Notification(user_id=n["user_id"], kind=n["kind"], title=n["title"], body=n.get("body", ""),
                      url=n.get("url", ""), dedupe_key=n["dedupe_key"], created_at=now) for n in fresh],
        ignore_conflicts=True,
    )
    if email:
        messages = [EmailMessage(n["title"], f"{n.get('body', '')}\n\n{n.get('url', '')}".strip(), None, [n["email_to"]])
                    for n in fresh if n.get("email_to")]
        if messages:
            get_connection().send_messages(messages)
    transaction.on_commit(lambda: _forget_unread([n["user_id"] for n in fresh]))
    return len(fresh)
