"""The Open University Learning Analytics Dataset (OULAD) as portraits input (issue 21).

Kuzilek J., Hlosta M., Zdrahal Z. (2017). Open University Learning Analytics dataset. Scientific Data 4:170171,
doi:10.1038/sdata.2017.171 — CC BY 4.0. The copy in ../shared/data/oulad/ holds the click table for 3 of the 22
presentations only (its README); engagement is therefore computed for those 3 and learning for all 22.

One subject = one enrolment (module, presentation, student), named by a keyed pseudonym of the three (the
OULAD student id is never kept). Pure pandas: frames in, frames out; the command and the measurement call it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .analysis.spec import Spec

PASS_MARK = 40.0            # the OU's pass mark for an assessment
ACTIVITY_TYPES = ["oucontent", "forumng", "quiz", "resource", "homepage", "subpage", "url"]
FAIL_OR_WITHDRAWN = {"Fail", "Withdrawn"}

LEARNING = {"weighted_score": 1, "late_days": -1, "passed_share": 1}
ENGAGEMENT = {"clicks_per_week": 1, "active_week_share": 1,
              **{f"clicks_{a}": 1 for a in ACTIVITY_TYPES}}

OULAD_LEARNING = Spec(features=list(LEARNING), dimensions={"learning": LEARNING},
                      labels={"learning": ["excellent", "good", "average", "poor", "very_poor"]},
                      all_features=LEARNING)
OULAD_ENGAGEMENT = Spec(features=list(ENGAGEMENT), dimensions={"engagement": ENGAGEMENT},
                        labels={"engagement": ["high", "good", "average", "poor", "low"]},
                        all_features=ENGAGEMENT)
KEY = ["code_module", "code_presentation", "id_student"]


def read_tables(path: Path) -> dict[str, pd.DataFrame]:
    """The OULAD CSVs of `path` (studentVle_subset.csv.gz or studentVle.csv for clicks, when present)."""
    def csv(name: str, **kw: Any) -> pd.DataFrame:
        return pd.read_csv(path / name, dtype={"id_student": str, "code_module": str, "code_presentation": str}, **kw)

    tables = {"info": csv("studentInfo.csv"), "assessments": csv("assessments.csv"),
              "submitted": csv("studentAssessment.csv"), "courses": csv("courses.csv")}
    for name in ("studentVle_subset.csv.gz", "studentVle.csv"):
        if (path / name).exists():
            tables["clicks"] = csv(name)
            tables["vle"] = csv("vle.csv")
            break
    return tables


def learning_features(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per enrolment: the score weighted by assessment weight (plain mean where a module's weights are all 0,
    e.g. some CMAs), the mean lateness in days (submission after the cut-off; exams without a date do not count),
    and the share of the presentation's assessments passed (≥ 40; not submitted = not passed)."""
    info = t["info"].set_index(KEY)
    a = t["assessments"]
    s = t["submitted"].merge(a, on="id_assessment", how="inner")
    s["w"] = s["weight"].astype(float)
    s["ws"] = s["score"] * s["w"]
    s["late"] = (s["date_submitted"] - s["date"]).clip(lower=0)
    s["passed"] = (s["score"] >= PASS_MARK).astype(float)
    g = s.groupby(KEY)
    wsum, wt = g["ws"].sum(min_count=1), g["w"].sum()
    plain = g["score"].mean()
    out = pd.DataFrame(index=info.index)
    out["weighted_score"] = (wsum / wt.where(wt > 0)).fillna(plain).reindex(out.index)
    out["late_days"] = g["late"].mean().reindex(out.index)
    due = a.groupby(["code_module", "code_presentation"]).size().rename("due")
    passed = g["passed"].sum().reindex(out.index).fillna(0)
    n_due = out.index.to_frame(index=False).merge(due.reset_index(), how="left",
                                                   on=["code_module", "code_presentation"])["due"].to_numpy()
    out["passed_share"] = passed.to_numpy() / np.maximum(n_due, 1)
    out["mean_score"] = plain.reindex(out.index)         # the baseline's input, not a clustering feature
    return out


def engagement_features(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per enrolment of the presentations that have click rows: clicks per week of the presentation (all and
    per main activity type) and the share of its weeks with any click."""
    clicks = t["clicks"].merge(t["vle"][["id_site", "activity_type"]], on="id_site", how="left")
    length = t["courses"].set_index(["code_module", "code_presentation"])["module_presentation_length"]
    present = clicks[["code_module", "code_presentation"]].drop_duplicates()
    info = t["info"].merge(present, on=["code_module", "code_presentation"]).set_index(KEY)
    weeks = (length.reindex(info.index.droplevel("id_student")).to_numpy() / 7.0)
    out = pd.DataFrame(index=info.index)
    g = clicks.groupby(KEY)
    out["clicks_per_week"] = g["sum_click"].sum().reindex(out.index).fillna(0).to_numpy() / weeks
    clicks["week"] = clicks["date"] // 7
    active = clicks.groupby(KEY)["week"].nunique().reindex(out.index).fillna(0).to_numpy()
    out["active_week_share"] = np.minimum(active / np.ceil(weeks), 1.0)
    per_type = clicks.pivot_table(index=KEY, columns="activity_type", values="sum_click", aggfunc="sum")
    for a in ACTIVITY_TYPES:
        col = per_type[a] if a in per_type.columns else pd.Series(dtype=float)
        out[f"clicks_{a}"] = col.reindex(out.index).fillna(0).to_numpy() / weeks
    return out


def pseudonymise(index: pd.MultiIndex, key: Any) -> pd.Index:
    """Keyed pseudonyms of (module, presentation, student) — `key` is a callable like services.pseudonym."""
    return pd.Index([key(f"oulad:{m}:{p}:{s}") for m, p, s in index], name="pseudonym")


def measure(labels: np.ndarray, levels: list[str], outcome: pd.Series, mean_score: pd.Series) -> dict[str, Any]:
    """How portraits relate to final_result: NMI, and the share of Fail+Withdrawn in the worst-labelled
    cluster(s) — against the baseline of the same number of quantile groups of the mean score alone (no
    submitted score = the lowest group)."""
    from sklearn.metrics import normalized_mutual_info_score

    labels = np.asarray(labels, dtype=object)
    y = outcome.to_numpy()
    bad = np.isin(y, list(FAIL_OR_WITHDRAWN))
    present = [lv for lv in levels if (labels == lv).any()]
    worst = present[-1]
    k = len(present)
    ranks = mean_score.fillna(-1.0).rank(method="first").to_numpy()
    base = np.minimum((ranks - 1) * k // len(ranks), k - 1).astype(int)     # 0 = lowest mean score
    caught = bad & (labels == worst)
    return {
        "groups": k, "n": int(len(y)), "fail_withdrawn_share_cohort": round(float(bad.mean()), 4),
        "nmi": round(float(normalized_mutual_info_score(y, labels)), 4),
        "worst_label": worst, "worst_size": int((labels == worst).sum()),
        "worst_fail_withdrawn_share": round(float(bad[labels == worst].mean()), 4),
        "worst_recall": round(float(caught.sum() / max(bad.sum(), 1)), 4),
        "baseline_nmi": round(float(normalized_mutual_info_score(y, base)), 4),
        "baseline_worst_size": int((base == 0).sum()),
        "baseline_worst_fail_withdrawn_share": round(float(bad[base == 0].mean()), 4),
        "baseline_worst_recall": round(float((bad & (base == 0)).sum() / max(bad.sum(), 1)), 4),
    }


def oulad_measure(path: Path, *, key: Any, k: Any = "auto", params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Read, build both dimensions, run the portraits pipeline on each, measure against final_result."""
    from .analysis.pipeline import run_pipeline

    t = read_tables(path)
    outcome = t["info"].set_index(KEY)["final_result"]
    p = {"k": k, "capped": [], "median_by": None, **(params or {})}
    learn = learning_features(t)
    frame = learn[list(LEARNING)].copy()
    frame.index = pseudonymise(frame.index, key)
    res = run_pipeline(frame, spec=OULAD_LEARNING, params=p)
    m = res["dimensions"]["learning"]
    out: dict[str, Any] = {"learning": {**measure(m["labels"], OULAD_LEARNING.labels["learning"],
                                                  outcome.reindex(learn.index), learn["mean_score"]),
                                        "k": m["k"], "k_reasons": m["k_decision"].get("reasons", []),
                                        "weights": m["weights"]}}
    if "clicks" in t:
        eng = engagement_features(t)
        frame = eng.copy()
        frame.index = pseudonymise(frame.index, key)
        res = run_pipeline(frame, spec=OULAD_ENGAGEMENT,
                           params={**p, "capped": list(ENGAGEMENT)})
        m = res["dimensions"]["engagement"]
        out["engagement"] = {**measure(m["labels"], OULAD_ENGAGEMENT.labels["engagement"],
                                       outcome.reindex(eng.index), learn["mean_score"].reindex(eng.index)),
                             "k": m["k"], "presentations": sorted({f"{a} {b}" for a, b, _ in eng.index}),
                             "weights": m["weights"]}
    return out
