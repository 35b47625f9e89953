"""Pure analysis functions on small hand-computed inputs."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from portraits.analysis import cleaning, clustering, rules, weighting


def test_numeric_gap_gets_the_cohort_median():
    df = pd.DataFrame({"x": [1.0, np.nan, 3.0, 10.0], "g": ["a", "a", "a", "b"]})
    out, report = cleaning.impute_numeric(df, ["x"])
    assert out["x"].tolist() == [1.0, 3.0, 3.0, 10.0]          # median of 1, 3, 10
    assert report["x"] == {"missing": 1, "pct": 25.0, "median": 3.0}
    by_group, _ = cleaning.impute_numeric(df, ["x"], by="g")
    assert by_group["x"].tolist() == [1.0, 2.0, 3.0, 10.0]     # median of group a: 1, 3


def test_categorical_gap_becomes_unknown():
    df = pd.DataFrame({"gender": ["female", None, " ", "male"]})
    out, report = cleaning.impute_categorical(df, ["gender"])
    assert out["gender"].tolist() == ["female", "unknown", "unknown", "male"]
    assert report["gender"] == {"missing": 2, "pct": 50.0}


def test_iqr_capping_hand_computed():
    # Q1 = 2, Q3 = 4 (linear), IQR = 2 → bounds [-1, 7]
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 100.0]})
    out, report = cleaning.cap_iqr(df, ["x"], factor=1.5)
    assert out["x"].tolist() == [1.0, 2.0, 3.0, 4.0, 7.0]
    assert report["x"]["low"] == -1.0
    assert report["x"]["high"] == 7.0
    assert report["x"]["capped_high"] == 1
    assert report["x"]["capped_low"] == 0
    assert report["x"]["pct"] == 20.0


def test_clean_caps_only_the_listed_columns():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 100.0], "b": [1.0, 2.0, 3.0, 4.0, 100.0]})
    out, report = cleaning.clean(df, numeric=["a", "b"], categorical=[], capped=["a"])
    assert out["a"].max() == 7.0
    assert out["b"].max() == 100.0
    assert list(report["capped"]) == ["a"]


def test_minmax_hand_computed_and_constant_column():
    x = np.array([[2.0, 5.0], [4.0, 5.0], [6.0, 5.0]])
    xn, lo, hi = weighting.minmax(x)
    assert xn[:, 0].tolist() == [0.0, 0.5, 1.0]
    assert xn[:, 1].tolist() == [0.0, 0.0, 0.0]
    assert lo.tolist() == [2.0, 5.0]
    assert hi.tolist() == [6.0, 5.0]


def test_information_gain_hand_computed():
    labels = np.array([0, 0, 1, 1])
    # Perfect split: bins 0 and 9 separate the labels → gain 1.
    assert weighting.information_gain(np.array([0.0, 0.05, 0.95, 1.0]), labels) == pytest.approx(1.0)
    # Every bin holds one of each label → no information.
    assert weighting.information_gain(np.array([0.0, 1.0, 0.0, 1.0]), labels) == pytest.approx(0.0)
    # Bins {0: [0, 0, 1]}, {9: [1]}: H = 1, H(L|bin) = 3/4 · 0.9183 → gain 0.3113.
    assert weighting.information_gain(np.array([0.0, 0.0, 0.0, 1.0]), labels) == pytest.approx(0.3113, abs=1e-4)


def test_gain_weights_halve_below_threshold():
    assert weighting.gain_weights([0.85, 0.19, 0.2, 0.0]) == [1.0, 0.5, 1.0, 0.5]


def test_dunn_index_hand_computed():
    x = np.array([[0.0, 0.0], [0.0, 1.0], [4.0, 0.0], [4.0, 2.0]])
    labels = np.array([0, 0, 1, 1])
    # Diameters 1 and 2 → max 2; closest cross pair (0,0)-(4,0) = 4 → Dunn = 4 / 2 = 2.
    assert clustering.dunn_index(x, labels) == pytest.approx(2.0)


def test_elbow_on_the_papers_table_2():
    ks = list(range(2, 11))
    sse = [9.2, 7.1, 5.3, 3.8, 3.5, 3.3, 3.1, 2.9, 2.8]
    assert clustering.elbow_k(ks, sse) == 5


def test_label_ordering_respects_each_direction():
    # Learning: (score ↑, failed ↓). Cluster 2 has the best score and the fewest failures.
    centroids = np.array([[0.5, 0.5], [0.1, 0.9], [0.9, 0.0], [0.3, 0.6], [0.7, 0.2]])
    mapping = clustering.order_labels(centroids, [1, -1], [1.0, 1.0],
                                      ["excellent", "good", "average", "poor", "very_poor"])
    assert mapping == {2: "excellent", 4: "good", 0: "average", 3: "poor", 1: "very_poor"}
    # Health: visits ↓, consultations ↓, exercise ↑: many visits and no exercise is the worst.
    health = np.array([[0.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    assert clustering.order_labels(health, [-1, -1, 1], [1, 1, 1], ["healthy", "b", "c", "d", "very_poor"]) == {
        0: "healthy", 1: "very_poor"}


def test_anova_eta_squared_hand_computed():
    x = np.array([[1.0], [2.0], [3.0], [7.0], [8.0], [9.0]])
    labels = np.array([0, 0, 0, 1, 1, 1])
    row = clustering.anova(x, labels, ["f"])[0]
    # Grand mean 5; SS_total = 16+9+4+4+9+16 = 58; SS_between = 3·3² + 3·3² = 54; SS_within = 4
    # → η² = 54/58; F = (54 / 1) / (4 / 4) = 54
    assert row["eta2"] == pytest.approx(54 / 58)
    assert row["F"] == pytest.approx(54.0)


def test_stability_of_well_separated_blobs_is_one():
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(c, 0.05, size=(30, 2)) for c in (0, 1, 2)])
    ref = clustering.kmeans(x, 3, seed=1, n_init=5).labels_
    result = clustering.stability(x, 3, ref, seeds=10, n_init=1, algorithm="lloyd")
    assert result["seeds"] == 10
    assert result["ari_min"] == pytest.approx(1.0)


def _rule_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "failed:2022-2": [1, 0, 0, 0, 0], "failed:2023-1": [2, 1, 0, 0, 0], "failed:2023-2": [0, 1, 0, 0, 0],
        "score:2022-2": [70, 70, 80, 70, 70], "score:2023-1": [70, 70, 80, 70, 70],
        "score:2023-2": [70, 70, 60, 70, 70],
        "exercise": [5.0, 5.0, 2.0, 5.0, 5.0], "book_borrowing": [5.0, 5.0, 5.0, 1.5, 5.0],
        "consumption_frequency": [100, 100, 100, 100, 10], "single_amount": [8.0, 8.0, 8.0, 8.0, 2.0],
        "last_counselling": [None, dt.date(2023, 12, 1), None, None, dt.date(2023, 9, 1)],
    }, index=[1, 2, 3, 4, 5])


def test_alert_rules_on_crafted_students():
    fired = rules.evaluate(_rule_frame(), rules.DEFAULT_RULE_PARAMS,
                           semesters=["2022-2", "2023-1", "2023-2"], end=dt.date(2023, 12, 31))
    got = sorted((sid, kind) for sid, kind, _ in fired)
    assert got == [
        (1, "failed_consecutive"),          # 2022-2 and 2023-1
        (2, "failed_consecutive"),          # 2023-1 and 2023-2
        (3, "exercise_score_drop"),         # 2/month and 80 → 60 (−25 %)
        (4, "low_borrowing"),               # 1.5/month
        (5, "counselling_gap"),             # 121 days
        (5, "low_consumption"),             # bottom 10 % of spend
    ]


def test_disabled_rules_do_not_fire():
    fired = rules.evaluate(_rule_frame(), {"low_borrowing": {"max_per_month": 1.0}},
                           semesters=["2022-2", "2023-1", "2023-2"], end=dt.date(2023, 12, 31))
    assert fired == []


def test_migration_matrix_compares_labels_of_common_students():
    from portraits.analysis.compare import migration_matrix

    before = pd.Series({1: "good", 2: "good", 3: "poor", 4: "average"})
    after = pd.Series({1: "good", 2: "poor", 3: "poor", 5: "good"})
    m = migration_matrix(before, after, ["good", "average", "poor"])
    assert m["n"] == 3
    assert m["matrix"] == [[1, 0, 1], [0, 0, 0], [0, 0, 1]]
    assert m["migration_rate"] == pytest.approx(1 / 3)


def test_cluster_alignment_ignores_arbitrary_numbering():
    from portraits.analysis.compare import align_clusters

    a = np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]])
    b = np.array([[5.1, 4.9], [0.1, 0.0], [0.9, 1.1]])   # the same clusters, numbered differently
    assert align_clusters(a, b) == {0: 2, 1: 0, 2: 1}
