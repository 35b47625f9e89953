"""Intervention rules (paper §5.5, PRODUCT.md) evaluated on a per-student frame; pure."""
from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

DEFAULT_RULE_PARAMS: dict[str, dict[str, Any]] = {
    "failed_consecutive": {"min_failed": 1},
    "exercise_score_drop": {"max_exercise_per_month": 4.33, "min_drop_pct": 15.0},
    "counselling_gap": {"max_days": 60},
    "low_borrowing": {"max_per_month": 2.0},
    "low_consumption": {"bottom_pct": 10.0},
}


def evaluate(frame: pd.DataFrame, rules: dict[str, dict[str, Any]], *, semesters: list[str],
             end: dt.date) -> list[tuple[Any, str, dict[str, Any]]]:
    """(student id, rule kind, detail) for every rule that fires. `frame` holds the run's features
    (exercise, book_borrowing, consumption_frequency, single_amount) and the rule inputs
    (failed:<semester>, score:<semester>, last_counselling)."""
    fired: list[tuple[Any, str, dict[str, Any]]] = []
    if "failed_consecutive" in rules:
        m = float(rules["failed_consecutive"]["min_failed"])
        for a, b in zip(semesters, semesters[1:], strict=False):
            hit = (frame[f"failed:{a}"] >= m) & (frame[f"failed:{b}"] >= m)
            for sid in frame.index[hit]:
                fired.append((sid, "failed_consecutive", {"semesters": [a, b], "failed": [
                    int(frame.at[sid, f"failed:{a}"]), int(frame.at[sid, f"failed:{b}"])]}))
    if "exercise_score_drop" in rules and len(semesters) >= 2:
        p = rules["exercise_score_drop"]
        prev, cur = frame[f"score:{semesters[-2]}"], frame[f"score:{semesters[-1]}"]
        drop = (prev - cur) / prev * 100
        hit = (frame["exercise"] < float(p["max_exercise_per_month"])) & (drop > float(p["min_drop_pct"]))
        for sid in frame.index[hit.fillna(False)]:
            fired.append((sid, "exercise_score_drop", {"exercise": round(float(frame.at[sid, "exercise"]), 2),
                                                       "drop_pct": round(float(drop[sid]), 1)}))
    if "counselling_gap" in rules:
        limit = int(rules["counselling_gap"]["max_days"])
        for sid, last in frame["last_counselling"].dropna().items():
            days = (end - last).days
            if days > limit:
                fired.append((sid, "counselling_gap", {"last": last.isoformat(), "days": days}))
    if "low_borrowing" in rules:
        hit = frame["book_borrowing"] < float(rules["low_borrowing"]["max_per_month"])
        for sid in frame.index[hit]:
            fired.append((sid, "low_borrowing", {"per_month": round(float(frame.at[sid, "book_borrowing"]), 2)}))
    if "low_consumption" in rules and len(frame):
        spend = frame["consumption_frequency"] * frame["single_amount"]
        cut = float(np.percentile(spend, float(rules["low_consumption"]["bottom_pct"])))
        for sid in frame.index[spend <= cut]:
            fired.append((sid, "low_consumption", {"spend": round(float(spend[sid]), 2), "cutoff": round(cut, 2)}))
    return fired
