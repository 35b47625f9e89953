"""Doctor recommendation: scikit-learn TruncatedSVD on implicit feedback against a popularity baseline, same run.

Synthetic histories with planted preferences (no real data):
- communities: every patient belongs to one of C communities; each community shares a pool of doctors;
- chronic patients (30 %) return to "their" doctor again and again;
- popularity skew: within a pool, doctors are drawn with Zipf-like weights, and 15 % of visits go to a
  globally popular doctor regardless of community.
Time-ordered split: each patient's last 2 visits (in time) are the test set; the model sees only the earlier ones.
Metrics over patients with at least one training visit: precision@5 and NDCG@5 (binary relevance, the held-out
doctors), and the training time of the model.

Run:  /work/main/.venv/bin/python bench/recommend.py [--patients 100000 --doctors 2000 --eval 20000]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.decomposition import TruncatedSVD


def synthesise(n_patients: int, n_doctors: int, communities: int, rng: np.random.Generator):  # noqa: ANN201
    pools = np.array_split(rng.permutation(n_doctors), communities)
    zipf = [1.0 / np.arange(1, len(p) + 1) ** 1.1 for p in pools]
    zipf = [w / w.sum() for w in zipf]
    glob = 1.0 / np.arange(1, n_doctors + 1) ** 1.2
    glob /= glob.sum()
    global_order = rng.permutation(n_doctors)
    rows, cols, times = [], [], []
    community = rng.integers(0, communities, n_patients)
    visits = rng.integers(3, 12, n_patients)
    chronic = rng.random(n_patients) < 0.3
    for u in range(n_patients):
        pool, w = pools[community[u]], zipf[community[u]]
        own = pool[rng.choice(len(pool), p=w)]
        for t in range(visits[u]):
            r = rng.random()
            if chronic[u] and r < 0.6:
                d = own
            elif r < 0.85:
                d = pool[rng.choice(len(pool), p=w)]
            else:
                d = global_order[rng.choice(n_doctors, p=glob)]
            rows.append(u)
            cols.append(d)
            times.append(t)
    return np.array(rows), np.array(cols), np.array(times), visits


def split(rows, cols, times, visits, n_test: int = 2):  # noqa: ANN001, ANN201
    last = visits[rows] - times <= n_test  # the last n_test visits of each patient
    return (rows[~last], cols[~last]), (rows[last], cols[last])


def metrics(scores: np.ndarray, truth: list[set[int]], k: int = 5) -> tuple[float, float]:
    top = np.argpartition(-scores, k, axis=1)[:, :k]
    order = np.take_along_axis(scores, top, axis=1).argsort(axis=1)[:, ::-1]
    top = np.take_along_axis(top, order, axis=1)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    precision, ndcg = [], []
    for ranked, rel in zip(top, truth, strict=True):
        hits = np.array([d in rel for d in ranked], dtype=float)
        precision.append(hits.sum() / k)
        ideal = discounts[: min(len(rel), k)].sum()
        ndcg.append((hits * discounts).sum() / ideal if ideal else 0.0)
    return float(np.mean(precision)), float(np.mean(ndcg))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=100_000)
    ap.add_argument("--doctors", type=int, default=2_000)
    ap.add_argument("--communities", type=int, default=40)
    ap.add_argument("--components", type=int, default=48)
    ap.add_argument("--eval", type=int, default=20_000, help="patients sampled for the metrics")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    t0 = time.perf_counter()
    rows, cols, times, visits = synthesise(a.patients, a.doctors, a.communities, rng)
    t_gen = time.perf_counter() - t0
    (tr_r, tr_c), (te_r, te_c) = split(rows, cols, times, visits)
    X = csr_matrix((np.ones(len(tr_r)), (tr_r, tr_c)), shape=(a.patients, a.doctors))
    X.sum_duplicates()
    X.data = np.log1p(X.data)  # implicit feedback: repeated visits count, with diminishing weight

    t0 = time.perf_counter()
    svd = TruncatedSVD(n_components=a.components, algorithm="randomized", n_iter=5, random_state=a.seed)
    U = svd.fit_transform(X)
    t_train = time.perf_counter() - t0

    truth_all: dict[int, set[int]] = {}
    for u, d in zip(te_r, te_c, strict=True):
        truth_all.setdefault(int(u), set()).add(int(d))
    has_train = np.asarray(X.getnnz(axis=1)).ravel() > 0
    users = np.array([u for u in truth_all if has_train[u]])
    users = rng.choice(users, size=min(a.eval, len(users)), replace=False)
    truth = [truth_all[int(u)] for u in users]

    popularity = np.asarray(X.sum(axis=0)).ravel()
    p_pop, n_pop = metrics(np.tile(popularity, (len(users), 1)), truth)
    p_svd, n_svd = metrics(U[users] @ svd.components_, truth)

    print(f"patients {a.patients}, doctors {a.doctors}, visits {len(rows)} (train {len(tr_r)}, test {len(te_r)}), "
          f"evaluated patients {len(users)}, synthesis {t_gen:.1f} s")
    print(f"popularity     precision@5 {p_pop:.4f}  NDCG@5 {n_pop:.4f}")
    print(f"TruncatedSVD   precision@5 {p_svd:.4f}  NDCG@5 {n_svd:.4f}  (k={a.components}, training {t_train:.2f} s)")
    print(f"ratio SVD / popularity: NDCG@5 {n_svd / n_pop:.2f}x, precision@5 {p_svd / p_pop:.2f}x")


if __name__ == "__main__":
    main()
