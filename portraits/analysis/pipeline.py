"""The whole analysis of one run, as a pure function: cleaned features in, everything a run stores out."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

from . import cleaning, clustering, weighting
from .spec import ALL_DIMENSION, Spec

DEFAULT_PARAMS: dict[str, Any] = {
    "k": 5,                    # the paper's k; "auto" = clustering.decide_k (five criteria, stability first)
    "k_range": [2, 10],
    "n_init": 10,              # the final fit (and the preliminary one that gives the information gains)
    "curve_n_init": 3,         # each k of the selection curves
    "stability_n_init": 1,     # stability = agreement of single K-means runs from different seeds
    "algorithm": "lloyd",
    "seed": 42,
    "stability_seeds": 10,
    "sample_size": 2000,       # silhouette and Dunn are O(n²): computed on at most this many rows
    "iqr_factor": 1.5,
    # 1.5 × IQR capping applies to continuous features only: on zero-inflated monthly counts it erases
    # whole clusters (failed courses: Q1 = 0, Q3 = 1 → cap 2.5 merges "poor" 3.7 and "very poor" 8.2).
    "capped": ["wavg_score", "consumption_frequency", "single_amount", "online_days"],
    "threads": 1,              # BLAS/OpenMP threads: small K-means fits are much slower with more on 2 cores
    "median_by": "grade",      # "cohort-specific medians" (§3.3): the median within the student's grade
    "gap_references": 10,      # uniform reference data sets of the gap statistic, per k
    "stability_pairs": 10,     # pairs of 80 % subsamples per k (resampling stability)
    "stability_fraction": 0.8,
    "stability_floor": 0.9,    # a k less stable than this is not chosen by "auto"
    # "wkmeans" (default, issue 21), "entropy_gain" (the paper's, kept for comparison) or "none".
    "weighting": "wkmeans",
    "wkmeans_beta": 3.0,
    "wkmeans_keep": 0.5,       # features whose within-cluster share of variance is at most this keep weight 1
    "gain_threshold": 0.2,
    "low_weight": 0.5,
    "gain_bins": 10,
    "fairness_gap": 0.15,
    "fairness_min_group": 20,
}

Progress = Callable[[int, str], None]
Fit = Callable[..., Any]


def _noop(_pct: int, _stage: str) -> None:
    return None


def analyse_dimension(
    raw: pd.DataFrame, xn_all: pd.DataFrame, features: dict[str, int], levels: list[str] | None,
    params: dict[str, Any], fit: Fit | None = None,
) -> dict[str, Any]:
    """Weights, k curves, final K-means, stability, ANOVA, centroids and labels of one dimension. `fit` replaces
    the final K-means fit (the Spark engine's `pyspark.ml` K-means, portraits/spark_engine.py); it takes and
    returns what `clustering.kmeans` does (an object with `labels_` and `inertia_`)."""
    names = list(features)
    dirs = [features[f] for f in names]
    xn = xn_all[names].to_numpy(dtype=float)
    seed, n_init, algo = int(params["seed"]), int(params["n_init"]), str(params["algorithm"])
    k_fixed = params["k"]
    k_pre = 5 if k_fixed == "auto" else int(k_fixed)
    k_pre = max(1, min(k_pre, len(xn)))
    # Information gain needs a target; the preliminary, unweighted clustering provides it (docs/portraits.md).
    pre = clustering.kmeans(xn, k_pre, seed=seed, n_init=n_init, algorithm=algo).labels_
    gains = [weighting.information_gain(xn[:, j], pre, bins=int(params["gain_bins"])) for j in range(len(names))]
    method = str(params.get("weighting", "wkmeans"))
    dispersion: list[float] | None = None
    if method == "wkmeans":
        weights, dispersion = weighting.wkmeans_weights(xn, k_pre, beta=float(params["wkmeans_beta"]), seed=seed,
                                                        n_init=int(params["curve_n_init"]), algorithm=algo,
                                                        keep=float(params["wkmeans_keep"]))
    elif method == "entropy_gain":
        weights = weighting.gain_weights(gains, threshold=float(params["gain_threshold"]),
                                         low_weight=float(params["low_weight"]))
    else:
        weights = [1.0] * len(names)
    xw = xn * np.asarray(weights)
    lo, hi = params["k_range"]
    curve = clustering.k_curves(xw, ks=range(int(lo), int(hi) + 1), seed=seed, n_init=int(params["curve_n_init"]),
                                algorithm=algo, sample_size=int(params["sample_size"]),
                                gap_references=int(params["gap_references"]),
                                stability_pairs=int(params["stability_pairs"]),
                                stability_fraction=float(params["stability_fraction"]))
    decision = (clustering.decide_k(curve, stability_floor=float(params["stability_floor"]),
                                    asked=None if k_fixed == "auto" else k_pre) if len(curve["k"]) >= 2 else {})
    k = int(decision.get("k", k_pre)) if k_fixed == "auto" else k_pre
    model = (fit or clustering.kmeans)(xw, k, seed=seed, n_init=n_init, algorithm=algo)
    # The weights' effect: how far the weighted partition is from plain K-means on the same features and k.
    plain = model.labels_ if all(w == 1.0 for w in weights) else clustering.kmeans(
        xn, k, seed=seed, n_init=n_init, algorithm=algo).labels_
    lab = model.labels_
    centroid_n = np.vstack([xn[lab == c].mean(axis=0) for c in range(k)])
    if levels is not None:
        mapping = clustering.order_labels(centroid_n, dirs, weights, levels)
    else:
        # Portrait types have no names: number them 1..k, best oriented centroid first (stable across runs).
        order = np.argsort(-clustering.oriented(centroid_n, dirs, weights), kind="stable")
        mapping = {int(c): f"type{rank + 1}" for rank, c in enumerate(order)}
    raw_values = raw[names].to_numpy(dtype=float)
    centroids = [
        {"cluster": c, "label": mapping[c], "size": int((lab == c).sum()),
         "raw": dict(zip(names, raw_values[lab == c].mean(axis=0).round(4).tolist(), strict=True)),
         "normalised": dict(zip(names, centroid_n[c].round(4).tolist(), strict=True))}
        for c in range(k)
    ]
    label_rank = {lv: i for i, lv in enumerate(levels or sorted(set(mapping.values())))}
    centroids.sort(key=lambda row: (label_rank.get(row["label"], 99), row["cluster"]))
    return {
        "features": names,
        "directions": dirs,
        "gains": [round(g, 4) for g in gains],
        "weights": weights,
        "weighting": {"method": method, "dispersion": dispersion,
                      "ari_vs_unweighted": round(float(adjusted_rand_score(plain, lab)), 4)},
        "curve": curve,
        "k_picks": decision.get("picks", {}),
        "k_decision": {k_: v for k_, v in decision.items() if k_ != "picks"},
        "k": k,
        "inertia": float(model.inertia_),
        "stability": clustering.stability(xw, k, lab, seeds=int(params["stability_seeds"]),
                                          n_init=int(params["stability_n_init"]), algorithm=algo),
        "anova": clustering.anova(raw_values, lab, names),
        "centroids": centroids,
        "cluster_ids": lab,
        "labels": np.array([mapping[int(c)] for c in lab], dtype=object),
        "scores": clustering.oriented(xn, dirs, weights),
    }


def fairness(frame: pd.DataFrame, labels: dict[str, np.ndarray], *, by: list[str], gap: float,
             min_group: int) -> dict[str, Any]:
    """Label shares per group (gender, province) against the whole cohort; a share that differs from the
    cohort's by more than `gap` in a group of at least `min_group` subjects is flagged."""
    out: dict[str, Any] = {}
    for column in by:
        if column not in frame.columns:
            continue
        groups = frame[column].astype(str).to_numpy()
        per_dim: dict[str, Any] = {}
        for dim, lab in labels.items():
            overall = pd.Series(lab).value_counts(normalize=True)
            rows = []
            for g in sorted(set(groups)):
                mask = groups == g
                n = int(mask.sum())
                shares = pd.Series(lab[mask]).value_counts(normalize=True)
                for level in overall.index:
                    share, base = float(shares.get(level, 0.0)), float(overall[level])
                    flagged = n >= min_group and abs(share - base) > gap
                    rows.append({"group": g, "n": n, "label": level, "share": round(share, 4),
                                 "cohort": round(base, 4), "gap": round(share - base, 4), "flagged": flagged})
            per_dim[dim] = rows
        out[column] = per_dim
    return out


def run_pipeline(frame: pd.DataFrame, *, spec: Spec, params: dict[str, Any] | None = None,
                 progress: Progress = _noop, fit: Fit | None = None) -> dict[str, Any]:
    """Clean → normalise → weight → cluster each dimension and all together → labels, scores, explanations.

    `frame` has one row per subject: the spec's feature columns (NaN = missing) and categorical columns.
    """
    p = {**DEFAULT_PARAMS, **(params or {})}
    with threadpool_limits(int(p["threads"])):
        return _run(frame, spec, p, progress, fit)


def _run(frame: pd.DataFrame, spec: Spec, p: dict[str, Any], progress: Progress,
         fit: Fit | None = None) -> dict[str, Any]:
    progress(5, "cleaning")
    cats = [c for c in spec.categorical if c in frame.columns]
    median_by = p["median_by"] if p["median_by"] in frame.columns else None
    cleaned, report = cleaning.clean(frame, numeric=spec.features, categorical=cats,
                                     iqr_factor=float(p["iqr_factor"]), median_by=median_by,
                                     capped=[c for c in p["capped"] if c in spec.features])
    progress(15, "normalising")
    xn_arr, lo, hi = weighting.minmax(cleaned[spec.features].to_numpy(dtype=float))
    xn = pd.DataFrame(xn_arr, columns=spec.features, index=cleaned.index)
    dims: dict[str, Any] = {}
    todo = [*spec.dimensions.items(), (ALL_DIMENSION, spec.all_features)]
    for i, (dim, feats) in enumerate(todo):
        progress(20 + int(70 * i / len(todo)), f"clustering:{dim}")
        dims[dim] = analyse_dimension(cleaned, xn, feats, spec.labels.get(dim), p, fit)
    progress(92, "explaining")
    percentiles = (cleaned[spec.features].rank(pct=True) * 100).round(0)
    labels = {d: dims[d]["labels"] for d in spec.dimensions}
    fair = fairness(cleaned, labels, by=["gender", "province"], gap=float(p["fairness_gap"]),
                    min_group=int(p["fairness_min_group"]))
    return {
        "params": p,
        "cleaning": report,
        "normalisation": {"min": dict(zip(spec.features, lo.tolist(), strict=True)),
                          "max": dict(zip(spec.features, hi.tolist(), strict=True))},
        "dimensions": dims,
        "cleaned": cleaned,
        "percentiles": percentiles,
        "fairness": fair,
    }
