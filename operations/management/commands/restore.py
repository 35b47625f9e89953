from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from operations.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = ("Restore a backup into this environment's database (which must be empty) and private store, then "
            "verify the audit chain and compare its head with the backup's (docs/operations.md).")

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("path", help="a backup directory written by `manage.py backup`")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        try:
            result = backup_restore(path=Path(options["path"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"restored: {result.objects} objects; audit chain intact ({result.entries_verified} entries), "
            f"head seq {result.head.seq} hash {result.head.hash} as in the backup"))
