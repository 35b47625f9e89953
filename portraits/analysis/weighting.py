"""Min–max normalisation and entropy information-gain weights (paper §3.3)."""
from __future__ import annotations

import numpy as np


def minmax(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X = (X0 − Xmin) / (Xmax − Xmin) per column; a constant column maps to 0."""
    x = np.asarray(x, dtype=float)
    lo, hi = x.min(axis=0), x.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return (x - lo) / span, lo, hi


def entropy(labels: np.ndarray) -> float:
    """Shannon entropy in bits of a label vector."""
    _, counts = np.unique(labels, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def information_gain(x: np.ndarray, labels: np.ndarray, *, bins: int = 10) -> float:
    """Normalised information gain of `labels` from the feature `x` (values in [0, 1], cut into `bins`
    equal-width bins): (H(labels) − H(labels | bin)) / H(labels), in [0, 1]; 0 when labels are constant.

    The paper gives gains in [0, 1] without a target; clustering is unsupervised, so the target is the
    preliminary (unweighted) clustering of the dimension, and the gain is normalised by its entropy.
    """
    labels = np.asarray(labels)
    h = entropy(labels)
    if h == 0.0:
        return 0.0
    codes = np.minimum((np.asarray(x, dtype=float) * bins).astype(int), bins - 1)
    conditional = 0.0
    n = len(labels)
    for b in np.unique(codes):
        mask = codes == b
        conditional += mask.sum() / n * entropy(labels[mask])
    return float((h - conditional) / h)


def gain_weights(gains: list[float], *, threshold: float = 0.2, low_weight: float = 0.5) -> list[float]:
    """Full weight, or `low_weight` (half) for a feature whose gain is below `threshold`."""
    return [low_weight if g < threshold else 1.0 for g in gains]


def wkmeans_weights(x: np.ndarray, k: int, *, beta: float = 3.0, iterations: int = 8, seed: int = 42,
                    n_init: int = 3, algorithm: str = "lloyd", keep: float = 0.5) -> tuple[list[float], list[float]]:
    """Feature weights after W-K-means (Huang, Ng, Rong & Li 2005, IEEE TPAMI 27(5)): alternate K-means on the
    weighted data with the weight update w_j ∝ 1 / D_j^(1/(β−1)), where D_j is the share of feature j's sum
    of squares left inside the clusters (1 = the clusters explain nothing of it). A feature that no
    clustering makes compact (pure noise: its spread inside every cluster is its spread overall) gets a
    small weight.

    Started from equal weights and from each feature alone (with few informative features among many noisy
    ones, equal weights let K-means cut the noise and the iteration stays there); the start whose result
    has the lowest W-K-means objective Σ w_j^β D_j wins. Returns (weights, D_j).

    The weight multiplies the normalised feature. A feature whose clusters explain at least 1 − `keep` of its
    variance (D_j ≤ keep) keeps weight 1: re-scaling informative features against each other changed which k
    the criteria chose (measured on the tuning seeds, docs/portraits.md) without improving recovery; only the
    features the clustering cannot explain are damped, by W-K-means' factor w_j^(β/2) relative to the best.
    """
    from .clustering import kmeans

    x = np.asarray(x, dtype=float)
    p = x.shape[1]
    total = ((x - x.mean(axis=0)) ** 2).sum(axis=0)
    live = total > 0
    if p == 1 or len(x) <= k:
        return [1.0] * p, [1.0] * p

    def dispersion(labels: np.ndarray) -> np.ndarray:
        within = np.zeros(p)
        for c in np.unique(labels):
            part = x[labels == c]
            within += ((part - part.mean(axis=0)) ** 2).sum(axis=0)
        return np.where(live, within / np.where(live, total, 1.0), 1.0)

    def update(disp: np.ndarray) -> np.ndarray:
        inv = np.where(live, 1.0 / np.maximum(disp, 1e-9) ** (1.0 / (beta - 1.0)), 0.0)
        return inv / inv.sum() if inv.sum() > 0 else np.full(p, 1.0 / p)

    best: tuple[float, np.ndarray, np.ndarray] | None = None
    starts = [np.full(p, 1.0 / p), *np.eye(p)]
    for w in starts:
        disp = np.ones(p)
        for _ in range(iterations):
            labels = kmeans(x * w ** (beta / 2), k, seed=seed, n_init=n_init, algorithm=algorithm).labels_
            disp = dispersion(labels)
            w = update(disp)
        objective = float((w ** beta * disp).sum())
        if best is None or objective < best[0] - 1e-12:
            best = (objective, w, disp)
    assert best is not None
    _, w, disp = best
    # Multiplying column j by w_j^(β/2) makes plain K-means minimise Σ_j w_j^β × within_j; scaled to max 1.
    mult = w ** (beta / 2)
    mult = np.where(disp <= keep, 1.0, mult / mult.max())
    return [round(float(v), 4) for v in mult], [round(float(d), 4) for d in disp]
