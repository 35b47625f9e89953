"""consult demo data: the booking side first (doctors, appointments, encounters), then records."""
from __future__ import annotations

from . import demo_booking, demo_records


def seed(stdout=None) -> None:  # type: ignore[no-untyped-def]
    demo_booking.seed(stdout)
    demo_records.seed(stdout)
