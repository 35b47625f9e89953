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
