"""Rarity analysis (S300–S360), computed in the database with GROUP BY, not by loading encounters."""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from .. import vocab
from ..models import RareCandidate, RareCode, RarityRun
from ..selectors import settings_get


def rare_count_limit(*, rate: float, total_patients: int) -> int:
    """The largest patient count n with n / total ≤ rate (exact for integers: n ≤ floor(rate·total)).
    A tiny epsilon absorbs float error when rate·total is an exact integer (5/10,000 × 10,000 = 5)."""
    return math.floor(rate * total_patients + 1e-9)


@transaction.atomic
def rarity_analyze(*, now: datetime | None = None, rate: float | None = None, window_days: int | None = None) -> RarityRun:
    """S310 all diagnoses in the window → S320 codes with incidence ≤ rate (and ≥ 1 case) → S330 their
    cases become candidates → S340–S350 category (ICD-10 block; Orphanet class when the bundled
    vocabulary names the disease). Incidence = distinct patients with the code ÷ distinct patients seen."""
    from consult.selectors.clinical import diagnoses_per_code, diagnoses_with_codes, patients_seen

    s = settings_get()
    now = now or timezone.now()
    rate = s.rare_rate if rate is None else rate
    window_days = s.window_days if window_days is None else window_days
    start = now - timedelta(days=window_days)
    total = patients_seen(start=start, end=now)
    run = RarityRun.objects.create(window_start=start, window_end=now, total_patients=total,
                                   params={"rate": rate, "window_days": window_days,
                                           "min_patients_for_rate": s.min_patients_for_rate})
    per_code = diagnoses_per_code(start=start, end=now)
    run.codes_seen = per_code.count()
    if total < max(1, s.min_patients_for_rate):
        run.save(update_fields=["codes_seen"])
        return run
    limit = rare_count_limit(rate=rate, total_patients=total)
    rare = list(per_code.filter(n__gte=1, n__lte=limit)
                .values("code", "n", "code__block", "code__chapter", "code__name_en").order_by("code"))
    RareCode.objects.bulk_create([
        RareCode(run=run, code=r["code"], patients=r["n"], incidence=r["n"] / total, block=r["code__block"] or "",
                 chapter=r["code__chapter"] or "", orpha=vocab.orpha_classes(r["code"], r["code__name_en"] or ""))
        for r in rare
    ])
    incidence = {r["code"]: r["n"] / total for r in rare}
    blocks = {r["code"]: r["code__block"] or "" for r in rare}
    rows = diagnoses_with_codes(start=start, end=now, codes=list(incidence))
    candidates = [RareCandidate(run=run, diagnosis_id=r["pk"], encounter_id=r["encounter_id"],
                                doctor_id=r["encounter__doctor_id"], code=r["code_id"], block=blocks[r["code_id"]],
                                incidence=incidence[r["code_id"]]) for r in rows.iterator(chunk_size=2000)]
    RareCandidate.objects.bulk_create(candidates, batch_size=1000)
    run.rare_codes, run.candidates = len(rare), len(candidates)
    run.save(update_fields=["codes_seen", "rare_codes", "candidates"])
    return run
