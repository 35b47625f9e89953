"""Choosing k (clustering.decide_k) and the W-K-means weights (weighting.wkmeans_weights), issue 21.

The cohort here is drawn the way portraits_synth draws its students' rates (Table 5 centroids, additive
scatter of 4 % of each feature's centroid range), without writing and importing files, so the test stays
well under 30 s; bench/portraits_k.py measures the same decision through the real import on 400 students.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

from portraits.analysis import clustering, weighting
from portraits.analysis.pipeline import DEFAULT_PARAMS, analyse_dimension
from portraits.synth import CENTROIDS, SHARES


def _dimension(dim: str, n: int, seed: int, noise: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.choice(5, size=n, p=SHARES[dim])
    cols = []
    for levels in CENTROIDS[dim].values():
        lv = np.asarray(levels, dtype=float)
        cols.append(np.maximum(lv[truth] + rng.normal(0, 0.04 * (lv.max() - lv.min()), size=n), 0))
    cols += [rng.uniform(0, 10, size=n) for _ in range(noise)]
    x, _, _ = weighting.minmax(np.column_stack(cols))
    return x, truth


def _curve(x: np.ndarray) -> dict:
    return clustering.k_curves(x, ks=range(2, 9), seed=42, n_init=3, algorithm="lloyd", sample_size=2000,
                               gap_references=5, stability_pairs=5)


def test_auto_k_finds_the_planted_k_where_the_archetypes_separate():
    # Economic and health: the five Table 5 archetypes are separated in the features; the planted k is 5.
    with threadpool_limits(1):
        for dim, seed in [("economic", 3), ("health", 4)]:
            x, truth = _dimension(dim, 300, seed)
            decision = clustering.decide_k(_curve(x))
            assert decision["k"] == 5, (dim, decision["reasons"])
            chosen = next(r for r in decision["reasons"] if r["code"] == "chosen")
            assert chosen["k"] == 5
            assert chosen["stability"] >= 0.9


def test_decision_says_when_the_data_support_fewer_clusters_than_asked():
    rng = np.random.default_rng(0)
    centres = np.array([[0.1, 0.1], [0.9, 0.1], [0.5, 0.9]])
    x = np.vstack([c + rng.normal(0, 0.03, size=(80, 2)) for c in centres])
    with threadpool_limits(1):
        decision = clustering.decide_k(_curve(x), asked=5)
    assert decision["k"] == 3
    codes = [r["code"] for r in decision["reasons"]]
    assert "fewer_than_asked" in codes
    assert next(r for r in decision["reasons"] if r["code"] == "fewer_than_asked")["asked"] == 5
    # Every k of the range has its rank sum and each criterion its own pick.
    assert len(decision["borda"]) == len(range(2, 9))
    assert set(decision["picks"]) >= {"silhouette", "calinski_harabasz", "davies_bouldin", "gap", "stability"}


def test_unstable_ks_are_not_candidates():
    curve = {"k": [2, 3, 4], "silhouette": [0.1, 0.9, 0.2], "calinski_harabasz": [1, 9, 2],
             "davies_bouldin": [2.0, 0.1, 1.0], "gap": [0.1, 0.9, 0.2], "gap_se": [0.01] * 3,
             "stability": [0.99, 0.5, 0.95], "sse": [3.0, 2.0, 1.0], "dunn": [0.1, 0.2, 0.1]}
    decision = clustering.decide_k(curve, stability_floor=0.9)
    assert decision["k"] != 3                      # best on every score but unstable
    assert decision["reasons"][0] == {"code": "unstable", "ks": [3], "floor": 0.9}


def test_wkmeans_damps_pure_noise_and_beats_unweighted_kmeans():
    with threadpool_limits(1):
        for dim, seed in [("economic", 5), ("interest", 6), ("learning", 7)]:
            x, truth = _dimension(dim, 300, seed, noise=2)
            informative = len(CENTROIDS[dim])
            weights, disp = weighting.wkmeans_weights(x, 5)
            assert max(weights[informative:]) < 0.25 * min(weights[:informative]), (dim, weights)
            plain = clustering.kmeans(x, 5, seed=42, n_init=10, algorithm="lloyd").labels_
            weighted = clustering.kmeans(x * np.asarray(weights), 5, seed=42, n_init=10, algorithm="lloyd").labels_
            gain = adjusted_rand_score(truth, weighted) - adjusted_rand_score(truth, plain)
            assert gain > 0.3, (dim, gain)


def test_wkmeans_keeps_informative_features_at_full_weight():
    with threadpool_limits(1):
        x, _ = _dimension("health", 300, 8)
        weights, disp = weighting.wkmeans_weights(x, 5)
    assert weights == [1.0, 1.0, 1.0]
    assert max(disp) <= 0.5


def test_pipeline_reports_weights_and_their_effect():
    x, truth = _dimension("economic", 200, 9, noise=1)
    names = ["consumption_frequency", "single_amount", "noise_1"]
    frame = pd.DataFrame(x, columns=names)
    params = {**DEFAULT_PARAMS, "k": 5, "gap_references": 3, "stability_pairs": 3, "stability_seeds": 2,
              "k_range": [2, 6]}
    with threadpool_limits(1):
        out = analyse_dimension(frame, frame, {"consumption_frequency": 1, "single_amount": 1, "noise_1": 0},
                                ["high", "good", "average", "poor", "low"], params)
    assert out["weighting"]["method"] == "wkmeans"
    assert out["weights"][2] < 0.25
    assert out["weighting"]["ari_vs_unweighted"] < 0.9       # the weights changed the partition
    assert out["k_decision"]["reasons"]                       # with a fixed k the decision is still explained
