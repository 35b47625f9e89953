"""Synthetic encounters, codes and cases for rarecases tests (no real people)."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.services import consent_grant
from consult.models import Encounter, EncounterDiagnosis, ICD10Code
from rarecases.models import Peer
from rarecases.services.federation import peer_create
from tests.factories import DoctorFactory, PatientFactory

CODES = {
    "E70.0": ("Classical phenylketonuria", "经典型苯丙酮尿症", "E70-E90", "IV"),
    "E75.2": ("Other sphingolipidosis", "其他鞘脂贮积症", "E70-E90", "IV"),
    "G12.2": ("Motor neuron disease", "运动神经元病", "G10-G14", "VI"),
    "J06.9": ("Acute upper respiratory infection, unspecified", "急性上呼吸道感染", "J00-J06", "X"),
    "I10": ("Essential (primary) hypertension", "特发性(原发性)高血压", "I10-I15", "IX"),
    "C34.9": ("Malignant neoplasm of bronchus or lung, unspecified", "支气管或肺恶性肿瘤", "C30-C39", "II"),
}


def icd(code: str) -> ICD10Code:
    name_en, name_zh, block, chapter = CODES[code]
    obj, _ = ICD10Code.objects.get_or_create(code=code, defaults={"name_en": name_en, "name_zh": name_zh,
                                                                  "block": block, "chapter": chapter})
    return obj


def encounter(*, patient=None, doctor=None, codes=("E70.0",), days_ago: int = 10, findings: str = "",  # type: ignore[no-untyped-def]
              plan: str = "", consent: bool = True) -> Encounter:
    patient = patient or PatientFactory()
    doctor = doctor or DoctorFactory()
    if consent:
        consent_grant(user=patient, kind="rare_case_sharing")
    at = timezone.now() - timedelta(days=days_ago)
    enc = Encounter.objects.create(patient=patient, doctor=doctor, occurred_at=at,
                                   findings=findings or "Elevated phenylalanine 1200 umol/L; musty odour; eczema.",
                                   plan=plan or "Phenylalanine-restricted diet; sapropterin trial.")
    for i, code in enumerate(codes):
        EncounterDiagnosis.objects.create(encounter=enc, code=icd(code), patient=patient, diagnosed_at=at,
                                          is_primary=i == 0)
    return enc


def peer(*, instance_id: str = "platform-b", tags=("chapter:E",), url: str = "http://127.0.0.1:9",  # type: ignore[no-untyped-def]
         secret: str = "s3cret-shared-between-a-and-b", key_id: str | None = None) -> Peer:
    return peer_create(name=instance_id.title(), instance_id=instance_id, url=url, key_id=key_id or f"k-{instance_id}",
                       secret=secret, tags=list(tags))
