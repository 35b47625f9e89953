"""Periodic tasks of pharmacy, merged into CELERY_BEAT_SCHEDULE by the settings (no Django imports here)."""
from __future__ import annotations

BEAT_SCHEDULE: dict = {
    # Unpaid orders hold reserved stock; cancel those older than 24 h (returns stock and prescription fills).
    "pharmacy-orders-expire-unpaid": {"task": "pharmacy.tasks.orders_expire_unpaid", "schedule": 600.0},
}
