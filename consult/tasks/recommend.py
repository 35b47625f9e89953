"""consult tasks: the doctor-recommendation model (thin: the service does the work)."""
from __future__ import annotations

from celery import shared_task

__all__ = ["recommender_train"]


@shared_task(name="consult.tasks.recommender_train")
def recommender_train() -> int:
    """Nightly: retrain on every interaction; returns the number of patients with recommendations."""
    from consult.services.recommend_model import recommender_train as train

    run = train()
    return run.affinities.values("patient_id").distinct().count()
