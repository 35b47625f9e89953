from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts.models import AuditChainHead
from accounts.services import audit_chain_verify


class Command(BaseCommand):
    help = "Recompute the audit log's hash chain and report the first entry that does not match."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        report = audit_chain_verify()
        if not report.ok:
            raise CommandError(
                f"audit chain BROKEN at seq {report.first_bad_seq}: {report.reason} ({report.checked} entries verified before it)"
            )
        head = AuditChainHead.objects.filter(id=1).first()
        head_text = f"; head seq {head.last_seq} hash {head.last_hash}" if head else ""
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {report.checked} entries verified{head_text}"))
