"""Periodic tasks of consult, merged into CELERY_BEAT_SCHEDULE by the settings (no Django imports here)."""
from __future__ import annotations

from celery.schedules import crontab

BEAT_SCHEDULE: dict = {
    # Keep slots generated CONSULT_SLOT_DAYS_AHEAD days ahead (idempotent; hourly so a new day appears soon).
    "consult-slots-generate": {"task": "consult.tasks.slots_generate", "schedule": crontab(minute=5)},
    # Reminders are due at exact minutes (start - 1 day, start - 1 hour): check every minute.
    "consult-appointment-reminders": {"task": "consult.tasks.appointment_reminders_send", "schedule": 60.0},
    # Booking confirmations, in batches (not written by the booking request itself: see services/booking.py).
    "consult-appointment-confirmations": {"task": "consult.tasks.appointment_confirmations_send", "schedule": 30.0},
    "consult-waitlist-expire-offers": {"task": "consult.tasks.waitlist_expire_offers", "schedule": 60.0},
    # The doctor-recommendation model (consult.services.recommend_model), nightly at 03:20.
    "consult-recommender-train": {"task": "consult.tasks.recommender_train", "schedule": crontab(hour=3, minute=20)},
}
