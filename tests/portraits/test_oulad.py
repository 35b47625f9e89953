"""OULAD (CC BY 4.0, Kuzilek et al. 2017) into learning and engagement portraits, on a 140-enrolment slice
(tests/portraits/data/oulad_slice, README there)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from portraits import oulad

SLICE = Path(__file__).parent / "data" / "oulad_slice"


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_learning_features_follow_the_definitions():
    t = oulad.read_tables(SLICE)
    f = oulad.learning_features(t)
    assert len(f) == 140
    # Hand computation for the first student with submissions: Σ score × weight / Σ weight, lateness, passed share.
    sub = t["submitted"].merge(t["assessments"], on="id_assessment")
    sid = sub["id_student"].iloc[0]
    mine = sub[sub["id_student"] == sid]
    row = f.loc[("AAA", "2013J", sid)]
    expected = (mine["score"] * mine["weight"]).sum() / mine["weight"].sum()
    assert row["weighted_score"] == pytest.approx(expected)
    assert row["late_days"] == pytest.approx((mine["date_submitted"] - mine["date"]).clip(lower=0).mean())
    assert row["passed_share"] == pytest.approx((mine["score"] >= 40).sum() / len(t["assessments"]))
    outcome = t["info"].set_index(oulad.KEY)["final_result"].reindex(f.index)
    assert f.loc[outcome == "Withdrawn", "passed_share"].mean() < f.loc[outcome == "Pass", "passed_share"].mean()


def test_engagement_features_per_week_and_activity():
    t = oulad.read_tables(SLICE)
    e = oulad.engagement_features(t)
    assert len(e) == 140
    weeks = 268 / 7                                  # AAA 2013J runs 268 days
    sid = t["clicks"]["id_student"].iloc[0]
    total = t["clicks"].loc[t["clicks"]["id_student"] == sid, "sum_click"].sum()
    assert e.loc[("AAA", "2013J", sid), "clicks_per_week"] == pytest.approx(total / weeks)
    assert e["active_week_share"].between(0, 1).all()
    per_type = e[[f"clicks_{a}" for a in oulad.ACTIVITY_TYPES]].sum(axis=1)
    assert (per_type <= e["clicks_per_week"] + 1e-9).all()


def test_measure_against_final_result_and_pseudonyms():
    result = oulad.oulad_measure(SLICE, key=_key, k=4,
                                 params={"gap_references": 2, "stability_pairs": 2, "stability_seeds": 2,
                                         "k_range": [2, 5]})
    learning = result["learning"]
    assert learning["n"] == 140
    assert 0 <= learning["nmi"] <= 1
    assert 0 <= learning["baseline_nmi"] <= 1
    # The worst-labelled students are mostly Fail or Withdrawn (more than in the cohort: 80 of 140).
    assert learning["worst_fail_withdrawn_share"] > learning["fail_withdrawn_share_cohort"]
    assert result["engagement"]["presentations"] == ["AAA 2013J"]
    index = oulad.pseudonymise(pd.MultiIndex.from_tuples([("AAA", "2013J", "11391")]), _key)
    assert "11391" not in index[0]


def test_baseline_groups_are_mean_score_quantiles():
    labels = np.array(["excellent", "very_poor", "very_poor", "excellent"], dtype=object)
    outcome = pd.Series(["Pass", "Fail", "Withdrawn", "Distinction"])
    m = oulad.measure(labels, ["excellent", "good", "average", "poor", "very_poor"], outcome,
                      pd.Series([80.0, 30.0, np.nan, 90.0]))
    assert m["worst_fail_withdrawn_share"] == 1.0
    assert m["worst_recall"] == 1.0
    assert m["baseline_worst_size"] == 2                  # 2 groups: the two lowest mean scores (NaN lowest)
    assert m["baseline_worst_fail_withdrawn_share"] == 1.0
    # labels are a function of the outcome: MI = H(labels) = 1 bit, H(outcome) = 2 bits → NMI = 1 / 1.5
    assert m["nmi"] == pytest.approx(2 / 3, abs=1e-4)
