from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portraits.services import campus_import_paths


class Command(BaseCommand):
    help = "Import campus exports (a file or a directory of .csv/.xlsx files); all or nothing."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("paths", nargs="+")
        parser.add_argument("--format", choices=["campus", "oulad"], default="campus",
                            help="oulad: read the Open University Learning Analytics Dataset in PATH (CC BY 4.0, "
                                 "Kuzilek et al. 2017), build learning and engagement portraits and measure them "
                                 "against final_result")
        parser.add_argument("--k", default="auto")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        if opts["format"] == "oulad":
            self._oulad(Path(opts["paths"][0]), opts["k"])
            self.stdout.write(f"{time.perf_counter() - t:.1f} s")
            return
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

    def _oulad(self, path: Path, k: str) -> None:
        import json

        from portraits.oulad import oulad_measure
        from portraits.services.pseudonym import pseudonym

        result = oulad_measure(path, key=pseudonym, k=k if k == "auto" else int(k))
        for dim, m in result.items():
            self.stdout.write(f"{dim}: k={m['k']} weights={m['weights']} n={m['n']} "
                              f"(Fail+Withdrawn {m['fail_withdrawn_share_cohort']:.1%})")
            self.stdout.write(f"  portraits: NMI {m['nmi']:.3f}; worst label '{m['worst_label']}' "
                              f"{m['worst_size']} students, {m['worst_fail_withdrawn_share']:.1%} Fail+Withdrawn, "
                              f"holds {m['worst_recall']:.1%} of all Fail+Withdrawn")
            self.stdout.write(f"  baseline ({m['groups']} mean-score quantiles): NMI {m['baseline_nmi']:.3f}; lowest "
                              f"{m['baseline_worst_size']} students, {m['baseline_worst_fail_withdrawn_share']:.1%} "
                              f"Fail+Withdrawn, holds {m['baseline_worst_recall']:.1%}")
        self.stdout.write(json.dumps(result, default=str))
