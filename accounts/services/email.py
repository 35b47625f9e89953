"""Delivery of the e-mail outbox. Each row is sent at most once: it is locked (SKIP LOCKED) and marked in
the same transaction as the send, so a second worker or a repeated task finds nothing to do."""
from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from ..models import EmailStatus, OutboundEmail

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def _send(row: OutboundEmail) -> None:
    connection = get_connection(settings.EMAIL_DELIVERY_BACKEND)
    message = EmailMultiAlternatives(row.subject, row.body, row.from_email, row.to, connection=connection)
    if row.html_body:
        message.attach_alternative(row.html_body, "text/html")
    message.send()


def email_outbox_deliver(*, email_id: int) -> bool:
    """Send one pending e-mail. Returns True if this call sent it, False if it was already handled."""
    with transaction.atomic():
        row = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status=EmailStatus.PENDING)
            .first()
        )
        if row is None:
            return False
        row.attempts += 1
        try:
            _send(row)
        except Exception as exc:  # noqa: BLE001 - SMTP errors of every kind: keep the row for a retry
            row.last_error = str(exc)[:1000]
            if row.attempts >= MAX_ATTEMPTS:
                row.status = EmailStatus.FAILED
            row.save(update_fields=["attempts", "last_error", "status"])
            logger.warning("e-mail %s failed (attempt %s): %s", row.pk, row.attempts, exc)
            return False
        # A crash after _send and before this commit re-sends once on the next sweep: for e-mail we prefer
        # at-least-once over losing a message; in-app notifications carry the exactly-once guarantee.
        row.status, row.sent_at = EmailStatus.SENT, timezone.now()
        row.save(update_fields=["attempts", "status", "sent_at"])
    return True


def email_outbox_sweep(*, limit: int = 500) -> int:
    """Deliver pending e-mails whose task was never queued (broker down) or failed. Returns how many sent."""
    ids = list(
        OutboundEmail.objects.filter(status=EmailStatus.PENDING).order_by("created_at").values_list("pk", flat=True)[:limit]
    )
    return sum(email_outbox_deliver(email_id=pk) for pk in ids)
