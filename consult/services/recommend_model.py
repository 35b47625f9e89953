"""Training the doctor-recommendation model: implicit feedback → TruncatedSVD → each patient's top doctors.

Why TruncatedSVD (scikit-learn) and not `implicit` ALS: bench/recommend.py measures it against a popularity
baseline on planted histories (NDCG@5 5.9–6.1× the baseline, training about 1 s for 100 k patients × 2 k
doctors; docs/benchmarks.md) — well past the goal, with a library we already ship and no compiled extension.

Implicit feedback per (patient, doctor): a booking that was not cancelled 1, a completed visit +1, a follow-up
booking +1, a rating of 4–5 stars +1 (1–2 stars −1, floored at 0); log1p of the sum (repeated contact counts,
with diminishing weight). Doctor-profile views are not logged anywhere, so they are not a signal (said plainly:
adding them would need a view log). The output for each patient is the model's best doctors they have NOT seen,
scored 0–1 within the patient's list; consult.selectors.recommend blends it with need, rating and availability.
Runs nightly (consult.tasks.recommender_train) and by `manage.py recommend_train`."""
from __future__ import annotations

import time
from collections import defaultdict

import numpy as np
from django.db import transaction
from django.db.models import Count, Q

from ..models import Appointment, AppointmentStatus, DoctorAffinity, Rating, RecommenderRun

TOP_N = 20
# bench/recommend.py measured 48 components at 100 k × 2 k; a small platform gets a lower rank (about the square
# root of the smaller side): near full rank the factorisation reproduces what was seen and predicts nothing.
MAX_COMPONENTS = 48


def interactions() -> dict[tuple[int, int], float]:
    """The implicit-feedback weight of every (patient, doctor) pair."""
    weights: dict[tuple[int, int], float] = defaultdict(float)
    rows = (Appointment.objects.exclude(status=AppointmentStatus.CANCELLED).values("patient_id", "doctor_id")
            .annotate(n=Count("id"), done=Count("id", filter=Q(status=AppointmentStatus.COMPLETED)),
                      follow=Count("id", filter=Q(follow_up_of__isnull=False))))
    for r in rows:
        weights[(r["patient_id"], r["doctor_id"])] += r["n"] + r["done"] + r["follow"]
    for r in Rating.objects.values("patient_id", "doctor_id", "stars"):
        key = (r["patient_id"], r["doctor_id"])
        weights[key] = max(0.0, weights[key] + (1 if r["stars"] >= 4 else -1 if r["stars"] <= 2 else 0))
    return {k: v for k, v in weights.items() if v > 0}


def recommender_train(*, top_n: int = TOP_N, seed: int = 7) -> RecommenderRun:
    """Train on every interaction and replace the current affinities in one transaction. With fewer than two
    patients or doctors there is nothing to factorise: the run is recorded with no affinities (the selector then
    falls back to co-visitation and the cold-start rules)."""
    from scipy.sparse import csr_matrix
    from sklearn.decomposition import TruncatedSVD

    started = time.perf_counter()
    weights = interactions()
    patients = sorted({p for p, _d in weights})
    doctors = sorted({d for _p, d in weights})
    run = RecommenderRun(patients=len(patients), doctors=len(doctors), interactions=len(weights))
    rows: list[DoctorAffinity] = []
    if len(patients) >= 2 and len(doctors) >= 2:
        pi = {p: i for i, p in enumerate(patients)}
        di = {d: j for j, d in enumerate(doctors)}
        keys = list(weights)
        X = csr_matrix((np.log1p([weights[k] for k in keys]), ([pi[p] for p, _ in keys], [di[d] for _, d in keys])),
                       shape=(len(patients), len(doctors)))
        k = max(1, min(MAX_COMPONENTS, int(min(X.shape) ** 0.5), min(X.shape) - 1))
        svd = TruncatedSVD(n_components=k, algorithm="randomized", n_iter=5, random_state=seed)
        user_factors = svd.fit_transform(X)
        scores = user_factors @ svd.components_
        scores[X.nonzero()] = -np.inf  # already seen: not a discovery (the selector names those separately)
        run.components = k
        for i, patient_id in enumerate(patients):
            row = scores[i]
            best = np.argsort(-row)[:top_n]
            best = [j for j in best if np.isfinite(row[j]) and row[j] > 0]
            if not best:
                continue
            top = row[best[0]]
            rows.extend(DoctorAffinity(patient_id=patient_id, doctor_id=doctors[j], score=float(row[j] / top))
                        for j in best)
    run.seconds = time.perf_counter() - started
    with transaction.atomic():
        previous = list(RecommenderRun.objects.select_for_update().filter(is_current=True))
        RecommenderRun.objects.filter(pk__in=[r.pk for r in previous]).update(is_current=False)
        run.is_current = True
        run.save()
        for r in rows:
            r.run = run
        DoctorAffinity.objects.bulk_create(rows, batch_size=2000)
        # Older runs' rows are dropped with them; the last three runs are kept for comparison.
        old = RecommenderRun.objects.filter(is_current=False).order_by("-trained_at").values_list("pk", flat=True)[3:]
        RecommenderRun.objects.filter(pk__in=list(old)).delete()
    return run
