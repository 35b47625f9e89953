"""Recovery with `--k auto`: k found and ARI per dimension over several synthetic seeds (issue 21).

Usage (PostgreSQL on loopback; the portraits tables of that database are emptied before each seed):
    DATABASE_URL=postgres://postgres@127.0.0.1:5433/med_portraits .venv/bin/python bench/portraits_k.py \
        [--students 400] [--records 340000] [--seeds 11 12 ... 20] [--k auto] [--noise-features 0] \
        [--weighting wkmeans|entropy_gain|none]

Per seed: `portraits_synth` files → `campus_import_paths` (the real import) → `student_features` (the real
GROUP BY) → `run_pipeline` with the given k, then ARI of each dimension's labels against truth.csv. Prints one
Markdown row per seed and a summary (seeds where the planted k = 5 was found; mean and min ARI). Run it from a
checkout to measure that checkout's code (the "before" column of docs/portraits.md is this file run from a
worktree of the commit before issue 21, `PYTHONPATH=that worktree`).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.environ.get("PYTHONPATH", "").split(":")[0] or str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_site.settings.local")

DIMS = ["learning", "economic", "health", "interest"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=400)
    ap.add_argument("--records", type=int, default=340_000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[11, 12, 13, 14, 15, 16, 17, 18, 19, 20])
    ap.add_argument("--k", default="auto")
    ap.add_argument("--noise-features", type=int, default=0, help="add N pure-noise features to every dimension")
    ap.add_argument("--weighting", default=None, help="wkmeans | entropy_gain | none (default: the pipeline's)")
    args = ap.parse_args()
    import django

    django.setup()
    import numpy as np
    import pandas as pd
    from django.db import connection
    from sklearn.metrics import adjusted_rand_score

    from portraits.analysis.pipeline import run_pipeline
    from portraits.analysis.spec import STUDENTS, with_noise
    from portraits.features import student_features
    from portraits.models import Student
    from portraits.services import campus_import_paths
    from portraits.services.pseudonym import pseudonym
    from portraits.synth import generate

    k = args.k if args.k == "auto" else int(args.k)
    found, aris = 0, {d: [] for d in DIMS}
    print("| seed | " + " | ".join(f"{d} k / ARI" for d in DIMS) + " | portrait types k | s |")
    print("|---|" + "---|" * (len(DIMS) + 2))
    for seed in args.seeds:
        t = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            generate(out, students=args.students, records=args.records, seed=seed,
                     noise_features=args.noise_features)
            with connection.cursor() as cur:
                tables = ["portraits_alert", "portraits_result", "portraits_run", "portraits_record",
                          "portraits_importbatch", "portraits_student", "portraits_recordcategory"]
                if connection.vendor == "postgresql":
                    cur.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
                else:
                    for table in tables:
                        cur.execute(f"DELETE FROM {table}")
            report = campus_import_paths([out])
            assert report.ok, report.errors[:5]
            frame = student_features("2023")
            truth = pd.read_csv(out / "truth.csv", dtype=str)
            noise = pd.read_csv(out / "noise.csv", dtype={"student_no": str}) if args.noise_features else None
        ids = dict(Student.objects.values_list("pseudonym", "id"))
        truth.index = truth["student_no"].map(lambda s, ids=ids: ids[pseudonym(s)])
        truth = truth.loc[frame.index]
        spec = STUDENTS
        if noise is not None:
            noise.index = noise.pop("student_no").map(lambda s, ids=ids: ids[pseudonym(s)])
            frame = frame.join(noise)
            spec = with_noise(STUDENTS, list(noise.columns))
        params: dict = {"k": k}
        if args.weighting:
            params["weighting"] = args.weighting
        result = run_pipeline(frame, spec=spec, params=params)
        cells = []
        for d in DIMS:
            m = result["dimensions"][d]
            a = float(adjusted_rand_score(truth[d], m["labels"]))
            aris[d].append(a)
            found += int(m["k"]) == 5
            cells.append(f"{m['k']} / {a:.2f}")
        print(f"| {seed} | " + " | ".join(cells) + f" | {result['dimensions']['portrait']['k']} | "
              f"{time.perf_counter() - t:.0f} |", flush=True)
    n = len(args.seeds)
    print(f"\nplanted k = 5 found in {found} of {n * len(DIMS)} (seed, dimension) pairs; per dimension mean / min "
          "ARI: " + ", ".join(f"{d} {np.mean(v):.2f} / {np.min(v):.2f}" for d, v in aris.items()))


if __name__ == "__main__":
    main()
