"""Demo data of consult: departments and a few doctors (synthetic)."""
from __future__ import annotations

from accounts.models import Role, User
from accounts.services import user_create

from .models import Department

DEPARTMENTS = [
    ("internal-medicine", "Internal Medicine", "内科"),
    ("paediatrics", "Paediatrics", "儿科"),
    ("cardiology", "Cardiology", "心内科"),
    ("dermatology", "Dermatology", "皮肤科"),
    ("endocrinology", "Endocrinology", "内分泌科"),
    ("neurology", "Neurology", "神经内科"),
]
DOCTORS = [
    ("doctor@demo.medplatform.test", "internal-medicine", None),
    ("dr.wang@demo.medplatform.test", "paediatrics", "Dr Demo Wang 王医生"),
    ("dr.chen@demo.medplatform.test", "cardiology", "Dr Demo Chen 陈医生"),
    ("dr.zhao@demo.medplatform.test", "endocrinology", "Dr Demo Zhao 赵医生"),
]


def seed(stdout=None) -> None:  # type: ignore[no-untyped-def]
    for code, en, zh in DEPARTMENTS:
        Department.objects.get_or_create(code=code, defaults={"name_en": en, "name_zh": zh})
    from accounts.demo import DEMO_PASSWORD

    for i, (email, dept, name) in enumerate(DOCTORS):
        user = User.objects.filter(email=email).first()
        if user is None:
            user = user_create(email=email, password=DEMO_PASSWORD, role=Role.DOCTOR, full_name=name or email,
                               profile={"licence_number": f"DEMO-DOC-{i + 1:04d}", "title": "Attending physician",
                                        "fee": "60.00"})
        profile = user.doctor_profile
        if profile.department_id is None:
            profile.department = Department.objects.get(code=dept)
            profile.save(update_fields=["department"])
