"""consult tasks: booking side (thin: call a service; every one is safe to run twice)."""
from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

__all__ = ["slots_generate", "appointment_reminders_send", "waitlist_expire_offers", "appointment_confirmations_send",
           "appointment_holds_release"]


@shared_task(name="consult.tasks.slots_generate")
def slots_generate() -> int:
    from consult.services.schedules import slots_generate as generate

    return generate()


@shared_task(name="consult.tasks.appointment_reminders_send")
def appointment_reminders_send() -> int:
    from consult.services.booking import reminders_send_due

    return reminders_send_due()


@shared_task(name="consult.tasks.waitlist_expire_offers")
def waitlist_expire_offers() -> int:
    from consult.services.waitlist import waitlist_expire_offers as expire

    return expire()


@shared_task(name="consult.tasks.appointment_confirmations_send", autoretry_for=(OperationalError,), max_retries=3,
             retry_backoff=True)
def appointment_confirmations_send() -> int:
    from consult.services.booking import appointment_confirmations_send as send

    return send()


@shared_task(name="consult.tasks.appointment_holds_release", autoretry_for=(OperationalError,), max_retries=3,
             retry_backoff=True)
def appointment_holds_release() -> int:
    from consult.services.holds import appointment_holds_release as release

    return release()
