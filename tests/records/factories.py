"""Factories of the records side (synthetic data only)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.apps import apps
from django.utils import timezone

from consult.models import Encounter, ICD10Code
from tests.factories import DoctorFactory, PatientFactory


class DrugFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = apps.get_model("pharmacy", "Drug")

    generic_name_en = factory.Sequence(lambda n: f"Testdrug {n}")
    strength = "500 mg"
    price = Decimal("10.00")
    stock = 100
    is_prescription_only = True
    active_ingredients = factory.LazyAttribute(lambda o: [o.generic_name_en.lower()])


class EncounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Encounter
        skip_postgeneration_save = True

    patient = factory.SubFactory(PatientFactory)
    doctor = factory.SubFactory(DoctorFactory)
    occurred_at = factory.LazyFunction(timezone.now)
    chief_complaint = "Sore throat"

    @factory.post_generation
    def care(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]  # noqa: N805
        # What the encounter service records for the access policy: a contact.
        if create:
            from consult.services.care import care_refresh

            care_refresh(patient_id=obj.patient_id, doctor_id=obj.doctor_id)


def icd(code: str = "J02.9", name: str = "Acute pharyngitis, unspecified") -> ICD10Code:
    obj, _ = ICD10Code.objects.get_or_create(code=code, defaults={"name_en": name, "name_zh": "急性咽炎"})
    return obj


def item_data(drug, **over):  # type: ignore[no-untyped-def]
    data = {"drug": drug, "dose": Decimal("500"), "dose_unit": "mg", "route": "oral", "frequency": "twice_daily",
            "times_of_day": ["08:00", "20:00"], "start_date": timezone.localdate() + dt.timedelta(days=1),
            "duration_days": 5, "quantity": 2, "instructions": "After meals"}
    data.update(over)
    return data
