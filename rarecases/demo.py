"""rarecases demo data (synthetic, idempotent): rare-case candidates for the demo doctor, three confirmed
de-identified cases (with HPO terms and candidate genes) with a few weeks of synthetic access history, the 50
MME benchmark patients as test patients, one rarity run and one trend model.

The demo platform is small, so its rarity threshold is set to 5 % (an admin can change it); at the EU
default of 5 in 10,000 no code can be rare among fewer than 2,000 patients.
"""
from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from accounts.models import User

DEMO_DOCTOR = "doctor@demo.medplatform.test"
COMMON = ["J06.9", "I10", "E11.9"]
RARE = ["E70.0", "G12.2", "Q87.4"]
# What the demo doctor picked for each case in the HPO picker (present terms) and the candidate gene.
PHENOTYPES = {
    "E70.0": (["HP:0004923", "HP:0000964", "HP:0001249"], ["PAH"]),
    "G12.2": (["HP:0003690", "HP:0002380", "HP:0003445"], []),
    "Q87.4": (["HP:0000098", "HP:0001083", "HP:0002616", "HP:0001166"], ["FBN1"]),
}


def seed(stdout=None) -> None:  # type: ignore[no-untyped-def]
    from .models import Case, CaseEvent, EventKind, RarecasesSettings, RarityRun, TrendModel
    from .services import rare_case_confirm, rarity_analyze, trend_model_train
    from .services.federation import platform_profile
    from .services.setup import synth_encounter, synth_patients

    platform_profile()
    RarecasesSettings.objects.get_or_create(pk=1, defaults={"rare_rate": 0.05})
    doctor = User.objects.filter(email=DEMO_DOCTOR).first()
    if doctor is None:
        return
    if not Case.objects.filter(confirmed_by=doctor).exists():
        rng = random.Random(2026)
        patients = synth_patients(30)
        for i, patient in enumerate(patients):
            synth_encounter(patient=patient, doctor=doctor, code=COMMON[i % len(COMMON)], days_ago=5 + i)
        encounters = [synth_encounter(patient=patients[i], doctor=doctor, code=code, days_ago=20 + i)
                      for i, code in enumerate(RARE)]
        now = timezone.now()
        events = []
        for enc, code in zip(encounters, RARE, strict=True):
            terms, genes = PHENOTYPES[code]
            case = rare_case_confirm(doctor=doctor, encounter=enc, outcome="Stable at follow-up.", phenotype_ids=terms,
                                     genes=genes)
            Case.objects.filter(pk=case.pk).update(created_at=now - timedelta(days=14))
            for day in range(14):
                for _ in range(rng.randint(0, 4 + day // 3)):
                    events.append(CaseEvent(case=case, kind=EventKind.VIEW, at=now - timedelta(days=day, hours=2)))
                if rng.random() < 0.3:
                    events.append(CaseEvent(case=case, kind=EventKind.DOWNLOAD, at=now - timedelta(days=day, hours=3),
                                            source_node="demo", target_node=""))
        CaseEvent.objects.bulk_create(events)
        # One more rare encounter left unconfirmed, so the candidate page has something to confirm.
        synth_encounter(patient=patients[5], doctor=doctor, code="E75.2", days_ago=2)
        if stdout:
            stdout.write(f"rarecases: {len(encounters)} demo cases, {len(events)} access events")
    _mme_benchmark(stdout)
    if not RarityRun.objects.exists():
        rarity_analyze()
    if not TrendModel.objects.exists():
        RarecasesSettings.objects.filter(pk=1, base_period_hours=168).update(base_period_hours=24)
        try:
            trend_model_train()
        except Exception as exc:  # noqa: BLE001 - the demo must come up even if training is impossible
            if stdout:
                stdout.write(f"rarecases: no demo model ({exc})")


def _mme_benchmark(stdout=None) -> None:  # type: ignore[no-untyped-def]
    """The 50 MME benchmark patients (literature cases, marked test): visible to test queries only, i.e. when a
    doctor ticks "include test patients". Idempotent."""
    import json
    from pathlib import Path

    from .services.mme import mme_import

    path = Path(__file__).resolve().parent / "data" / "mme_benchmark_patients.json"
    result = mme_import(patients=json.loads(path.read_text(encoding="utf-8")))
    if stdout and result["created"]:
        stdout.write(f"rarecases: {result['created']} MME benchmark (test) patients imported")
