"""Access-trend model (S600–S700) and incremental learning (S540–S544): pure functions, no ORM.

Inputs are per-case count matrices `views[n_cases, T]` and `uses[n_cases, T]` over T equal periods
(oldest first), plus per-case category, age and propagation index. One training sample is a case at
period t: features of periods ≤ t, target = the trend index of period t+1.

trend index = log1p(views + 2 × usages) of a period (usages weigh double: a citation or download says
more about a case's value than a click).
"""
from __future__ import annotations

import io
import pickle
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # scikit-learn is imported where it is used: web processes that never train stay light
    from sklearn.neural_network import MLPRegressor
    from sklearn.preprocessing import StandardScaler

FEATURES = ["avg_views", "avg_uses", "last_views", "last_uses", "chapter", "age_periods", "propagation"]
WINDOW = 3


def trend_index(views: np.ndarray, uses: np.ndarray) -> np.ndarray:
    return np.log1p(np.asarray(views, dtype=float) + 2.0 * np.asarray(uses, dtype=float))


def chapter_value(code: str) -> float:
    """ICD-10 chapter letter as a number in [0, 1] (A=0 … Z=1): an ordinal stand-in that partial_fit can
    take without a vocabulary that might grow (one-hot columns cannot be added to a fitted network)."""
    c = (code or "A")[:1].upper()
    return (ord(c) - ord("A")) / 25.0 if "A" <= c <= "Z" else 0.5


def _features_at(views: np.ndarray, uses: np.ndarray, t: int, chapter: np.ndarray, first_period: np.ndarray,
                 prop: np.ndarray) -> np.ndarray:
    lo = max(0, t - WINDOW + 1)
    return np.column_stack([
        views[:, lo:t + 1].mean(axis=1), uses[:, lo:t + 1].mean(axis=1), views[:, t], uses[:, t],
        chapter, np.maximum(0, t - first_period), prop,
    ])


def build_samples(views: np.ndarray, uses: np.ndarray, chapter: np.ndarray, first_period: np.ndarray,
                  prop: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X, y, baseline, case_index) over every case and period t with a next period t+1, from the
    case's first period on. `baseline` is the last-period predictor: the trend index of period t."""
    views, uses = np.asarray(views, float), np.asarray(uses, float)
    n, periods = views.shape
    xs, ys, bs, idx = [], [], [], []
    for t in range(periods - 1):
        live = first_period <= t
        if not live.any():
            continue
        x = _features_at(views, uses, t, chapter, first_period, prop)[live]
        xs.append(x)
        ys.append(trend_index(views[live, t + 1], uses[live, t + 1]))
        bs.append(trend_index(views[live, t], uses[live, t]))
        idx.append(np.flatnonzero(live))
    if not xs:
        empty = np.empty((0, len(FEATURES)))
        return empty, np.empty(0), np.empty(0), np.empty(0, dtype=int)
    return np.vstack(xs), np.concatenate(ys), np.concatenate(bs), np.concatenate(idx)


def latest_features(views: np.ndarray, uses: np.ndarray, chapter: np.ndarray, first_period: np.ndarray,
                    prop: np.ndarray) -> np.ndarray:
    """Features at the newest complete period, to predict the coming one (S700)."""
    views, uses = np.asarray(views, float), np.asarray(uses, float)
    return _features_at(views, uses, views.shape[1] - 1, chapter, first_period, prop)


@dataclass
class Bundle:
    """What a TrendModel row stores: the network, its scaler, the original hold-out and a replay sample."""

    model: MLPRegressor
    scaler: StandardScaler
    holdout_x: np.ndarray
    holdout_y: np.ndarray
    replay_x: np.ndarray
    replay_y: np.ndarray
    history: list[dict[str, Any]] = field(default_factory=list)

    def predict(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return np.empty(0)
        return self.model.predict(self.scaler.transform(x))

    def dumps(self) -> bytes:
        buf = io.BytesIO()
        pickle.dump(self, buf, protocol=pickle.HIGHEST_PROTOCOL)
        return buf.getvalue()

    @staticmethod
    def loads(blob: bytes) -> Bundle:
        # Only ever blobs this application wrote itself (TrendModel.blob is not editable anywhere).
        return pickle.loads(bytes(blob))  # noqa: S301


def _mse(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((np.asarray(y) - np.asarray(p)) ** 2)) if len(y) else float("nan")


def _mae(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(y) - np.asarray(p)))) if len(y) else float("nan")


def train_full(x: np.ndarray, y: np.ndarray, baseline: np.ndarray, *, seed: int = 0, holdout: float = 0.2,
               max_iter: int = 1000, replay_size: int = 2000) -> tuple[Bundle, dict[str, Any]]:
    """Train to convergence (S630): adam until the validation loss stops improving by `tol` for 20
    epochs. Returns the bundle and metrics on a held-out split, beside the last-period baseline."""
    if len(x) < 10:
        raise ValueError("at least 10 samples are needed to train")
    from sklearn.neural_network import MLPRegressor
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    n_ho = max(2, int(round(len(x) * holdout)))
    ho, tr = order[:n_ho], order[n_ho:]
    scaler = StandardScaler()
    # Fitted in chunks with partial_fit, exactly as later increments update it.
    for chunk in np.array_split(x[tr], max(1, len(tr) // 500)):
        scaler.partial_fit(chunk)
    # Converged = the validation loss (10 % of the training split) stopped improving by `tol` for 20
    # epochs; that stops before the network memorises Poisson noise (it did without: worse than baseline).
    # Early stopping fits on the training split less its validation tenth (sklearn keeps ceil(10 %) aside): a
    # batch larger than that is clipped with a UserWarning (seen by every newcomer running seed_demo).
    n_fit = len(tr) - int(np.ceil(len(tr) * 0.1))
    model = MLPRegressor(hidden_layer_sizes=(32, 16), activation="relu", solver="adam", learning_rate_init=1e-3,
                         alpha=1e-3, batch_size=max(1, min(64, n_fit)), max_iter=max_iter, tol=1e-5, n_iter_no_change=20,
                         early_stopping=True, validation_fraction=0.1, random_state=seed)
    model.fit(scaler.transform(x[tr]), y[tr])
    # partial_fit (incremental learning) refuses early stopping and needs a training-loss reference.
    model.set_params(early_stopping=False)
    model.best_loss_ = float(model.loss_)
    pick = rng.choice(tr, size=min(replay_size, len(tr)), replace=False)
    bundle = Bundle(model=model, scaler=scaler, holdout_x=x[ho], holdout_y=y[ho], replay_x=x[pick], replay_y=y[pick])
    pred = bundle.predict(x[ho])
    metrics = {
        "n_train": int(len(tr)), "n_holdout": int(n_ho),
        "holdout_mse": _mse(y[ho], pred), "holdout_mae": _mae(y[ho], pred),
        "baseline_mse": _mse(y[ho], baseline[ho]), "baseline_mae": _mae(y[ho], baseline[ho]),
        "train_mse": _mse(y[tr], bundle.predict(x[tr])),
        "epochs": int(model.n_iter_), "converged": bool(model.n_iter_ < max_iter),
        "final_loss": float(model.loss_), "best_validation_score": float(model.best_validation_score_),
    }
    bundle.history.append({"kind": "full", **metrics})
    return bundle, metrics


def train_incremental(bundle: Bundle, x_new: np.ndarray, y_new: np.ndarray, *, replay_fraction: float = 1.0,
                      epochs: int = 30, seed: int = 0) -> tuple[Bundle, dict[str, Any]]:
    """S540–S544: continue training on new samples with partial_fit, mixing in a replay sample of earlier
    training data (`replay_fraction` × len(new) rows) so the old knowledge is kept.

    Reports the loss on the new data and on the original hold-out before and after, and — for
    comparison, on a throw-away copy — what a plain partial_fit on the new data alone does to the old
    hold-out (forgetting made visible). The scaler is updated incrementally with the new data.
    """
    if len(x_new) == 0:
        raise ValueError("no new samples")
    rng = np.random.default_rng(seed)
    new_before = _mse(y_new, bundle.predict(x_new))
    old_before = _mse(bundle.holdout_y, bundle.predict(bundle.holdout_x))

    naive = pickle.loads(pickle.dumps(bundle))  # noqa: S301 - an in-memory copy
    _fit_epochs(naive, x_new, y_new, epochs, rng)

    updated = pickle.loads(pickle.dumps(bundle))  # noqa: S301
    updated.scaler.partial_fit(x_new)
    n_replay = min(len(updated.replay_x), int(round(replay_fraction * len(x_new))))
    if n_replay:
        pick = rng.choice(len(updated.replay_x), size=n_replay, replace=False)
        x_mix = np.vstack([x_new, updated.replay_x[pick]])
        y_mix = np.concatenate([y_new, updated.replay_y[pick]])
    else:
        x_mix, y_mix = x_new, y_new
    _fit_epochs(updated, x_mix, y_mix, epochs, rng)
    # The new data joins the replay pool (bounded) so later increments remember it too.
    pool_x = np.vstack([updated.replay_x, x_new])
    pool_y = np.concatenate([updated.replay_y, y_new])
    keep = rng.choice(len(pool_x), size=min(len(pool_x), max(2000, len(bundle.replay_x))), replace=False)
    updated.replay_x, updated.replay_y = pool_x[keep], pool_y[keep]
    metrics = {
        "n_new": int(len(x_new)), "n_replay": int(n_replay), "epochs": epochs,
        "new_mse_before": new_before, "new_mse_after": _mse(y_new, updated.predict(x_new)),
        "old_holdout_mse_before": old_before,
        "old_holdout_mse_after": _mse(updated.holdout_y, updated.predict(updated.holdout_x)),
        "no_replay_old_holdout_mse_after": _mse(naive.holdout_y, naive.predict(naive.holdout_x)),
        "no_replay_new_mse_after": _mse(y_new, naive.predict(x_new)),
    }
    updated.history.append({"kind": "incremental", **metrics})
    return updated, metrics


def _fit_epochs(bundle: Bundle, x: np.ndarray, y: np.ndarray, epochs: int, rng: np.random.Generator) -> None:
    xs = bundle.scaler.transform(x)
    for _ in range(epochs):
        order = rng.permutation(len(xs))
        for chunk in np.array_split(order, max(1, len(order) // 64)):
            bundle.model.partial_fit(xs[chunk], y[chunk])
