"""Periodic tasks of portraits, merged into CELERY_BEAT_SCHEDULE by the settings (no Django imports here)."""
from __future__ import annotations

BEAT_SCHEDULE: dict = {
    # Runs whose task could not be queued (broker down) are picked up here.
    "portraits-runs-sweep": {"task": "portraits.runs_sweep", "schedule": 120.0},
}
