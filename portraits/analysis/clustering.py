"""K-means, k selection, stability, ANOVA and label ordering (paper §3.3, §4.3).

`n_init` and `algorithm` are always passed explicitly: scikit-learn changed their defaults between
versions, and a run must be reproducible from its recorded parameters and library versions.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats
from scipy.spatial.distance import cdist, pdist
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, davies_bouldin_score, silhouette_score


def kmeans(x: np.ndarray, k: int, *, seed: int, n_init: int, algorithm: str = "lloyd") -> KMeans:
    return KMeans(n_clusters=k, n_init=n_init, algorithm=algorithm, init="k-means++",
                  random_state=seed).fit(x)


def dunn_index(x: np.ndarray, labels: np.ndarray) -> float:
    """Dunn index: smallest distance between points of different clusters divided by the largest
    distance between two points of the same cluster (cluster diameter). O(n²): sample large inputs."""
    labels = np.asarray(labels)
    clusters = [x[labels == c] for c in np.unique(labels)]
    if len(clusters) < 2:
        return 0.0
    diameter = max((pdist(c).max() if len(c) > 1 else 0.0) for c in clusters)
    separation = min(cdist(a, b).min() for i, a in enumerate(clusters) for b in clusters[i + 1:])
    return float(separation / diameter) if diameter > 0 else float("inf")


def sample_indices(n: int, size: int, seed: int) -> np.ndarray:
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def k_curves(x: np.ndarray, *, ks: range, seed: int, n_init: int, algorithm: str,
             sample_size: int) -> dict[str, Any]:
    """SSE, silhouette, Davies–Bouldin and Dunn for each k. Silhouette and Dunn are computed on a
    random sample of `sample_size` rows when n is larger (the sample size is returned)."""
    idx = sample_indices(len(x), sample_size, seed)
    curve: dict[str, list] = {"k": [], "sse": [], "silhouette": [], "davies_bouldin": [], "dunn": []}
    for k in ks:
        if k >= len(x):
            break
        model = kmeans(x, k, seed=seed, n_init=n_init, algorithm=algorithm)
        lab = model.labels_
        curve["k"].append(k)
        curve["sse"].append(float(model.inertia_))
        sub_lab = lab[idx]
        ok = len(np.unique(sub_lab)) > 1
        curve["silhouette"].append(float(silhouette_score(x[idx], sub_lab)) if ok else 0.0)
        curve["davies_bouldin"].append(float(davies_bouldin_score(x, lab)) if len(np.unique(lab)) > 1 else 0.0)
        curve["dunn"].append(dunn_index(x[idx], sub_lab) if ok else 0.0)
    curve["sample_size"] = int(len(idx))
    return curve


def elbow_k(ks: list[int], sse: list[float]) -> int:
    """The elbow: the k whose (normalised) SSE point lies farthest below the chord from first to last k."""
    k = np.asarray(ks, dtype=float)
    s = np.asarray(sse, dtype=float)
    if len(k) < 3:
        return int(k[0])
    kn = (k - k[0]) / (k[-1] - k[0])
    sn = (s - s.min()) / (s.max() - s.min()) if s.max() > s.min() else np.zeros_like(s)
    chord = sn[0] + (sn[-1] - sn[0]) * kn
    return int(k[int(np.argmax(chord - sn))])


def choose_k(curve: dict[str, Any]) -> dict[str, int]:
    """Each criterion's k, and `vote`: the most frequent of the four (ties → the silhouette's k)."""
    ks = curve["k"]
    picks = {
        "elbow": elbow_k(ks, curve["sse"]),
        "silhouette": int(ks[int(np.argmax(curve["silhouette"]))]),
        "davies_bouldin": int(ks[int(np.argmin(curve["davies_bouldin"]))]),
        "dunn": int(ks[int(np.argmax(curve["dunn"]))]),
    }
    values = list(picks.values())
    best = max(values, key=lambda v: (values.count(v), v == picks["silhouette"]))
    picks["vote"] = int(best)
    return picks


def stability(x: np.ndarray, k: int, reference: np.ndarray, *, seeds: int, n_init: int,
              algorithm: str) -> dict[str, float]:
    """Adjusted Rand index between the reference labels and K-means with `seeds` other seeds."""
    aris = [adjusted_rand_score(reference, kmeans(x, k, seed=1000 + s, n_init=n_init, algorithm=algorithm).labels_)
            for s in range(seeds)]
    return {"seeds": seeds, "ari_mean": float(np.mean(aris)), "ari_min": float(np.min(aris))}


def anova(x: np.ndarray, labels: np.ndarray, names: list[str]) -> list[dict[str, Any]]:
    """One-way ANOVA of each feature across clusters: F, p and η² = SS_between / SS_total."""
    labels = np.asarray(labels)
    groups = np.unique(labels)
    rows = []
    for j, name in enumerate(names):
        col = x[:, j]
        parts = [col[labels == g] for g in groups]
        ss_total = float(((col - col.mean()) ** 2).sum())
        ss_between = float(sum(len(p) * (p.mean() - col.mean()) ** 2 for p in parts))
        if len(groups) > 1 and ss_total > ss_between:
            f, p = stats.f_oneway(*parts)
            f, p = float(f), float(p)
        else:
            f, p = (float("inf") if ss_total > 0 else 0.0), 0.0 if ss_total > 0 else 1.0
        rows.append({"feature": name, "F": f, "p": p, "eta2": ss_between / ss_total if ss_total else 0.0})
    return rows


def oriented(xn: np.ndarray, directions: list[int], weights: list[float]) -> np.ndarray:
    """Per-row score in [0, 1]: the weighted mean of normalised features, each turned so that 1 is best
    (x for direction +1, 1 − x for −1); direction-0 features do not count."""
    d = np.asarray(directions, dtype=float)
    w = np.asarray(weights, dtype=float) * (d != 0)
    if w.sum() == 0:
        return np.zeros(len(xn))
    turned = np.where(d > 0, xn, 1.0 - xn)
    return (turned * w).sum(axis=1) / w.sum()


def order_labels(centroids: np.ndarray, directions: list[int], weights: list[float],
                 levels: list[str]) -> dict[int, str]:
    """Map each cluster id to one of the five levels by its centroid's oriented score, best first.

    With k = 5 the best centroid gets levels[0] and so on; other k spread evenly over the five levels.
    """
    score = oriented(centroids, directions, weights)
    order = np.argsort(-score, kind="stable")
    k = len(order)
    mapping = {}
    for rank, cluster in enumerate(order):
        level = 0 if k == 1 else int(round(rank * (len(levels) - 1) / (k - 1)))
        mapping[int(cluster)] = levels[level]
    return mapping
