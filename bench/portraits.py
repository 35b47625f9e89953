"""Portraits pipeline end to end on PostgreSQL, next to two references measured in the same run.

Usage (PostgreSQL on loopback; a throw-away database bench_portraits_<pid> is created and dropped):
    DATABASE_URL=postgres://postgres@127.0.0.1:5433/dev_portraits .venv/bin/python bench/portraits.py \
        [--records 1043000 10000000] [--max-seconds 1200]

For each --records value (students scale with the paper's ratio, 1,245 per 1,043,000 records, unless
--students is given), synthetic files are written once (portraits_synth, not timed), then three child
processes run one after the other, each reporting time and its own peak RSS:
  ours     import (`campus_import_paths`: parse, validate, pseudonymise, COPY into the period partitions)
           → run (features by GROUP BY in PostgreSQL → clean/normalise/weight/K-means/k curves/stability/
           ANOVA → results, alerts stored); "stored records → stored labels" is the run stage.
  copy     raw psycopg COPY of the same files (FORMAT csv, HEADER) into bare text tables: the ingest ceiling.
Then --import-rounds rounds alternate a raw COPY and our import alone (into emptied tables), so the
import ratio compares runs seconds apart under the same background load; the median is printed, with the
CPU seconds each spent (bench process and its reaped children + the PostgreSQL backend, from
getrusage and /proc), which do not depend on the background load.
  memory   pandas read_csv of the same files + vectorised groupby features + the same analysis function
           (analysis.pipeline.run_pipeline), nothing stored: the in-memory equivalent.
Each child is killed after --max-seconds.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PAPER_STUDENTS, PAPER_RECORDS = 1245, 1_043_000


def rss_mb() -> float:
    """Peak resident set of this process since its exec (VmHWM; ru_maxrss would include the parent's
    peak from before the fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _django(db_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_site.settings.local")
    import django

    django.setup()


def child_ours(db_url: str, data: str, out: Any) -> None:
    _django(db_url)
    import portraits.services.runs as runs
    from portraits.services import campus_import_paths

    t0 = time.perf_counter()
    report = campus_import_paths([Path(data)])
    t_import = time.perf_counter() - t0
    if not report.ok:
        out.put({"error": report.errors[:3]})
        return
    out.put({"stage": "import", "seconds": t_import, "rows": sum(f.rows_read for f in report.files),
             "stored": report.records_stored, "rss_mb": rss_mb()})
    marks: dict[str, float] = {}
    original = runs._progress

    def progress(run_id: int):  # type: ignore[no-untyped-def]
        inner = original(run_id)

        def report_(pct: int, stage: str) -> None:
            marks.setdefault(stage, time.perf_counter())
            inner(pct, stage)
        return report_

    runs._progress = progress
    t1 = time.perf_counter()
    run = runs.portrait_run_start(user=None, period="2023", k=5, enqueue=False)
    run = runs.portrait_run_execute(run_id=run.id)
    t_run = time.perf_counter() - t1
    ari = {d: round(v, 3) for d, v in runs.run_truth_ari(run=run, truth_csv=str(Path(data) / "truth.csv")).items()}
    out.put({"stage": "run", "seconds": t_run, "status": run.status, "students": run.n_students, "ari_vs_truth": ari,
             "features_s": marks.get("cleaning", t1) - t1,
             "analysis_s": marks.get("explaining", t1) - marks.get("cleaning", t1),
             "store_s": t1 + t_run - marks.get("explaining", t1), "rss_mb": rss_mb()})


def cpu_seconds(backend_pid: int) -> float:
    """CPU seconds so far of this process (all its threads), its reaped children and the PostgreSQL backend
    serving it (same machine: /proc/<pid>/stat utime + stime)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    fields = Path(f"/proc/{backend_pid}/stat").read_text().rsplit(")", 1)[1].split()
    server = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime + server


def child_import_only(db_url: str, data: str, out: Any) -> None:
    """Our import alone into empty tables (for the alternating import/COPY rounds)."""
    _django(db_url)
    from django.db import connection

    from portraits.services import campus_import_paths

    with connection.cursor() as c:
        c.execute("TRUNCATE portraits_record, portraits_importbatch, portraits_student, portraits_run, "
                  "portraits_result, portraits_alert CASCADE")
    pid = connection.connection.info.backend_pid
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    report = campus_import_paths([Path(data)])
    out.put({"stage": "import", "seconds": time.perf_counter() - t0, "cpu_s": cpu_seconds(pid) - cpu0,
             "ok": report.ok, "rows": sum(f.rows_read for f in report.files)})


def child_copy(db_url: str, data: str, out: Any) -> None:
    import psycopg

    files = sorted(p for p in Path(data).glob("*.csv") if p.name != "truth.csv")
    rows = 0
    with psycopg.connect(db_url) as conn, conn.cursor() as cur:
        pid = conn.info.backend_pid
        cpu0, t0 = cpu_seconds(pid), time.perf_counter()
        for f in files:
            header = f.open(encoding="utf-8").readline().strip().split(",")
            table = f"bench_raw_{f.stem}"
            cur.execute(f"DROP TABLE IF EXISTS {table}")
            cur.execute(f"CREATE TABLE {table} ({', '.join(f'c{i} text' for i in range(len(header)))})")
            with cur.copy(f"COPY {table} FROM STDIN (FORMAT csv, HEADER)") as copy, f.open("rb") as fh:
                while block := fh.read(1 << 20):
                    copy.write(block)
            rows += cur.rowcount if cur.rowcount and cur.rowcount > 0 else 0
        conn.commit()
        seconds, cpu = time.perf_counter() - t0, cpu_seconds(pid) - cpu0
    out.put({"stage": "copy", "seconds": seconds, "cpu_s": cpu, "rows": rows, "rss_mb": rss_mb()})


def child_memory(data: str, out: Any) -> None:
    import numpy as np
    import pandas as pd

    from portraits.analysis.pipeline import run_pipeline
    from portraits.analysis.spec import STUDENTS

    t0 = time.perf_counter()
    frames = {p.stem: pd.read_csv(p).drop_duplicates() for p in Path(data).glob("*.csv") if p.name != "truth.csv"}
    t_read = time.perf_counter() - t0
    t1 = time.perf_counter()
    roster = frames["roster"].set_index("student_no")
    f = pd.DataFrame(index=roster.index)
    te = frames["teaching"].dropna(subset=["score", "credit"])
    g = (te["score"] * te["credit"]).groupby(te["student_no"]).sum() / te.groupby("student_no")["credit"].sum()
    f["wavg_score"] = g
    f["failed_courses"] = (frames["teaching"]["score"] < 60).groupby(frames["teaching"]["student_no"]).sum()
    lo = frames["logistics"]
    f["consumption_frequency"] = lo.groupby("student_no").size() / 12 * 6
    f["single_amount"] = lo.groupby("student_no")["amount"].mean()
    for feat, src in [("medical_visits", "hospital"), ("psych_consultations", "counselling"),
                      ("exercise", "exercise"), ("book_borrowing", "library"), ("volunteer", "quality")]:
        f[feat] = frames[src].groupby("student_no").size() / 12
    net = frames["network"]
    f["online_days"] = net["login_at"].str.slice(0, 10).groupby(net["student_no"]).nunique() / 12
    counts = ["failed_courses", "consumption_frequency", "medical_visits", "psych_consultations", "exercise",
              "book_borrowing", "volunteer", "online_days"]
    f[counts] = f[counts].fillna(0)
    for c in ["gender", "province", "college", "grade", "major"]:
        f[c] = roster[c]
    f = f.reset_index(drop=True)
    t_group = time.perf_counter() - t1
    t2 = time.perf_counter()
    result = run_pipeline(f, spec=STUDENTS)
    t_an = time.perf_counter() - t2
    out.put({"stage": "memory", "read_s": t_read, "groupby_s": t_group, "analysis_s": t_an,
             "seconds": t_read + t_group + t_an, "students": len(result["cleaned"]), "rss_mb": rss_mb(),
             "rows": int(sum(len(x) for x in frames.values()) + 0 * np.int64(0))})


def run_child(target: Any, args: tuple, max_seconds: float) -> list[dict]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(*args, q))
    p.start()
    deadline = time.monotonic() + max_seconds
    results = []
    while p.is_alive() or not q.empty():
        try:
            results.append(q.get(timeout=1))
        except Exception:  # noqa: BLE001 - queue.Empty
            pass
        if time.monotonic() > deadline and p.is_alive():
            p.kill()
            results.append({"stage": "timeout", "seconds": max_seconds})
            break
    p.join()
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, nargs="+", default=[PAPER_RECORDS])
    ap.add_argument("--students", type=int, default=None)
    ap.add_argument("--max-seconds", type=float, default=1200)
    ap.add_argument("--skip", nargs="*", default=[], choices=["ours", "copy", "memory"])
    ap.add_argument("--import-rounds", type=int, default=3,
                    help="extra rounds alternating raw COPY and our import alone; the median ratio is printed")
    args = ap.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("DATABASE_URL must point at PostgreSQL (a throw-away database is created next to it)")
    import psycopg

    server, _, _ = base.rpartition("/")
    db = f"bench_portraits_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as c:
        c.execute(f"CREATE DATABASE {db}")
    db_url = f"{server}/{db}"
    try:
        import subprocess

        subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"], check=True,
                       env={**os.environ, "DATABASE_URL": db_url, "DEBUG": "false"})
        from portraits.synth import generate

        for records in args.records:
            students = args.students or round(records * PAPER_STUDENTS / PAPER_RECORDS)
            with tempfile.TemporaryDirectory() as tmp:
                t = time.perf_counter()
                generate(Path(tmp), students=students, records=records, seed=2023)
                print(f"\n== {records:,} records, {students:,} students (synthetic files written in "
                      f"{time.perf_counter() - t:.1f} s, not timed below)")
                res: dict[str, list[dict]] = {}
                if "ours" not in args.skip:
                    res["ours"] = run_child(child_ours, (db_url, tmp), args.max_seconds)
                if "copy" not in args.skip:
                    res["copy"] = run_child(child_copy, (db_url, tmp), args.max_seconds)
                if "memory" not in args.skip:
                    res["memory"] = run_child(child_memory, (tmp,), args.max_seconds)
                report(res)
                ratios, cpu_ratios = [], []
                for i in range(args.import_rounds):
                    cp = run_child(child_copy, (db_url, tmp), args.max_seconds)[-1]
                    imp = run_child(child_import_only, (db_url, tmp), args.max_seconds)[-1]
                    if "rows" in cp and imp.get("ok"):
                        ratios.append((imp["rows"] / imp["seconds"]) / (cp["rows"] / cp["seconds"]))
                        cpu_ratios.append(cp["cpu_s"] / imp["cpu_s"])
                        print(f"  round {i + 1}: raw COPY {cp['seconds']:.2f} s ({cp['cpu_s']:.2f} CPU-s), our import "
                              f"{imp['seconds']:.2f} s ({imp['cpu_s']:.2f} CPU-s) → {100 * ratios[-1]:.0f} % of the "
                              f"rows/s  (load average {os.getloadavg()[0]:.1f})")
                if ratios:
                    print(f"  import / raw COPY rows/s, median of {len(ratios)} alternating rounds: "
                          f"{100 * statistics.median(ratios):.0f} % (target ≥ 70 %); CPU per row (client + "
                          f"PostgreSQL backend): raw COPY / ours = {statistics.median(cpu_ratios):.2f}")
            with psycopg.connect(db_url, autocommit=True) as c:   # next scale starts empty
                c.execute("TRUNCATE portraits_record, portraits_importbatch, portraits_student, portraits_run, "
                          "portraits_result, portraits_alert CASCADE")
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


def report(res: dict[str, list[dict]]) -> None:
    by = {k: {r.get("stage"): r for r in v} for k, v in res.items()}
    for name, stages in by.items():
        for stage, r in stages.items():
            extra = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items()
                     if k not in ("stage", "seconds")}
            print(f"  {name:7s} {stage:7s} {r.get('seconds', 0):8.2f} s  {extra}")
    imp, run = by.get("ours", {}).get("import"), by.get("ours", {}).get("run")
    cp, mem = by.get("copy", {}).get("copy"), by.get("memory", {}).get("memory")
    if imp and cp:
        ours_rate, copy_rate = imp["rows"] / imp["seconds"], cp["rows"] / cp["seconds"]
        print(f"  import {ours_rate:,.0f} rows/s vs raw COPY {copy_rate:,.0f} rows/s → "
              f"{100 * ours_rate / copy_rate:.0f} % (target ≥ 70 %)")
    if run and mem:
        print(f"  stored records → stored labels {run['seconds']:.2f} s vs in-memory {mem['seconds']:.2f} s → "
              f"{run['seconds'] / mem['seconds']:.2f}× (target ≤ 2×)")
    if imp and run:
        peak = max(imp["rss_mb"], run["rss_mb"])
        print(f"  end to end (import → stored labels) {imp['seconds'] + run['seconds']:.2f} s, "
              f"peak RSS {peak:,.0f} MB")


if __name__ == "__main__":
    main()
