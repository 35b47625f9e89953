"""Training and using the access-trend model (S600–S700, S540–S544). The numbers come from the
database (one GROUP BY per training); the learning itself is in analysis/trend.py."""
from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError

from ..analysis import trend as T
from ..models import Case, TrendModel
from ..selectors import period_counts, period_hours, propagation_indices, settings_get

N_PERIODS = 12


def case_matrices(*, cases: QuerySet[Case], now: datetime | None = None, n_periods: int = N_PERIODS,
                  hours: float | None = None) -> dict[str, Any]:
    """Per-case views/usages over `n_periods` periods of the current length, and the other features."""
    now = now or timezone.now()
    hours = hours or period_hours(now=now)
    period = timedelta(hours=hours)
    rows = period_counts(cases=cases, period=period, n_periods=n_periods, end=now)
    start = now - n_periods * period
    pis = propagation_indices(cases)
    views = np.array([[r[f"v{i}"] for i in range(n_periods)] for r in rows], dtype=float).reshape(len(rows), n_periods)
    uses = np.array([[r[f"u{i}"] for i in range(n_periods)] for r in rows], dtype=float).reshape(len(rows), n_periods)
    first = np.array([max(0, math.floor((r["created_at"] - start) / period)) for r in rows], dtype=int)
    return {
        "pks": [r["pk"] for r in rows], "views": views, "uses": uses, "first": first,
        "chapter": np.array([T.chapter_value(r["chapter"]) for r in rows], dtype=float),
        "prop": np.array([pis.get(r["pk"], 0.0) for r in rows], dtype=float), "hours": hours,
    }


def _next_version() -> int:
    return (TrendModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1


def trend_model_train(*, now: datetime | None = None, seed: int = 0, n_periods: int = N_PERIODS) -> TrendModel:
    """Train a new model to convergence on every current case. Raises ApplicationError with too little data."""
    m = case_matrices(cases=Case.objects.current(), now=now, n_periods=n_periods)
    x, y, baseline, _idx = T.build_samples(m["views"], m["uses"], m["chapter"], m["first"], m["prop"])
    if len(x) < 10:
        raise ApplicationError(_("Not enough access history to train (need at least 10 case-periods)."))
    bundle, metrics = T.train_full(x, y, baseline, seed=seed)
    with transaction.atomic():
        return TrendModel.objects.create(
            version=_next_version(), kind=TrendModel.Kind.FULL, n_train=metrics["n_train"],
            n_holdout=metrics["n_holdout"], period_hours=m["hours"], metrics=metrics,
            params={"features": T.FEATURES, "window": T.WINDOW, "n_periods": n_periods, "seed": seed,
                    "hidden": [32, 16], "solver": "adam"},
            blob=bundle.dumps())


def latest_model() -> TrendModel | None:
    return TrendModel.objects.filter(is_active=True).order_by("-version").first()


def trend_model_train_incremental(*, now: datetime | None = None, seed: int = 0,
                                  n_periods: int = N_PERIODS) -> TrendModel:
    """S541–S544: the cases whose propagation index ≥ the preset are the new training set; the newest
    model learns them with partial_fit plus a replay sample. Raises ApplicationError without a base
    model or without such cases."""
    base = latest_model()
    if base is None:
        raise ApplicationError(_("Train a model first."))
    preset = settings_get().propagation_preset
    m = case_matrices(cases=Case.objects.current(), now=now, n_periods=n_periods)
    selected = m["prop"] >= preset
    if not selected.any():
        raise ApplicationError(_("No case has a propagation index at or above the preset."))
    x, y, _b, _idx = T.build_samples(m["views"][selected], m["uses"][selected], m["chapter"][selected],
                                      m["first"][selected], m["prop"][selected])
    if len(x) == 0:
        raise ApplicationError(_("The selected cases have no complete period yet."))
    bundle, metrics = T.train_incremental(T.Bundle.loads(base.blob), x, y,
                                          replay_fraction=settings_get().replay_fraction, seed=seed)
    metrics.update({"propagation_preset": preset, "cases_selected": int(selected.sum())})
    with transaction.atomic():
        return TrendModel.objects.create(
            version=_next_version(), kind=TrendModel.Kind.INCREMENTAL, parent=base, n_train=metrics["n_new"],
            n_holdout=base.n_holdout, period_hours=m["hours"], metrics=metrics,
            params={**base.params, "replay_fraction": settings_get().replay_fraction}, blob=bundle.dumps())


def predict(*, model: TrendModel, matrices: dict[str, Any]) -> dict[int, float]:
    """S700 / S550: predicted trend index of the coming period per case pk."""
    if not matrices["pks"]:
        return {}
    x = T.latest_features(matrices["views"], matrices["uses"], matrices["chapter"], matrices["first"],
                          matrices["prop"])
    pred = T.Bundle.loads(model.blob).predict(x)
    return {pk: float(v) for pk, v in zip(matrices["pks"], pred, strict=True)}
