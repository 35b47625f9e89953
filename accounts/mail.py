"""An e-mail backend that writes each message to the outbox table and queues its delivery after commit.

Pages never wait on SMTP or on the broker: if the broker is down the row stays pending and the periodic
sweep (accounts.tasks.email_outbox_sweep) sends it later.
"""
from __future__ import annotations

from django.core.mail.backends.base import BaseEmailBackend

from platform_site.tasking import enqueue_on_commit

from .models import OutboundEmail


class OutboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:  # type: ignore[no-untyped-def]
        from .tasks import email_deliver

        count = 0
        for message in email_messages:
            html = ""
            for content, mimetype in getattr(message, "alternatives", []) or []:
                if mimetype == "text/html":
                    html = content
            row = OutboundEmail.objects.create(
                to=list(message.recipients()), subject=message.subject, body=message.body,
                html_body=html, from_email=message.from_email,
            )
            enqueue_on_commit(email_deliver, row.pk)
            count += 1
        return count
