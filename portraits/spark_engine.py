"""The Spark engine of portrait runs (`portraits_run --engine spark`, issue 21 item 5; docs/portraits.md).

What runs where:

- **Spark** (`pyspark`, any master: `local[2]`, `spark://…`, `yarn`, or whatever `spark-submit` set): reading
  the period's records from Parquet and the per-student feature aggregation — the part that grows with the
  number of *records* (billions when campuses are pooled) — and the final K-means fit of every dimension
  (`pyspark.ml.clustering.KMeans`, k-means|| initialisation, best of the pipeline's `n_init` seeds by training
  cost, run as concurrent Spark jobs, on the cleaned, normalised and weighted features the driver hands it).
- **The driver** (this process, the same pure functions as the normal path, `analysis.pipeline`): cleaning,
  min–max normalisation, W-K-means weights, the k curves and the k decision, stability, ANOVA, labels,
  fairness, and storing the run. These grow with the number of *students* (one row each, ten features).

No Python UDF is used, so executors need only a JVM (no Python, no Django, no database access): the driver
exports the records to Parquet (`records_export`), and Spark reads them from there.

The feature groups below are the SAME definitions as `portraits.features.student_features` (the ORM GROUP BY
that PostgreSQL or SQLite executes), re-expressed in Spark SQL, one function per group, in the same order:

| group (spec dimension) | ORM aggregate (features.py)                                  | Spark SQL (here)                   |
|---|---|---|
| learning  | Sum(value × weight), Sum(weight) filter teaching ∧ value, weight > 0; Count(value < 60) | `_learning` |
| economic  | Count, Sum(value), Count(value) filter logistics                                  | `_economic` |
| health    | Count filter hospital / counselling / exercise                                    | `_health`   |
| interest  | Count filter library / quality                                                    | `_interest` |
| portrait types | Count(distinct occurred_on) filter network                                   | `_online`   |

Literals are doubles (`12D`): Spark SQL reads `12.0` as a DECIMAL, whose division rounds to 6 decimals.
All groups are aggregated in ONE pass over the records (one GROUP BY student_id), as in the database.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.utils.translation import gettext as _
from pyarrow import fs as pafs

from core.errors import ApplicationError

from .analysis.spec import FEATURES
from .features import PASS_MARK, period_parts
from .models import ImportBatch, Record, Source, Student

DEFAULT_MASTER = "local[2]"
EXPORT_CHUNK = 200_000
RECORDS_SCHEMA = pa.schema([("student_id", pa.int64()), ("batch_id", pa.int64()), ("occurred_on", pa.date32()),
                            ("value", pa.float64()), ("weight", pa.float64())])


def spark_available() -> str | None:
    """None when the engine can run here, else the reason it cannot (no pyspark, no Java)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -e '.[spark]')"
    java_home = os.environ.get("JAVA_HOME")
    if not (shutil.which("java") or (java_home and Path(java_home, "bin", "java").exists())):
        return "no Java runtime (java on PATH or JAVA_HOME) for Spark"
    return None


def spark_session(master: str | None = None, *, shuffle_partitions: int = 4) -> Any:
    """The SparkSession of this process (getOrCreate: a test's module session is reused). Under `spark-submit`
    (PYSPARK_GATEWAY_PORT set) and without an explicit master, the master is the one spark-submit was given."""
    reason = spark_available()
    if reason:
        raise ApplicationError(_("The Spark engine cannot run: %(reason)s.") % {"reason": reason})
    import logging

    from pyspark.sql import SparkSession

    # py4j logs every connection at INFO, last from a finaliser at interpreter exit (after pytest or the
    # command closed their streams: "I/O operation on closed file").
    logging.getLogger("py4j").setLevel(logging.WARNING)
    builder = (SparkSession.builder.appName("medplatform-portraits")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
               .config("spark.sql.execution.arrow.pyspark.enabled", "true"))
    if master or "PYSPARK_GATEWAY_PORT" not in os.environ:
        builder = builder.master(master or DEFAULT_MASTER)
    return builder.getOrCreate()


# --- export: the database → Parquet (driver side) ------------------------------------------------------------

def parquet_location(base: str | None, period: str) -> tuple[str, str]:
    """(where the driver writes, where Spark reads) for a period. `s3://…` is written by pyarrow and read by
    Spark's S3A connector as `s3a://…`; a plain path must be one every executor sees (local mode: any)."""
    root = (base or str(Path(settings.VAR_DIR) / "spark")).rstrip("/")
    write = f"{root}/{period}"
    read = "s3a://" + write.removeprefix("s3://") if write.startswith("s3://") else write
    return write, read


def _record_chunks(start: Any, end: Any) -> Iterator[pa.RecordBatch]:
    rows = (Record.objects.filter(occurred_on__range=(start, end)).order_by()
            .values_list("student_id", "batch_id", "occurred_on", "value", "weight").iterator(chunk_size=EXPORT_CHUNK))
    chunk: list[tuple] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == EXPORT_CHUNK:
            yield _batch(chunk)
            chunk = []
    if chunk:
        yield _batch(chunk)


def _batch(rows: list[tuple]) -> pa.RecordBatch:
    cols = list(zip(*rows, strict=True))
    return pa.RecordBatch.from_arrays([pa.array(c, type=f.type) for c, f in zip(cols, RECORDS_SCHEMA, strict=True)],
                                      schema=RECORDS_SCHEMA)


def records_export(*, period: str, location: str) -> dict[str, int]:
    """Write the period's records, the import batches (id → source) and the roster (in the database's roster
    order, `position`) as Parquet under `location` (a path or a pyarrow URI such as s3://bucket/prefix).
    Direct identifiers are not in these tables (pseudonymised at import); the pseudonym is not exported."""
    _periods, _months, start, end = period_parts(period)
    fs, root = pafs.FileSystem.from_uri(location) if "://" in location else (pafs.LocalFileSystem(), location)
    fs.create_dir(root, recursive=True)
    n = 0
    with pq.ParquetWriter(f"{root}/records.parquet", RECORDS_SCHEMA, filesystem=fs) as writer:
        for batch in _record_chunks(start, end):
            writer.write_batch(batch)
            n += batch.num_rows
        if n == 0:
            writer.write_table(RECORDS_SCHEMA.empty_table())
    batches = list(ImportBatch.objects.values_list("id", "source").order_by("id"))
    pq.write_table(pa.table({"id": pa.array([b[0] for b in batches], pa.int64()),
                             "source": pa.array([b[1] for b in batches], pa.string())}),
                   f"{root}/batches.parquet", filesystem=fs)
    cols = ["id", "gender", "province", "college", "grade", "major", "age"]
    roster = pd.DataFrame.from_records(list(Student.objects.values_list(*cols)), columns=cols)
    roster.insert(0, "position", np.arange(len(roster), dtype=np.int64))
    roster["age"] = roster["age"].astype("Int64")
    pq.write_table(pa.Table.from_pandas(roster, preserve_index=False), f"{root}/students.parquet", filesystem=fs)
    return {"records": n, "batches": len(batches), "students": len(roster)}


# --- features: Parquet → Spark SQL (executors) ---------------------------------------------------------------

@dataclass
class Group:
    """One feature group: the aggregates over a student's records and the features computed from them."""

    aggregates: list[str]
    features: list[str] = field(default_factory=list)


def _learning(months: int) -> Group:
    # = features.py: teaching = source teaching ∧ value, weight not NULL ∧ weight > 0 (courses with a credit).
    teaching = "source = 'teaching' AND value IS NOT NULL AND weight IS NOT NULL AND weight > 0"
    return Group(
        aggregates=[f"SUM(value * weight) FILTER (WHERE {teaching}) AS score_wsum",
                    f"SUM(weight) FILTER (WHERE {teaching}) AS score_wt",
                    f"COUNT(*) FILTER (WHERE source = 'teaching' AND value < {PASS_MARK}D) AS failed"],
        features=["CASE WHEN score_wt > 0 THEN score_wsum / score_wt END AS wavg_score",
                  f"failed * (12D / {months}D) AS failed_courses"])


def _economic(months: int) -> Group:
    logistics = "source = 'logistics'"
    return Group(
        aggregates=[f"COUNT(*) FILTER (WHERE {logistics}) AS meals",
                    f"SUM(value) FILTER (WHERE {logistics}) AS spend",
                    f"COUNT(value) FILTER (WHERE {logistics}) AS spend_n"],
        features=[f"meals / {months}D * 6D AS consumption_frequency",
                  "CASE WHEN spend_n > 0 THEN spend / spend_n END AS single_amount"])


def _counts(months: int, pairs: list[tuple[str, str, str]]) -> Group:
    return Group(aggregates=[f"COUNT(*) FILTER (WHERE source = '{src}') AS {col}" for _f, col, src in pairs],
                 features=[f"{col} / {months}D AS {feat}" for feat, col, _s in pairs])


def _health(months: int) -> Group:
    return _counts(months, [("medical_visits", "visits", Source.HOSPITAL),
                            ("psych_consultations", "consults", Source.COUNSELLING),
                            ("exercise", "exercise_n", Source.EXERCISE)])


def _interest(months: int) -> Group:
    return _counts(months, [("book_borrowing", "borrow", Source.LIBRARY),
                            ("volunteer", "volunteer_n", Source.QUALITY)])


def _online(months: int) -> Group:
    return Group(aggregates=["COUNT(DISTINCT occurred_on) FILTER (WHERE source = 'network') AS online"],
                 features=[f"online / {months}D AS online_days"])


GROUPS: list[Callable[[int], Group]] = [_learning, _economic, _health, _interest, _online]
# features.py: a student with no meal, loan, log-in, gym visit or credited course in the period is not in the run.
ACTIVE = "meals + borrow + online + exercise_n + COALESCE(score_wt, 0) > 0"
CATEGORICAL = ["gender", "province", "college", "grade", "major"]


def features_sql(months: int, start: Any, end: Any) -> str:
    """The whole feature query over the views `records`, `batches` and `students` (registered by
    `spark_student_features`)."""
    groups = [g(months) for g in GROUPS]
    aggregates = ",\n           ".join(a for g in groups for a in g.aggregates)
    features = ",\n       ".join(f for g in groups for f in g.features)
    cats = ", ".join(f"NULLIF(s.{c}, 'unknown') AS {c}" for c in CATEGORICAL)
    return f"""
WITH agg AS (
    SELECT r.student_id,
           {aggregates}
    FROM records r JOIN batches b ON b.id = r.batch_id
    WHERE r.occurred_on BETWEEN DATE '{start.isoformat()}' AND DATE '{end.isoformat()}'
    GROUP BY r.student_id
)
SELECT s.id, s.position,
       {features},
       {cats}
FROM agg JOIN students s ON s.id = agg.student_id
WHERE {ACTIVE}
"""


def spark_student_features(spark: Any, *, period: str, location: str) -> pd.DataFrame:
    """`features.student_features(period)` computed by Spark from the Parquet export at `location` (Spark's
    URI): the same columns, index (student id, roster order) and NaN for missing values."""
    from pyspark.sql import functions as F  # noqa: N812

    _periods, months, start, end = period_parts(period)
    spark.read.parquet(f"{location}/records.parquet").createOrReplaceTempView("records")
    # The batches table is a few rows: broadcast it instead of shuffling the records for the join.
    F.broadcast(spark.read.parquet(f"{location}/batches.parquet")).createOrReplaceTempView("batches")
    students = spark.read.parquet(f"{location}/students.parquet")
    if students.limit(1).count() == 0:
        raise ApplicationError(_("There are no students: import a roster first."))
    students.createOrReplaceTempView("students")
    out = spark.sql(features_sql(months, start, end)).orderBy("position").toPandas()
    if out.empty:
        raise ApplicationError(_("There are no records for period %(p)s.") % {"p": period})
    out = out.drop(columns="position").set_index("id")
    out.index = out.index.astype(np.int64)
    out[FEATURES] = out[FEATURES].astype(float)
    for col in CATEGORICAL:
        # Rebuilt from plain str as features.py builds them, so both get pandas' own string dtype.
        values = out[col].where(out[col].notna(), "unknown").tolist()
        out[col] = pd.Series(values, index=out.index).replace("unknown", np.nan)
    return out[[*FEATURES, *CATEGORICAL]]


# --- the final K-means of each dimension (pyspark.ml) -----------------------------------------------------------

@dataclass
class SparkKMeans:
    """What the pipeline reads from a fit (the attributes of scikit-learn's KMeans it uses)."""

    labels_: np.ndarray
    inertia_: float
    cluster_centers_: np.ndarray


SPARK_PARALLEL_FITS = 4


def spark_kmeans(spark: Any, *, max_iter: int = 300, tol: float = 1e-4,
                 parallel: int = SPARK_PARALLEL_FITS) -> Callable[..., SparkKMeans]:
    """A `fit(x, k, seed=, n_init=, algorithm=)` for `run_pipeline`: `pyspark.ml` K-means (Lloyd iterations,
    k-means|| start) from the pipeline's `n_init` seeds (seed, seed + 1, …), the one with the lowest training
    cost (sum of squared distances) kept — what scikit-learn's `n_init` does, so both land on the same optimum
    (with fewer seeds, measured: a few students of the overlapping interest clusters changed label). The seeds
    are fitted as concurrent Spark jobs (`parallel` at a time): a fit is a few small jobs per iteration whose
    cost is scheduling latency, not arithmetic. Rows keep their order through a row number."""
    from concurrent.futures import ThreadPoolExecutor

    from pyspark.ml.clustering import KMeans
    from pyspark.ml.feature import VectorAssembler

    def fit(x: np.ndarray, k: int, *, seed: int, n_init: int, algorithm: str = "lloyd") -> SparkKMeans:
        cols = [f"x{j}" for j in range(x.shape[1])]
        frame = pd.DataFrame(x, columns=cols)
        frame.insert(0, "row", np.arange(len(x), dtype=np.int64))
        # One partition per 100,000 rows: small inputs in one task instead of one per core.
        data = VectorAssembler(inputCols=cols, outputCol="features").transform(
            spark.createDataFrame(frame).repartition(max(1, len(x) // 100_000))).select("row", "features").cache()

        def one(i: int) -> tuple[float, int, Any]:
            model = KMeans(k=k, seed=seed + i, initMode="k-means||", maxIter=max_iter, tol=tol).fit(data)
            return float(model.summary.trainingCost), i, model

        try:
            with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
                fits = list(pool.map(one, range(max(1, n_init))))
            cost, _i, model = min(fits, key=lambda f: (f[0], f[1]))   # ties → the lowest seed, deterministic
            pred = model.transform(data).select("row", "prediction").toPandas().sort_values("row")
        finally:
            data.unpersist()
        return SparkKMeans(labels_=pred["prediction"].to_numpy(dtype=np.int64), inertia_=cost,
                           cluster_centers_=np.asarray(model.clusterCenters()))

    return fit


def spark_prepare(*, period: str, master: str | None, parquet: str | None
                  ) -> tuple[pd.DataFrame, Callable[..., SparkKMeans], dict[str, Any]]:
    """Export the period to Parquet, compute the features in Spark and return them with the Spark K-means fit
    and what was done (master, locations, row counts, seconds per stage) for the run's parameters."""
    import time

    import pyspark

    write, read = parquet_location(parquet, period)
    t0 = time.perf_counter()
    counts = records_export(period=period, location=write)
    t1 = time.perf_counter()
    spark = spark_session(master)
    frame = spark_student_features(spark, period=period, location=read)
    t2 = time.perf_counter()
    info = {"master": spark.sparkContext.master, "parquet": read, "pyspark": pyspark.__version__,
            "parallel_fits": SPARK_PARALLEL_FITS, **counts,
            "export_seconds": round(t1 - t0, 3), "features_seconds": round(t2 - t1, 3)}
    return frame, spark_kmeans(spark), info


def spark_stop() -> None:
    """Stop this process's SparkSession, if there is one (the command's; a Celery worker keeps its own)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return
    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()
