"""Factories for portraits tests (synthetic students only)."""
from __future__ import annotations

import factory

from portraits.models import Student


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    pseudonym = factory.Sequence(lambda n: f"{n:064x}")
    gender = "female"
    province = "Shandong"
    college = "Clinical Medicine"
    grade = "2024"
    major = "Clinical Medicine"
