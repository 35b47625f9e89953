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


def spy_python_parser(monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """Names of the files the PostgreSQL fast path hands to the Python parser, in order."""
    from portraits.services import imports_pg

    names: list[str] = []
    original = imports_pg._python_file

    def spy(name, *args, **kwargs):  # type: ignore[no-untyped-def]
        names.append(name)
        return original(name, *args, **kwargs)
    monkeypatch.setattr(imports_pg, "_python_file", spy)
    return names
