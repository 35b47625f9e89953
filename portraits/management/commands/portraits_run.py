from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from portraits.models import RunStatus
from portraits.services.runs import portrait_run_execute, portrait_run_start, run_truth_ari


class Command(BaseCommand):
    help = "Run the portraits pipeline for a period in this process, with progress; optionally score it."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--period", default="2023", help="a year (2023) or a half-year (2023-1)")
        parser.add_argument("--k", default=None, help="auto or 2–10 (default: the paper's 5)")
        parser.add_argument("--patients", action="store_true",
                            help="portraits of the platform's consenting patients instead of students")
        parser.add_argument("--engine", choices=["pandas", "spark"], default="pandas",
                            help="pandas: features by the database's GROUP BY (default); spark: records exported "
                                 "to Parquet, features and the final K-means in Spark (docs/portraits.md)")
        parser.add_argument("--master", default=None,
                            help="Spark master URL (default local[2]; under spark-submit, spark-submit's)")
        parser.add_argument("--parquet", default=None,
                            help="where the Parquet export goes (default var/spark/; on a cluster a path every "
                                 "executor reads, or s3://bucket/prefix)")
        parser.add_argument("--truth", default=None, help="truth.csv of portraits_synth: print ARI per dimension")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        run = portrait_run_start(user=None, period=opts["period"], k=opts["k"], enqueue=False,
                                 kind="patients" if opts["patients"] else "students", engine=opts["engine"],
                                 master=opts["master"], parquet=opts["parquet"])
        import portraits.services.runs as runs

        original = runs._progress

        def loud(run_id: int):  # type: ignore[no-untyped-def]
            inner = original(run_id)

            def report(pct: int, stage: str) -> None:
                inner(pct, stage)
                bar = "#" * (pct // 5)
                self.stdout.write(f"\r[{bar:20s}] {pct:3d}% {stage:24s}", ending="")
                self.stdout.flush()
            return report

        runs._progress = loud
        try:
            run = portrait_run_execute(run_id=run.id)
        finally:
            runs._progress = original
            if opts["engine"] == "spark":
                from portraits.spark_engine import spark_stop

                spark_stop()
        self.stdout.write("")
        if run.status != RunStatus.DONE:
            raise CommandError(f"run #{run.id} failed: {run.error}")
        self.stdout.write(f"run #{run.id}: {run.n_students} students, period {run.period}, "
                          f"{time.perf_counter() - t:.1f} s")
        if opts["engine"] == "spark":
            sp = run.params["spark"]
            self.stdout.write(f"  spark {sp['pyspark']} master={sp['master']} parquet={sp['parquet']}: "
                              f"{sp['records']} records exported in {sp['export_seconds']} s, "
                              f"features in {sp['features_seconds']} s")
        for dim, m in run.metrics["dimensions"].items():
            self.stdout.write(f"  {dim:9s} k={m['k']} picks={m['k_picks']} weights={m['weights']} "
                              f"(ARI vs unweighted {m['weighting']['ari_vs_unweighted']:.3f}) "
                              f"stability ARI={m['stability']['ari_mean']:.3f} "
                              f"(silhouette/Dunn sample {m['curve']['sample_size']})")
        if run.kind == "patients":
            return
        self.stdout.write(f"  alerts raised: {run.metrics.get('alerts', {})}")
        if opts["truth"]:
            for dim, value in run_truth_ari(run=run, truth_csv=opts["truth"]).items():
                self.stdout.write(f"  ARI vs truth {dim:9s} {value:.3f}")
