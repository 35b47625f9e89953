"""Reads of the health record, scoped to what the asking user may see."""
from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import User

from ..models import Allergy, AllergyStatus, Observation, Problem, ProblemStatus


def _norm(value: str) -> str:
    return " ".join(value.strip().lower().split())


def allergy_conflicts(*, patient: User, drug: Any) -> list[Allergy]:
    """The patient's active allergies whose substance is one of the drug's active ingredients.

    `drug.active_ingredients` is a list of lower-case ingredient names (pharmacy.Drug). A match is by whole
    name, case- and space-insensitive; an allergy to a class name ("penicillin") also matches an ingredient
    that contains it as a word ("benzylpenicillin" does not, "penicillin v" does) — documented in docs/records.md.
    """
    ingredients = {_norm(str(i)) for i in (getattr(drug, "active_ingredients", None) or []) if str(i).strip()}
    if not ingredients:
        return []
    words = {w for i in ingredients for w in i.split()}
    conflicts = []
    for allergy in Allergy.objects.filter(patient=patient, status=AllergyStatus.ACTIVE).order_by("substance"):
        substance = _norm(allergy.substance)
        if substance in ingredients or (" " not in substance and substance in words):
            conflicts.append(allergy)
    return conflicts


def allergies_of(*, patient: User, include_inactive: bool = False) -> QuerySet[Allergy]:
    qs = Allergy.objects.filter(patient=patient)
    if not include_inactive:
        qs = qs.filter(status=AllergyStatus.ACTIVE)
    return qs.order_by("substance")


def problems_of(*, patient: User, status: str | None = None) -> QuerySet[Problem]:
    qs = Problem.objects.filter(patient=patient).select_related("code")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "-recorded_at")


def active_problems_of(*, patient: User) -> QuerySet[Problem]:
    return problems_of(patient=patient, status=ProblemStatus.ACTIVE)


def observations_of(*, patient: User, kind: str | None = None) -> QuerySet[Observation]:
    qs = Observation.objects.filter(patient=patient)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-effective_at")
