from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from operations.backup import BackupError, backup_create


class Command(BaseCommand):
    help = ("Back up the database (pg_dump; SQLite's online backup locally) and every object of the private store "
            "into a new directory with a manifest naming the audit chain's head (docs/operations.md).")

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--output", default=str(settings.BACKUP_DIR),
                            help="directory that receives the backup (default BACKUP_DIR: %(default)s)")
        parser.add_argument("--keep", type=int, default=settings.BACKUP_KEEP or None,
                            help="then remove all but the newest KEEP backups in that directory")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        try:
            result = backup_create(root=Path(options["output"]), keep=options["keep"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"backup written: {result.path} ({result.objects} objects; audit head seq {result.head.seq} "
            f"hash {result.head.hash})"))
