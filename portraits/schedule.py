"""Periodic tasks of portraits, merged into CELERY_BEAT_SCHEDULE by the settings (no Django imports here)."""
from __future__ import annotations

from celery.schedules import crontab

BEAT_SCHEDULE: dict = {
    # Runs whose task could not be queued (broker down) are picked up here.
    "portraits-runs-sweep": {"task": "portraits.runs_sweep", "schedule": 120.0},
    # Patient portraits (the platform's own behaviour data of consenting patients), Mondays at 04:10.
    "portraits-patients-weekly": {"task": "portraits.patients_weekly",
                                  "schedule": crontab(hour=4, minute=10, day_of_week=1)},
}
