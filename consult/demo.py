"""consult demo data: doctors, schedules, appointments, consultations (records seed their own: records.demo)."""
from __future__ import annotations

from . import demo_booking


def seed(stdout=None) -> None:  # type: ignore[no-untyped-def]
    demo_booking.seed(stdout)
