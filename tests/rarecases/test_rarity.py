"""Rarity threshold arithmetic and the analysis over encounter diagnoses (S300–S360)."""
from __future__ import annotations

import pytest

from rarecases.models import RareCandidate, RareCode
from rarecases.services.rarity import rare_count_limit, rarity_analyze
from tests.factories import DoctorFactory, PatientFactory

from .factories import encounter


@pytest.mark.parametrize(("rate", "total", "limit"), [
    (5 / 10_000, 10_000, 5),      # exactly at the EU threshold: 5 of 10,000 is rare
    (5 / 10_000, 9_999, 4),       # 5 of 9,999 is above 5/10,000
    (5 / 10_000, 1_999, 0),       # fewer than 2,000 patients: no code can be rare at 5/10,000
    (5 / 10_000, 2_000, 1),
    (0.1, 20, 2),
    (0.1, 29, 2),
    (0.1, 30, 3),
])
def test_rare_count_limit(rate: float, total: int, limit: int) -> None:
    assert rare_count_limit(rate=rate, total_patients=total) == limit


@pytest.mark.django_db
def test_rarity_analyze_counts_distinct_patients_in_the_database() -> None:
    doctor = DoctorFactory()
    # 10 patients seen; J06.9 in 8 of them (one twice), E70.0 in 1, G12.2 in 2, one old E75.2 outside the window.
    patients = [PatientFactory() for _ in range(10)]
    for p in patients[:8]:
        encounter(patient=p, doctor=doctor, codes=("J06.9",))
    encounter(patient=patients[0], doctor=doctor, codes=("J06.9",), days_ago=20)
    rare_enc = encounter(patient=patients[8], doctor=doctor, codes=("E70.0",))
    encounter(patient=patients[9], doctor=doctor, codes=("G12.2",))
    encounter(patient=patients[8], doctor=doctor, codes=("G12.2",), days_ago=5)
    encounter(patient=patients[9], doctor=doctor, codes=("E75.2",), days_ago=400)

    run = rarity_analyze(rate=0.2, window_days=365)  # limit = floor(0.2 * 10) = 2 patients

    assert run.total_patients == 10
    assert run.codes_seen == 3
    rare = {r.code: (r.patients, r.incidence, r.block) for r in RareCode.objects.filter(run=run)}
    assert rare == {"E70.0": (1, 0.1, "E70-E90"), "G12.2": (2, 0.2, "G10-G14")}
    assert run.rare_codes == 2
    cands = RareCandidate.objects.filter(run=run)
    assert cands.count() == 3 == run.candidates
    assert set(cands.values_list("code", flat=True)) == {"E70.0", "G12.2"}
    assert cands.get(code="E70.0").encounter_id == rare_enc.pk
    # Orphanet classes come from the ICD-10 cross-references (rarecases/data/icd10_orphanet.tsv).
    assert RareCode.objects.get(run=run, code="E70.0").orpha == [{"id": "ORPHA:716", "name": "Phenylketonuria"},
                                                                 {"id": "ORPHA:79254", "name": "Classic phenylketonuria"}]


@pytest.mark.django_db
def test_rarity_at_the_eu_default_finds_nothing_on_a_small_platform() -> None:
    encounter(codes=("E70.0",))
    run = rarity_analyze()
    assert (run.total_patients, run.rare_codes, run.candidates) == (1, 0, 0)
