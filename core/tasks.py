"""Thin tasks of core."""
from __future__ import annotations

from celery import shared_task

from . import outbox


@shared_task(name="core.tasks.outbox_sweep")
def outbox_sweep() -> int:
    return outbox.outbox_sweep()
