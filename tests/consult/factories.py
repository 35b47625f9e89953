"""Factories of the consult booking side (synthetic data only)."""
from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from consult.models import Appointment, Department, ICD10Code, Slot, SlotKind
from tests.factories import DoctorFactory, PatientFactory


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept-{n}")
    name_en = factory.Sequence(lambda n: f"Department {n}")
    name_zh = factory.Sequence(lambda n: f"科室{n}")


class SlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Slot

    doctor = factory.SubFactory(DoctorFactory)
    start = factory.Sequence(lambda n: timezone.now().replace(microsecond=0, second=0) + timedelta(days=2, minutes=30 * n))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(minutes=20))
    kind = SlotKind.ONLINE


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment
        skip_postgeneration_save = True

    slot = factory.SubFactory(SlotFactory)
    patient = factory.SubFactory(PatientFactory)
    booked_by = factory.SelfAttribute("patient")
    doctor = factory.SelfAttribute("slot.doctor")
    start = factory.SelfAttribute("slot.start")
    end = factory.SelfAttribute("slot.end")
    kind = factory.SelfAttribute("slot.kind")
    reason = "Persistent cough"

    @factory.post_generation
    def care(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]  # noqa: N805
        # What the booking service records for the access policy: a contact unless cancelled.
        if create:
            from consult.services.care import care_refresh

            care_refresh(patient_id=obj.patient_id, doctor_id=obj.doctor_id)


class ICD10CodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ICD10Code
        django_get_or_create = ("code",)

    code = "J06.9"
    name_en = "Acute upper respiratory infection, unspecified"
    name_zh = "急性上呼吸道感染"
    block = "J00-J06"
    chapter = "X"
