"""Periodic tasks of core, merged into CELERY_BEAT_SCHEDULE by the settings (no Django imports here)."""
from __future__ import annotations

import os

# Seconds between outbox sweeps (the broker tests and bench/broker_fault.py set 1).
OUTBOX_SWEEP_SECONDS = float(os.environ.get("CORE_OUTBOX_SWEEP_SECONDS", "30"))

BEAT_SCHEDULE = {
    "core-outbox-sweep": {"task": "core.tasks.outbox_sweep", "schedule": OUTBOX_SWEEP_SECONDS},
}
