"""consult demo data: doctors, schedules, appointments, consultations (records seed their own: records.demo)."""
from __future__ import annotations

from . import demo_booking


def seed(stdout=None) -> None:  # type: ignore[no-untyped-def]
    demo_booking.seed(stdout)
    # The recommendation model, trained on the demo's visits (the nightly task retrains it).
    from .services.recommend_model import recommender_train

    run = recommender_train()
    if stdout is not None:
        stdout.write(f"  recommendation model: {run.patients} patients × {run.doctors} doctors, "
                     f"{run.affinities.count()} recommendations")
