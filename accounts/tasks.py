"""Thin tasks: load by id, call a service. Safe to run twice."""
from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="accounts.tasks.email_deliver", autoretry_for=(ConnectionError,), max_retries=5,
             retry_backoff=True)
def email_deliver(email_id: int) -> bool:
    return services.email_outbox_deliver(email_id=email_id)


@shared_task(name="accounts.tasks.email_outbox_sweep")
def email_outbox_sweep() -> int:
    return services.email_outbox_sweep()


@shared_task(name="accounts.tasks.signup_expire_stale")
def signup_expire_stale() -> int:
    return services.signup_expire_stale()
