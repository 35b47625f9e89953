"""Periodic tasks of accounts, merged into CELERY_BEAT_SCHEDULE by the settings (no Django imports here)."""
from __future__ import annotations

import os

from celery.schedules import crontab

# Seconds between outbox sweeps; the broker test sets 1 to watch beat → broker → worker in seconds.
EMAIL_OUTBOX_SWEEP_SECONDS = float(os.environ.get("EMAIL_OUTBOX_SWEEP_SECONDS", "60"))

BEAT_SCHEDULE = {
    "accounts-signup-expire-stale": {"task": "accounts.tasks.signup_expire_stale", "schedule": crontab(minute=17)},
    "accounts-email-outbox-sweep": {"task": "accounts.tasks.email_outbox_sweep", "schedule": EMAIL_OUTBOX_SWEEP_SECONDS},
}
