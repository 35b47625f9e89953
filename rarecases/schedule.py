"""Periodic tasks of rarecases, merged into CELERY_BEAT_SCHEDULE by the settings (no Django imports here).

RARECASES_SWEEP_SECONDS shortens the outbox sweep (federation tests and `make federation` use 2 s)."""
from __future__ import annotations

import os

_sweep = float(os.environ.get("RARECASES_SWEEP_SECONDS", "30"))

BEAT_SCHEDULE: dict = {
    "rarecases-outbox-sweep": {"task": "rarecases.outbox_sweep", "schedule": _sweep},
    "rarecases-analyze": {"task": "rarecases.analyze", "schedule": 6 * 3600.0},
    "rarecases-train": {"task": "rarecases.train", "schedule": 24 * 3600.0},
    "rarecases-share": {"task": "rarecases.share", "schedule": 3600.0},
    "rarecases-refresh": {"task": "rarecases.refresh", "schedule": float(os.environ.get("RARECASES_REFRESH_SECONDS",
                                                                                        "3600"))},
}
