"""records tasks (thin; the services do the work and are safe to run twice)."""
from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

__all__ = ["dose_reminders_send_due", "dose_reminders_mark_missed", "risk_refresh", "retention_report"]


@shared_task(name="records.tasks.dose_reminders_send_due", autoretry_for=(OperationalError,), max_retries=3,
             retry_backoff=True)
def dose_reminders_send_due() -> int:
    from .services.reminders import reminders_send_due as send

    return send()


@shared_task(name="records.tasks.dose_reminders_mark_missed")
def dose_reminders_mark_missed() -> int:
    from .services.reminders import reminders_mark_missed as mark

    return mark()


@shared_task(name="records.tasks.risk_refresh")
def risk_refresh(since_minutes: int = 90) -> int:
    """Recompute the stored risk bands of patients whose record changed recently (hourly, overlapping windows:
    an unchanged input set is skipped, so running twice changes nothing)."""
    import datetime as dt

    from django.utils import timezone

    from .services.risk import risk_refresh as refresh

    return refresh(since=timezone.now() - dt.timedelta(minutes=since_minutes))


@shared_task(name="records.tasks.retention_report", autoretry_for=(OperationalError,), max_retries=3,
             retry_backoff=True)
def retention_report() -> int:
    """Nightly: what is past its retention period, for review (deletes nothing)."""
    from .services.retention import retention_report_run

    return retention_report_run().pk
