"""Periodic tasks of records, merged into CELERY_BEAT_SCHEDULE by the settings (no Django imports here)."""
from __future__ import annotations

from celery.schedules import crontab

BEAT_SCHEDULE: dict = {
    # Medication doses: send what is due every minute (exactly once, SKIP LOCKED); mark unanswered ones missed.
    "records-dose-reminders-send": {"task": "records.tasks.dose_reminders_send_due", "schedule": 60.0},
    "records-dose-reminders-missed": {"task": "records.tasks.dose_reminders_mark_missed", "schedule": 300.0},
    # Health-risk bands (records.services.risk) of records changed in the last 90 minutes, hourly.
    "records-risk-refresh": {"task": "records.tasks.risk_refresh", "schedule": 3600.0},
    # Retention (issue 20): nightly report of records past their period, for review; deletes nothing.
    "records-retention-report": {"task": "records.tasks.retention_report", "schedule": crontab(hour=2, minute=40)},
}
