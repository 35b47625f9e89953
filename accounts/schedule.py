"""Periodic tasks of accounts, merged into CELERY_BEAT_SCHEDULE by the settings (no Django imports here)."""
from __future__ import annotations

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "accounts-signup-expire-stale": {"task": "accounts.tasks.signup_expire_stale", "schedule": crontab(minute=17)},
    "accounts-email-outbox-sweep": {"task": "accounts.tasks.email_outbox_sweep", "schedule": 60.0},
}
