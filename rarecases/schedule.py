"""Periodic tasks of rarecases, merged into CELERY_BEAT_SCHEDULE by the settings (no Django imports here)."""
from __future__ import annotations

BEAT_SCHEDULE: dict = {}
