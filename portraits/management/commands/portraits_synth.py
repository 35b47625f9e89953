from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand

from portraits.synth import PAPER_RECORDS, PAPER_STUDENTS, generate


class Command(BaseCommand):
    help = "Write synthetic campus exports (import schema v1) with planted archetypes and DIR/truth.csv."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--students", type=int, default=PAPER_STUDENTS)
        parser.add_argument("--records", type=int, default=None,
                            help=f"total data rows over all files (default: the paper's ratio, {PAPER_RECORDS:,} "
                                 f"for {PAPER_STUDENTS:,} students)")
        parser.add_argument("--seed", type=int, default=2023)
        parser.add_argument("--out", required=True)
        parser.add_argument("--noise-features", type=int, default=0,
                            help="also write noise.csv with N pure-noise features (for checking the weighting)")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        counts = generate(Path(opts["out"]), students=opts["students"], records=opts["records"], seed=opts["seed"],
                          noise_features=opts["noise_features"])
        for name, rows in counts.items():
            self.stdout.write(f"{name:12s} {rows:>10,d} rows")
        self.stdout.write(f"total        {sum(counts.values()):>10,d} rows in {time.perf_counter() - t:.1f} s → "
                          f"{opts['out']} (+ truth.csv)")
