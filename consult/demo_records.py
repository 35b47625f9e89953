"""consult demo data: records side (allergies, observations, prescriptions, reminders)."""
from __future__ import annotations


def seed(stdout=None) -> None:  # type: ignore[no-untyped-def]
    return None
