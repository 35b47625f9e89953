"""The access-trend model: trains to convergence, beats/compares with the last-period baseline, predicts,
learns incrementally with replay and reports the new-data and old-hold-out losses before and after."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from core.errors import ApplicationError
from rarecases.analysis import trend as T
from rarecases.models import Case, CaseEvent, EventKind, RarecasesSettings, TrendModel
from rarecases.selectors import period_length
from rarecases.services import trend_model_train, trend_model_train_incremental
from rarecases.services.trend import case_matrices, predict


def synth(n: int, periods: int, seed: int, boost: float = 1.0, prop_shift: float = 0.0):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    base = rng.gamma(2.0, 2.0, n) * boost
    growth = rng.normal(0, 0.15, n)
    lam = base[:, None] * np.exp(growth[:, None] * np.arange(periods)[None, :])
    views, uses = rng.poisson(lam), rng.poisson(lam * 0.3)
    first = rng.integers(0, 3, n)
    for i in range(n):
        views[i, :first[i]] = 0
        uses[i, :first[i]] = 0
    return views, uses, rng.integers(0, 26, n) / 25, first, rng.gamma(1.0, 1.0, n) + prop_shift


def test_trend_index_and_samples_are_hand_checkable() -> None:
    views = np.array([[1, 2, 3], [0, 4, 0]])
    uses = np.array([[0, 1, 0], [0, 0, 1]])
    x, y, baseline, idx = T.build_samples(views, uses, np.array([0.0, 1.0]), np.array([0, 1]), np.array([0.5, 2.0]))
    # Case 0 at t=0 and t=1; case 1 starts at period 1, so only t=1.
    assert list(idx) == [0, 0, 1]
    assert np.allclose(y, np.log1p([2 + 2, 3 + 0, 0 + 2]))
    assert np.allclose(baseline, np.log1p([1, 2 + 2, 4]))
    assert np.allclose(x[1], [1.5, 0.5, 2, 1, 0.0, 1, 0.5])  # avg views, avg uses, last views, last uses, ...


def test_period_shrinks_as_traffic_grows() -> None:
    assert period_length(base=168, minimum=1, reference=1000, traffic=10) == 168
    assert period_length(base=168, minimum=1, reference=1000, traffic=2000) == 84
    assert period_length(base=168, minimum=1, reference=1000, traffic=10**7) == 1


def test_train_converges_reports_baseline_and_learns_incrementally_with_replay() -> None:
    x, y, b, _ = T.build_samples(*synth(150, 10, seed=1))
    bundle, m = T.train_full(x, y, b, seed=0)
    assert m["converged"] is True
    assert m["epochs"] < 1000
    assert m["n_train"] + m["n_holdout"] == len(x)
    assert m["holdout_mse"] < m["baseline_mse"]  # the network beats "same as last period" here
    x2, y2, _b2, _ = T.build_samples(*synth(40, 10, seed=2, boost=4.0, prop_shift=5.0))
    updated, inc = T.train_incremental(bundle, x2, y2, replay_fraction=1.0, seed=0)
    assert inc["n_new"] == len(x2)
    assert inc["n_replay"] == len(x2)
    assert inc["new_mse_after"] < inc["new_mse_before"]
    assert inc["old_holdout_mse_before"] == pytest.approx(m["holdout_mse"])
    # Replay keeps old knowledge better than a plain partial_fit on the new data alone.
    assert inc["old_holdout_mse_after"] < inc["no_replay_old_holdout_mse_after"]
    assert updated.predict(x2[:3]).shape == (3,)
    assert T.Bundle.loads(updated.dumps()).predict(x2[:3]) == pytest.approx(updated.predict(x2[:3]))


@pytest.mark.django_db
def test_train_and_incremental_from_database_events() -> None:
    RarecasesSettings.objects.create(pk=1, base_period_hours=24, propagation_preset=3.0)
    now = timezone.now()
    rng = np.random.default_rng(0)
    events = []
    for i in range(30):
        case = Case.objects.create(origin="platform-local", title=f"c{i}", age_band="0-4", sex="male",
                                   codes=[], chapter="EG"[i % 2], created_at=now - timedelta(days=13))
        for day in range(12):
            for _ in range(rng.poisson(1 + i / 10 + day / 4)):
                events.append(CaseEvent(case=case, kind=EventKind.VIEW, at=now - timedelta(days=day, hours=1)))
            if i % 5 == 0 and day % 3 == 0:
                events.append(CaseEvent(case=case, kind=EventKind.CITE, at=now - timedelta(days=day, hours=2),
                                        target_node=f"appointment:{day}"))
    CaseEvent.objects.bulk_create(events)
    with pytest.raises(ApplicationError):
        trend_model_train_incremental(now=now)  # no base model yet
    model = trend_model_train(now=now)
    assert (model.version, model.kind, model.period_hours) == (1, "full", 24)
    assert model.n_train + model.n_holdout == 30 * 11
    assert {"holdout_mse", "baseline_mse", "converged"} <= set(model.metrics)
    second = trend_model_train_incremental(now=now)
    # Cases 0, 5, 10, … have 4 citations at depth 0: PI = 4·2 + 4 nodes = 12 ≥ 3; the others 0.
    assert second.metrics["cases_selected"] == 6
    assert second.parent == model
    assert second.version == 2
    assert {"new_mse_before", "new_mse_after", "old_holdout_mse_before", "old_holdout_mse_after"} <= set(
        second.metrics)
    preds = predict(model=second, matrices=case_matrices(cases=Case.objects.all(), now=now))
    assert len(preds) == 30
    assert all(np.isfinite(list(preds.values())))
    assert TrendModel.objects.count() == 2


def test_training_a_small_set_does_not_warn_about_a_clipped_batch() -> None:
    """seed_demo trains on a few dozen samples: the batch must fit the early-stopping split (no UserWarning)."""
    import warnings

    rng = np.random.default_rng(3)
    x = rng.random((30, 4))
    y = x.sum(axis=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bundle, metrics = T.train_full(x, y, baseline=y, max_iter=50)
    assert [str(w.message) for w in caught if "batch_size" in str(w.message)] == []
    assert metrics["n_train"] == 30 - 6
