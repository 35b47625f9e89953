"""Portrait runs: start (queued, task on commit), execute (idempotent), store results and alerts."""
from __future__ import annotations

import importlib.metadata
import json
import platform
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import notify
from core.errors import ApplicationError

from ..analysis.pipeline import DEFAULT_PARAMS, run_pipeline
from ..analysis.rules import DEFAULT_RULE_PARAMS, evaluate
from ..analysis.spec import ALL_DIMENSION, PATIENTS, STUDENTS, Spec
from ..features import period_parts, student_features, student_rule_inputs
from ..models import Alert, InterventionRule, Result, Run, RunKind, RunStatus, Student
from ..selectors import owner_resolver

LIBRARIES = ["numpy", "pandas", "scikit-learn", "scipy", "threadpoolctl"]


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover
            out[name] = "missing"
    return out


def parse_k(value: Any) -> int | str:
    if value in (None, "", "auto"):
        return "auto" if value == "auto" else DEFAULT_PARAMS["k"]
    try:
        k = int(value)
    except (TypeError, ValueError):
        raise ApplicationError(_("k is 'auto' or a whole number from 2 to 10.")) from None
    if not 2 <= k <= 10:
        raise ApplicationError(_("k is 'auto' or a whole number from 2 to 10."))
    return k


@transaction.atomic
def portrait_run_start(*, user: Any, period: str, k: Any = None, kind: str = RunKind.STUDENTS,
                       enqueue: bool = True, engine: str = "pandas", master: str | None = None,
                       parquet: str | None = None) -> Run:
    """Record a queued run and queue its task after commit. `engine="spark"` (student runs only) computes the
    features and the final K-means fits in Spark (`master`, Parquet export under `parquet`; portraits/
    spark_engine.py). Raises ApplicationError on a bad period, k or engine."""
    from platform_site.tasking import enqueue_on_commit


    if kind == RunKind.STUDENTS:
        period_parts(period)
    elif kind == RunKind.PATIENTS:
        period = "all"
    else:
        raise ApplicationError(_("Unknown run kind."))
    params = {**DEFAULT_PARAMS, "k": parse_k(k)}
    if engine == "spark":
        if kind != RunKind.STUDENTS:
            raise ApplicationError(_("The Spark engine computes student portraits only."))
        params.update(engine="spark", spark={"master": master, "parquet": parquet})
    elif engine != "pandas":
        raise ApplicationError(_("Unknown engine: %(engine)s.") % {"engine": engine})
    run = Run.objects.create(kind=kind, period=period, params=params, created_by=user if getattr(
        user, "is_authenticated", False) else None)
    if enqueue:
        enqueue_on_commit("portraits.run", run.id)
    return run


def _progress(run_id: int) -> Callable[[int, str], None]:
    def report(pct: int, stage: str) -> None:
        Run.objects.filter(id=run_id).update(progress=pct, stage=stage[:64])
    return report


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        v = float(value)
        return None if np.isnan(v) or np.isinf(v) else v
    if isinstance(value, float) and (np.isnan(value) or np.isinf(value)):
        return None
    return value


def portrait_run_execute(*, run_id: int) -> Run:
    """Execute a queued run. Safe to call twice: only the caller that moves it queued → running works on it."""
    # The conditional UPDATE is the lock: of two workers handed the same run, one gets rowcount 1.
    claimed = Run.objects.filter(id=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), progress=1, stage="features")
    run = Run.objects.get(id=run_id)
    if not claimed:
        return run
    fit = None
    try:
        if run.kind == RunKind.PATIENTS:
            from ..patients import patient_features

            frame, spec = patient_features(), PATIENTS
        elif run.params.get("engine") == "spark":
            from ..spark_engine import spark_prepare

            asked = run.params.get("spark") or {}
            frame, fit, info = spark_prepare(period=run.period, master=asked.get("master"),
                                             parquet=asked.get("parquet"))
            run.params = {**run.params, "spark": {**asked, **info}}
            spec = STUDENTS
        else:
            frame, spec = student_features(run.period), STUDENTS
        if len(frame) < 10:
            raise ApplicationError(_("Too few subjects to cluster (%(n)d).") % {"n": len(frame)})
        result = run_pipeline(frame, spec=spec, params=run.params, progress=_progress(run.id), fit=fit)
        _store(run, frame, spec, result)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the run and shown on its page
        Run.objects.filter(id=run.id).update(status=RunStatus.FAILED, error=str(exc)[:2000],
                                             finished_at=timezone.now())
        run.refresh_from_db()
        if not isinstance(exc, ApplicationError):
            raise
        return run
    run.refresh_from_db()
    return run


def _explanations(spec: Spec, values: dict[str, float], pct: dict[str, int]) -> dict[str, Any]:
    return {dim: [{"feature": f, "value": round(values[f], 3), "pct": pct[f], "direction": d}
                  for f, d in feats.items()]
            for dim, feats in spec.dimensions.items()}


@transaction.atomic
def _store(run: Run, frame: pd.DataFrame, spec: Spec, result: dict[str, Any]) -> None:
    dims = result["dimensions"]
    cleaned, pct = result["cleaned"], result["percentiles"]
    Result.objects.filter(run=run).delete()
    # Plain Python lists first: per-cell pandas look-ups (.at) cost ~0.3 ms per student here.
    features = list(spec.features)
    values = cleaned[features].astype(float).to_numpy().tolist()
    explained = list(dict.fromkeys(f for feats in spec.dimensions.values() for f in feats))
    percentiles = pct[explained].astype(int).to_numpy().tolist()
    labels_of = {d: [str(x) for x in dims[d]["labels"]] for d in dims}
    scores_of = {d: [round(x, 4) for x in np.asarray(dims[d]["scores"], dtype=float).tolist()]
                 for d in spec.dimensions}
    clusters_of = {d: np.asarray(dims[d]["cluster_ids"]).astype(int).tolist() for d in dims}
    rows = []
    for i, sid in enumerate(cleaned.index.tolist()):
        row_values = dict(zip(features, values[i], strict=True))
        labels = {d: labels_of[d][i] for d in spec.dimensions}
        row = Result(
            run=run,
            features={f: round(v, 4) for f, v in row_values.items()},
            scores={d: scores_of[d][i] for d in spec.dimensions},
            labels=labels,
            clusters={d: clusters_of[d][i] for d in dims},
            explanation=_explanations(spec, row_values, dict(zip(explained, percentiles[i], strict=True))),
            portrait_type=int(labels_of[ALL_DIMENSION][i].removeprefix("type")),
        )
        if run.kind == RunKind.STUDENTS:
            row.student_id = int(sid)
            for d in ("learning", "economic", "health", "interest"):
                setattr(row, f"label_{d}", labels[d])
        else:
            row.patient_id = int(sid)
        rows.append(row)
    _insert_results(rows)
    metrics = {d: {k: v for k, v in m.items() if k not in ("cluster_ids", "labels", "scores", "centroids")}
               for d, m in dims.items()}
    run.metrics = _jsonable({"dimensions": metrics, "cleaning": result["cleaning"],
                             "normalisation": result["normalisation"], "fairness": result["fairness"],
                             "cohort_scores": {d: float(np.mean(dims[d]["scores"])) for d in spec.dimensions}})
    run.centroids = _jsonable({d: m["centroids"] for d, m in dims.items()})
    run.params = _jsonable(result["params"])
    run.versions = library_versions()
    if run.params.get("engine") == "spark":
        run.versions["pyspark"] = run.params["spark"].get("pyspark", "missing")
    run.n_students = len(rows)
    if run.kind == RunKind.STUDENTS:
        run.metrics["alerts"] = alerts_raise(run=run, features=cleaned)
    run.status, run.progress, run.stage, run.finished_at = RunStatus.DONE, 100, "done", timezone.now()
    run.save(update_fields=["metrics", "centroids", "params", "versions", "n_students", "status", "progress",
                            "stage", "finished_at"])


def _insert_results(rows: list[Result]) -> None:
    """PostgreSQL: one COPY of every concrete field but the id. (bulk_create's UNNEST arrays are quoted element
    by element in Python under Django's client-side binding: about a third of the store stage at paper
    scale.) Elsewhere: bulk_create."""
    if connection.vendor != "postgresql":
        Result.objects.bulk_create(rows, batch_size=1000)
        return
    fields = [f for f in Result._meta.concrete_fields if not f.primary_key]
    qn = connection.ops.quote_name
    sql = f"COPY {qn(Result._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) FROM STDIN"
    json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
    with connection.cursor() as cur, cur.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row([json.dumps(getattr(row, f.attname)) if f.attname in json_fields
                            else getattr(row, f.attname) for f in fields])


def rules_active() -> dict[str, dict[str, Any]]:
    """The enabled rules with their thresholds (missing rules are created with the defaults)."""
    for kind, params in DEFAULT_RULE_PARAMS.items():
        InterventionRule.objects.get_or_create(kind=kind, defaults={"params": params})
    return {r.kind: {**DEFAULT_RULE_PARAMS.get(r.kind, {}), **r.params}
            for r in InterventionRule.objects.filter(enabled=True)}


def alerts_raise(*, run: Run, features: pd.DataFrame) -> dict[str, int]:
    """Evaluate the enabled rules for the run's students; one alert per (rule, student, period)."""
    rules = rules_active()
    inputs = student_rule_inputs(run.period, list(features.index))
    frame = features.join(inputs)
    fired = evaluate(frame, rules, semesters=inputs.attrs["semesters"], end=inputs.attrs["end"])
    rule_ids = dict(InterventionRule.objects.values_list("kind", "id"))
    students = Student.objects.in_bulk([sid for sid, _, _ in fired])
    owner_of = owner_resolver()
    existing = set(Alert.objects.filter(period=run.period).values_list("rule_id", "student_id"))
    new, per_owner = [], {}
    for sid, kind, detail in fired:
        key = (rule_ids[kind], int(sid))
        if key in existing:
            continue
        existing.add(key)
        owner = owner_of(students[int(sid)])
        new.append(Alert(rule_id=key[0], student_id=key[1], run=run, period=run.period, owner=owner,
                         detail=_jsonable(detail)))
        if owner is not None:
            per_owner[owner] = per_owner.get(owner, 0) + 1
    Alert.objects.bulk_create(new, batch_size=1000)
    for owner, n in per_owner.items():
        notify(user=owner, kind="portraits_alerts", title=_("New portrait alerts"),
               body=_("%(n)d new intervention alerts from run #%(run)d.") % {"n": n, "run": run.id},
               url="/portraits/alerts/", dedupe_key=f"portraits-alerts-run-{run.id}-{owner.id}")
    counts: dict[str, int] = {}
    for a in new:
        kind = next(k for k, v in rule_ids.items() if v == a.rule_id)
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def runs_sweep(*, older_than_seconds: int = 60) -> int:
    """Re-queue runs still queued after `older_than_seconds` (the broker was down when they started)."""
    from platform_site.tasking import enqueue


    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    ids = list(Run.objects.filter(status=RunStatus.QUEUED, created_at__lt=cutoff).values_list("id", flat=True))
    for run_id in ids:
        enqueue("portraits.run", run_id)
    return len(ids)


def run_truth_ari(*, run: Run, truth_csv: str) -> dict[str, float]:
    """Adjusted Rand index of each dimension's labels against a synthetic truth file (student_no, one
    column per dimension); student numbers are pseudonymised exactly as the importer does."""
    from sklearn.metrics import adjusted_rand_score

    from .pseudonym import pseudonym

    truth = pd.read_csv(truth_csv, dtype=str)
    truth["pseudonym"] = truth["student_no"].map(pseudonym)
    got = pd.DataFrame.from_records(list(run.results.values("student__pseudonym", "labels")))
    got = got.rename(columns={"student__pseudonym": "pseudonym"}).merge(truth, on="pseudonym")
    return {d: float(adjusted_rand_score(got[d], got["labels"].map(lambda lab, d=d: lab[d])))
            for d in STUDENTS.dimensions if d in got.columns}
