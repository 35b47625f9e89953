"""Demo data of the accounts app: one log-in per role (synthetic people only)."""
from __future__ import annotations

from datetime import date

from .models import Role, User
from .services import consent_grant, family_member_add, user_create

DEMO_PASSWORD = "demo-pass-2026"
DEMO_USERS = [
    ("patient@demo.medplatform.test", Role.PATIENT, "Demo Patient 示例患者",
     {"date_of_birth": date(1988, 4, 12), "sex": "female", "phone": "+86 000 0000 0001", "region": "Zhejiang"}),
    ("doctor@demo.medplatform.test", Role.DOCTOR, "Dr Demo Lin 林医生",
     {"title": "Attending physician · 主治医师", "licence_number": "DEMO-DOC-0001", "fee": "50.00",
      "specialties": "Internal medicine · 内科"}),
    ("pharmacist@demo.medplatform.test", Role.PHARMACIST, "Demo Pharmacist 药师",
     {"licence_number": "DEMO-PHA-0001"}),
    ("counsellor@demo.medplatform.test", Role.COUNSELLOR, "Demo Counsellor 辅导员",
     {"colleges": ["Clinical Medicine", "Nursing"], "grades": ["2023", "2024"]}),
    ("admin@demo.medplatform.test", Role.ADMIN, "Demo Admin 管理员", {}),
]


def seed(stdout=None) -> None:  # type: ignore[no-untyped-def]
    for email, role, name, profile in DEMO_USERS:
        if User.objects.filter(email=email).exists():
            continue
        user_create(email=email, password=DEMO_PASSWORD, role=role, full_name=name, profile=profile)
    patient = User.objects.get(email=DEMO_USERS[0][0])
    for kind in ("data_processing", "rare_case_sharing", "portraits"):
        consent_grant(user=patient, kind=kind)
    if not patient.family_links.exists():
        family_member_add(principal=patient, full_name="Demo Child 示例孩子", relationship="child",
                          date_of_birth=date(2016, 9, 1), sex="male")
