from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portraits.services import campus_import_paths


class Command(BaseCommand):
    help = "Import campus exports (a file or a directory of .csv/.xlsx files); all or nothing."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("paths", nargs="+")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        report = campus_import_paths([Path(p) for p in opts["paths"]])
        for f in report.files:
            self.stdout.write(f"{f.name:24s} {f.source:12s} {f.status:17s} read {f.rows_read:>9,d}  "
                              f"stored {f.rows_stored:>9,d}  duplicates {f.duplicates:>6,d}  "
                              f"missing {f.missing_values:>6,d}  {f.encoding}")
        if not report.ok:
            for e in report.errors:
                self.stderr.write(f"{e['file']}:{e['row']}:{e['column']}: {e['reason']}")
            raise CommandError(f"{report.error_count} error(s); nothing was imported")
        self.stdout.write(f"students created {report.students_created}, updated {report.students_updated}; "
                          f"records stored {report.records_stored:,d} in {time.perf_counter() - t:.1f} s")
