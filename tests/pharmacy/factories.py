"""Factories of the pharmacy tests (synthetic drugs, prescriptions and allergies)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import User
from consult.models import Encounter
from pharmacy.models import Drug
from pharmacy.services import drug_create
from records.models import Allergy, Prescription, PrescriptionItem

_counter = {"n": 0}


def make_drug(*, stock: int = 50, price: str = "10.00", rx: bool = False, ingredients: list[str] | None = None,
              **fields: Any) -> Drug:
    """A drug created through the service, so its opening stock is in the ledger."""
    _counter["n"] += 1
    n = _counter["n"]
    defaults: dict[str, Any] = {
        "generic_name_en": f"Testamol {n}", "generic_name_zh": f"测试药{n}", "brand_name_en": f"Brand {n}",
        "brand_name_zh": f"品牌{n}", "form": "tablet", "strength": f"{n} mg", "package_size": "20 tablets",
        "category": "analgesics", "atc_code": "N02BE01",
    }
    defaults.update(fields)
    return drug_create(actor=None, price=Decimal(price), stock=stock, is_prescription_only=rx,
                       active_ingredients=ingredients if ingredients is not None else [f"testamol {n}"], **defaults)


def make_prescription_item(*, patient: User, doctor: User, drug: Drug, quantity: int = 3,
                           valid_days: float = 30, issued_days_ago: float = 1, review_status: str = "approved",
                           **fields: Any) -> PrescriptionItem:
    """A prescription item as the pharmacy meets it: by default already approved by a pharmacist (issue 20;
    pass review_status="pending" for one still in the review queue)."""
    now = timezone.now()
    issued = now - dt.timedelta(days=issued_days_ago)
    encounter = Encounter.objects.create(patient=patient, doctor=doctor, occurred_at=issued)
    prescription = Prescription.objects.create(patient=patient, doctor=doctor, encounter=encounter, issued_at=issued,
                                               valid_until=issued + dt.timedelta(days=valid_days),
                                               review_status=review_status)
    values: dict[str, Any] = {"dose": Decimal("1"), "dose_unit": "tablet", "route": "oral", "frequency": "twice_daily",
                              "start_date": timezone.localdate(), "duration_days": 5, "quantity": quantity}
    values.update(fields)
    return PrescriptionItem.objects.create(prescription=prescription, drug=drug, **values)


def make_allergy(*, patient: User, substance: str, recorded_by: User) -> Allergy:
    return Allergy.objects.create(patient=patient, substance=substance.lower(), recorded_by=recorded_by)


ADDRESS = {"recipient_name": "Test Recipient", "phone": "+86 000 0000 0000", "address": "1 Test Road, Hangzhou"}
