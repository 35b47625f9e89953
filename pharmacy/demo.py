"""pharmacy demo data (synthetic, idempotent)."""
from __future__ import annotations


def seed(stdout=None) -> None:  # type: ignore[no-untyped-def]
    return None
