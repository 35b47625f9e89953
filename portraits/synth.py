"""Synthetic campus exports in exactly the import schema v1, with planted archetypes (no real people).

Each student gets, per dimension, an archetype = one of the five clusters of the paper's Table 5, drawn
with the shares below; the student's own rates scatter around the archetype centroid (normal, sd = `spread` × the
range of the five centroids) and events are Poisson counts over the year. Missing cells, outliers and exact duplicate rows
are planted on purpose. The truth (archetype label per dimension) goes to truth.csv, which is not part of
the import. Network log-in sessions fill the row budget so the total row count is exactly `records`.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .analysis.spec import LABELS

PAPER_STUDENTS = 1245
PAPER_RECORDS = 1_043_000
YEAR = 2023

# Table 5, best cluster first. Units as in docs/portraits.md: the score is a credit-weighted average, failed
# courses per year, consumption frequency per semester, single amount in yuan, the rest per month.
CENTROIDS = {
    "learning": {"wavg_score": [78.21, 70.34, 65.73, 61.25, 53.49], "failed_courses": [0, 0.15, 0.81, 3.71, 8.16]},
    "economic": {"consumption_frequency": [140.24, 90.15, 60.71, 31.52, 10.15],
                 "single_amount": [8.43, 7.58, 5.54, 4.21, 2.06]},
    "health": {"medical_visits": [0, 0.15, 0.59, 1.48, 2.43], "psych_consultations": [0, 0.06, 0.11, 0.24, 1.52],
               "exercise": [4.17, 2.44, 1.82, 0.15, 0]},
    "interest": {"book_borrowing": [25.23, 13.75, 8.49, 3.06, 0], "volunteer": [1.41, 0.80, 0.25, 0.04, 0]},
}
SHARES = {
    "learning": [0.30, 0.30, 0.20, 0.12, 0.08],
    "economic": [0.25, 0.30, 0.20, 0.15, 0.10],
    "health": [0.25, 0.28, 0.22, 0.15, 0.10],
    "interest": [0.13, 0.22, 0.25, 0.25, 0.15],
}
PROVINCES = ["Shandong", "Henan", "Hebei", "Jiangsu", "Anhui", "Shanxi", "Sichuan", "Guangdong"]
PROVINCE_P = [0.62, 0.08, 0.06, 0.06, 0.05, 0.05, 0.04, 0.04]
COLLEGES = ["Clinical Medicine", "Basic Medicine", "Nursing"]
GRADES = ["2021", "2022"]


def _dates(rng: np.random.Generator, n: int) -> np.ndarray:
    start = np.datetime64(f"{YEAR}-01-01")
    return start + rng.integers(0, 365, size=n).astype("timedelta64[D]")


def _times(rng: np.random.Generator, days: np.ndarray) -> pd.Series:
    minutes = rng.integers(6 * 60, 23 * 60, size=len(days)).astype("timedelta64[m]")
    return pd.Series(days.astype("datetime64[m]") + minutes).dt.strftime("%Y-%m-%d %H:%M")


DISPERSION = 0.5


def _events(rng: np.random.Generator, ids: np.ndarray, rate_year: np.ndarray) -> np.ndarray:
    """Event counts with mean `rate_year` and sd = DISPERSION × √mean: habits (meals, gym, loans) are more
    regular than a Poisson process (whose sd is √mean)."""
    mean = np.maximum(rate_year, 0)
    counts = np.maximum(np.rint(mean + rng.normal(0.0, 1.0, size=len(mean)) * DISPERSION * np.sqrt(mean)), 0)
    return np.repeat(ids, counts.astype(int))


def _with_dupes(rng: np.random.Generator, df: pd.DataFrame, share: float) -> pd.DataFrame:
    n = int(round(len(df) * share))
    if n == 0:
        return df
    return pd.concat([df, df.iloc[rng.choice(len(df), n, replace=False)]], ignore_index=True)


def _blank(rng: np.random.Generator, values: pd.Series, share: float) -> pd.Series:
    out = values.astype(object).copy()
    out[rng.random(len(out)) < share] = ""
    return out


SCORE_DROP_SHARE = 0.06      # students planted with falling exercise and a falling score
COUNSELLING_GAP_SHARE = 0.3  # of the students with counselling sessions: they stopped coming


def _plant_alerts(rng: np.random.Generator, files: dict[str, pd.DataFrame], ids: np.ndarray,
                  rates: dict[str, np.ndarray], learning: np.ndarray) -> dict[str, np.ndarray]:
    """Plant, for every intervention rule (analysis/rules.py, default thresholds), the students it should
    catch, and return them (one boolean per student and rule; written to truth.csv as alert_<rule>).

    - failed_consecutive: the students given at least one failed course in each 2023 semester.
    - exercise_score_drop: SCORE_DROP_SHARE of the students of the three better learning archetypes whose
      exercise rate is below 3.5 a month: their pass scores are raised 12 % in the first semester and lowered
      12 % in the second (the year's mean stays on the archetype, so the learning truth holds; the drop is
      about 21 %), and four in five of their second-half gym visits move to the first half (falling
      exercise). Nobody else's score moves between semesters.
    - counselling_gap: COUNSELLING_GAP_SHARE of the students with sessions have all of them before
      1 October (> 60 days before the year's end); everybody else with sessions has their last one in
      the final 50 days.
    - low_borrowing: a planted loan rate below 2 a month.
    - low_consumption: planted canteen spend (frequency × amount) in the bottom 10 % of the cohort.
    """
    n = len(ids)
    index = {sid: i for i, sid in enumerate(ids)}
    out: dict[str, np.ndarray] = {}
    teaching = files["teaching"]
    owner = teaching["student_no"].map(index).to_numpy()
    score = pd.to_numeric(teaching["score"], errors="coerce").to_numpy()
    second = pd.to_datetime(teaching["exam_date"], format="%Y-%m-%d").dt.month.to_numpy() >= 7
    failed = ~np.isnan(score) & (score < 60)
    first_fail = np.bincount(owner[failed & ~second], minlength=n) > 0
    second_fail = np.bincount(owner[failed & second], minlength=n) > 0
    out["failed_consecutive"] = first_fail & second_fail

    eligible = np.flatnonzero((learning <= 2) & (rates["exercise"] < 3.5))
    drop = np.zeros(n, dtype=bool)
    drop[rng.choice(eligible, size=min(len(eligible), int(round(SCORE_DROP_SHARE * n))), replace=False)] = True
    passed = ~np.isnan(score) & (score >= 60) & drop[owner]
    factor = np.where(second, 0.88, 1.12)
    new = np.where(passed, np.clip(score * factor, 60, 100).round(1), score)
    teaching["score"] = np.where(np.isnan(score), "", pd.Series(new).astype(str).to_numpy())
    gym = files["exercise"]
    who = gym["student_no"].map(index).to_numpy()
    when = pd.to_datetime(gym["entered_at"], format="%Y-%m-%d %H:%M")
    move = drop[who] & (when.dt.month >= 7).to_numpy() & (rng.random(len(gym)) < 0.8)
    gym.loc[move, "entered_at"] = (when[move] - pd.Timedelta(days=182)).dt.strftime("%Y-%m-%d %H:%M")
    out["exercise_score_drop"] = drop

    sessions = files["counselling"]
    who = sessions["student_no"].map(index).to_numpy()
    has = np.bincount(who, minlength=n) > 0
    gap = has & (rng.random(n) < COUNSELLING_GAP_SHARE)
    when = pd.to_datetime(sessions["session_date"], format="%Y-%m-%d %H:%M")
    day = when.dt.day_of_year.to_numpy() - 1
    # Gap students: every session within January–September; the others: the last one in the final 50 days.
    new_day = np.where(gap[who], day % 273, day)
    last_row = pd.Series(np.arange(len(sessions))).groupby(who).transform("max").to_numpy() == np.arange(
        len(sessions))
    new_day = np.where(~gap[who] & last_row, 364 - rng.integers(0, 50, size=len(sessions)), new_day)
    start = np.datetime64(f"{YEAR}-01-01")
    minutes = (when - when.dt.normalize()).dt.total_seconds().to_numpy() // 60
    stamp = start + new_day.astype("timedelta64[D]")
    sessions["session_date"] = pd.Series(stamp.astype("datetime64[m]") + minutes.astype("timedelta64[m]")).dt.strftime(
        "%Y-%m-%d %H:%M")
    out["counselling_gap"] = gap

    out["low_borrowing"] = rates["book_borrowing"] < 2.0
    out["low_consumption"] = rates["spend"] <= np.percentile(rates["spend"], 10.0)
    return out


def generate(out: Path, *, students: int = PAPER_STUDENTS, records: int | None = None, seed: int = 2023,
             spread: float = 0.04, missing: float = 0.02, outliers: float = 0.005,
             duplicates: float = 0.003, grades: list[str] | None = None, noise_features: int = 0) -> dict[str, int]:
    """Write roster.csv, the nine subsystems' files and truth.csv into `out`; return rows per file.

    `noise_features` > 0 also writes noise.csv (student_no, noise_1 … noise_N): pure noise, uniform on
    [0, 10] and independent of every archetype — not part of the import schema; `bench/portraits_k.py
    --noise-features` and the tests add them to every dimension (`spec.with_noise`) to check that the
    weighting damps them."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    n = students
    records = records if records is not None else int(round(n * PAPER_RECORDS / PAPER_STUDENTS))
    ids = np.array([f"SYN{seed % 1000:03d}{i:06d}" for i in range(n)])
    arche = {d: rng.choice(5, size=n, p=SHARES[d]) for d in CENTROIDS}

    def rate(dim: str, feat: str) -> np.ndarray:
        # Additive scatter, a fixed share of the spread between the extreme centroids (not multiplicative,
        # which would make the top clusters wide and the bottom ones collapse onto each other).
        levels = np.asarray(CENTROIDS[dim][feat], dtype=float)
        base = levels[arche[dim]]
        return np.maximum(base + rng.normal(0.0, spread * (levels.max() - levels.min()), size=n), 0.0)

    files: dict[str, pd.DataFrame] = {}
    rates: dict[str, np.ndarray] = {}
    roster = pd.DataFrame({
        "student_no": ids, "name": [f"Synthetic Student {i:05d}" for i in range(n)],
        "gender": rng.choice(["female", "male"], size=n, p=[0.55, 0.45]),
        "age": rng.integers(18, 23, size=n), "province": rng.choice(PROVINCES, size=n, p=PROVINCE_P),
        "college": rng.choice(COLLEGES, size=n, p=[0.7, 0.15, 0.15]), "grade": rng.choice(grades or GRADES, size=n),
        "major": "Clinical Medicine",
    })
    roster["gender"] = _blank(rng, roster["gender"], missing)
    roster["province"] = _blank(rng, roster["province"], missing)
    files["roster"] = roster

    # Teaching: ~12 courses a semester; `failed` of them below 60, the rest around the level that makes
    # the credit-weighted average land on the archetype's score.
    n_courses = rng.integers(10, 15, size=(n, 2))
    target = rate("learning", "wavg_score").clip(40, 95)
    failed_total = rng.poisson(np.asarray(CENTROIDS["learning"]["failed_courses"])[arche["learning"]])
    rows = []
    for sem in range(2):
        k = n_courses[:, sem]
        fails = np.minimum(rng.binomial(failed_total, 0.5) if sem == 0 else failed_total - rows[0][1], k)
        rows.append((k, fails))
    sid_list, score_list, credit_list, date_list, type_list, code_list = [], [], [], [], [], []
    for sem, (k, fails) in enumerate(rows):
        owner = np.repeat(np.arange(n), k)
        pos = np.concatenate([np.arange(c) for c in k])
        is_fail = pos < np.repeat(fails, k)
        fail_score = rng.uniform(25, 59.5, size=len(owner))
        pass_mean = (target * k - 42.0 * fails) / np.maximum(k - fails, 1)
        pass_score = rng.normal(np.repeat(pass_mean, k), 4.0).clip(60, 100)
        score = np.where(is_fail, fail_score, pass_score).round(1)
        month = 1 if sem == 0 else 7
        day = np.datetime64(f"{YEAR}-{month:02d}-05") + rng.integers(0, 20, size=len(owner)).astype("timedelta64[D]")
        sid_list.append(ids[owner])
        score_list.append(score)
        credit_list.append(rng.choice([1.0, 2.0, 3.0, 4.0], size=len(owner), p=[0.2, 0.35, 0.3, 0.15]))
        date_list.append(day)
        type_list.append(rng.choice(["compulsory", "professional", "elective", "practical"], size=len(owner)))
        code_list.append(rng.integers(1000, 9999, size=len(owner)))
    teaching = pd.DataFrame({
        "student_no": np.concatenate(sid_list), "course_code": [f"C{c}" for c in np.concatenate(code_list)],
        "course_type": np.concatenate(type_list), "credit": np.concatenate(credit_list),
        "score": np.concatenate(score_list), "exam_date": pd.Series(np.concatenate(date_list)).dt.strftime("%Y-%m-%d"),
    })
    teaching["score"] = _blank(rng, teaching["score"], missing)
    files["teaching"] = teaching

    freq_year = rate("economic", "consumption_frequency") * 2
    amount = rate("economic", "single_amount")
    rates["spend"] = freq_year / 2 * amount    # per semester, as the low_consumption rule reads it
    who = _events(rng, np.arange(n), freq_year)
    paid = np.round(amount[who] * rng.lognormal(0, 0.2, size=len(who)), 2)
    spikes = rng.random(len(who)) < outliers
    paid[spikes] = np.round(paid[spikes] * 20, 2)
    logistics = pd.DataFrame({"txn_id": np.arange(len(who)) + 1, "student_no": ids[who], "paid_at": _times(rng, _dates(rng, len(who))),
                              "amount": paid, "place": rng.choice(["canteen 1", "canteen 2", "shop"], size=len(who))})
    logistics["amount"] = _blank(rng, logistics["amount"], missing)
    files["logistics"] = logistics

    for name, dim, feat, col, extra in [
        ("exercise", "health", "exercise", "entered_at", ("venue", ["gym", "pool", "track"])),
        ("hospital", "health", "medical_visits", "visit_date", ("department", ["internal", "surgery", "ENT"])),
        ("counselling", "health", "psych_consultations", "session_date", None),
        ("library", "interest", "book_borrowing", "borrowed_on", ("category", ["medicine", "literature", "history"])),
        ("quality", "interest", "volunteer", "activity_date", ("activity", ["volunteer"])),
    ]:
        rates[feat] = rate(dim, feat)
        who = _events(rng, np.arange(n), rates[feat] * 12)
        df = pd.DataFrame({"student_no": ids[who], col: _times(rng, _dates(rng, len(who)))})
        df.insert(0, "event_id", np.arange(len(df)) + 1)
        if extra:
            df[extra[0]] = rng.choice(extra[1], size=len(who))
        if name == "quality":
            df["hours"] = rng.choice([2, 3, 4], size=len(who))
        files[name] = df

    who = np.repeat(np.arange(n), rng.binomial(4, 0.05, size=n))
    files["research"] = pd.DataFrame({"student_no": ids[who], "paid_on": pd.Series(_dates(rng, len(who))).dt.strftime("%Y-%m-%d"),
                                      "amount": rng.choice(["1,200", "800", "2,500"], size=len(who)),
                                      "kind": "research assistant"})
    alert_truth = _plant_alerts(np.random.default_rng([seed, 2]), files, ids, rates, arche["learning"])
    for name in list(files):
        if name != "roster":
            files[name] = _with_dupes(rng, files[name], duplicates)

    # Network: each student is online on some days a month; sessions fill the remaining row budget.
    used = sum(len(df) for df in files.values())
    budget = records - used
    online = (rng.normal(20, 3, size=n).clip(5, 30) * 12).astype(int)
    if budget < online.sum():
        raise ValueError(f"--records too small: at least {used + int(online.sum())} rows for {n} students")
    owner = np.repeat(np.arange(n), online)
    day_of = np.concatenate([np.sort(rng.choice(365, size=c, replace=False)) for c in online])
    extra_sessions = rng.multinomial(budget - len(owner), np.full(len(owner), 1.0 / len(owner)))
    owner = np.repeat(owner, 1 + extra_sessions)
    days = np.datetime64(f"{YEAR}-01-01") + np.repeat(day_of, 1 + extra_sessions).astype("timedelta64[D]")
    files["network"] = pd.DataFrame({"session_id": np.arange(len(owner)) + 1, "student_no": ids[owner], "login_at": _times(rng, days),
                                     "minutes": rng.integers(5, 240, size=len(owner))})

    counts = {}
    for name, df in files.items():
        df.to_csv(out / f"{name}.csv", index=False)
        counts[name] = len(df)
    if noise_features:
        # Its own generator, so the other files are the same with and without noise features.
        noise_rng = np.random.default_rng([seed, 1])
        noise = pd.DataFrame({"student_no": ids, **{f"noise_{j + 1}": noise_rng.uniform(0, 10, size=n).round(3)
                                                     for j in range(noise_features)}})
        noise.to_csv(out / "noise.csv", index=False)
    truth = pd.DataFrame({"student_no": ids, **{d: np.asarray(LABELS[d], dtype=object)[arche[d]] for d in CENTROIDS},
                          **{f"alert_{rule}": hit.astype(int) for rule, hit in alert_truth.items()}})
    truth.to_csv(out / "truth.csv", index=False)
    return counts
