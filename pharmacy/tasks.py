"""pharmacy Celery tasks (thin: the services do the work and are safe to run twice)."""
from __future__ import annotations

from celery import shared_task
from django.db import OperationalError


@shared_task(name="pharmacy.tasks.orders_expire_unpaid", autoretry_for=(OperationalError,), max_retries=3,
             retry_backoff=True)
def orders_expire_unpaid() -> int:
    from .services import orders_expire_unpaid as expire

    return expire()
