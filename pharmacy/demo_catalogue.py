"""pharmacy demo data: the drug catalogue, seeded before consult (prescriptions need drugs)."""
from __future__ import annotations


def seed(stdout=None) -> None:  # type: ignore[no-untyped-def]
    return None
