"""Over time: label migration between two runs; portrait-type alignment by centroids (never raw ids)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment


def migration_matrix(before: pd.Series, after: pd.Series, levels: list[str]) -> dict[str, Any]:
    """Counts of subjects moving from each label (rows, earlier run) to each label (columns, later run),
    over the subjects present in both; migration rate = share that changed label."""
    both = pd.concat([before.rename("a"), after.rename("b")], axis=1, join="inner")
    table = pd.crosstab(pd.Categorical(both["a"], levels), pd.Categorical(both["b"], levels), dropna=False)
    table = table.reindex(index=levels, columns=levels, fill_value=0)
    n = int(len(both))
    changed = int(n - np.trace(table.to_numpy()))
    return {"levels": levels, "matrix": table.to_numpy().astype(int).tolist(), "n": n,
            "migration_rate": changed / n if n else 0.0}


def align_clusters(centroids_a: np.ndarray, centroids_b: np.ndarray) -> dict[int, int]:
    """Match run B's clusters to run A's by minimum total centroid distance (Hungarian algorithm):
    K-means numbers clusters arbitrarily, so ids are only comparable after this alignment."""
    cost = np.linalg.norm(centroids_a[:, None, :] - centroids_b[None, :, :], axis=2)
    rows, cols = linear_sum_assignment(cost)
    return {int(b): int(a) for a, b in zip(rows, cols, strict=True)}
