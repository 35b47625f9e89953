"""Waitlist: join a doctor's waitlist; a freed slot is offered to the first waiting patient with a
time-limited hold, then to the next one when the hold lapses."""
from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import Role, User
from accounts.services import notify
from core.errors import ApplicationError, Conflict, NotFound

from ..models import Slot, WaitlistEntry, WaitlistStatus


def hold_duration() -> timedelta:
    return timedelta(minutes=getattr(settings, "CONSULT_WAITLIST_HOLD_MINUTES", 30))


def waitlist_join(*, user: User, patient: User, doctor_id: int, reason: str) -> WaitlistEntry:
    """Put `patient` on the doctor's waitlist. Raises AccessRefused (audited) for a patient the user does not
    act for, NotFound (no such doctor), ApplicationError, Conflict (already waiting)."""
    policy.require(policy.can(user, "waitlist.use"), actor=user, object_type="waitlist", object_id=doctor_id,
                   action=policy.Action.WRITE, status=403)
    policy.require(policy.acts_for(user, patient.pk), actor=user, object_type="patient", object_id=patient.pk,
                   action=policy.Action.WRITE, subject=patient, message=_("Patient not found."))
    with transaction.atomic():
        return _join(user=user, patient=patient, doctor_id=doctor_id, reason=reason)


def _join(*, user: User, patient: User, doctor_id: int, reason: str) -> WaitlistEntry:
    doctor = User.objects.filter(pk=doctor_id, role=Role.DOCTOR, is_active=True).first()
    if doctor is None:
        raise NotFound(_("Doctor not found."))
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Please give a reason for the appointment."), extra={"reason": [_("Required.")]})
    try:
        with transaction.atomic():
            return WaitlistEntry.objects.create(doctor=doctor, patient=patient, booked_by=user, reason=reason[:300])
    except IntegrityError:
        raise Conflict(_("You are already on this doctor's waitlist."), code="already_waiting") from None


def waitlist_leave(*, user: User, entry_id: int, now: datetime | None = None) -> WaitlistEntry:
    """Leave a waitlist. Raises AccessRefused (audited) for someone else's entry, Conflict when it is no longer
    waiting or offered."""
    policy.obtain(WaitlistEntry.objects.select_related("patient"), entry_id, actor=user, object_type="waitlist",
                  action=policy.Action.WRITE, decide=lambda e: policy.acts_for(user, e.patient_id),
                  message=_("Waitlist entry not found."))
    with transaction.atomic():
        return _leave(entry_id=entry_id, now=now)


def _leave(*, entry_id: int, now: datetime | None) -> WaitlistEntry:
    entry = WaitlistEntry.objects.select_for_update().get(pk=entry_id)
    if entry.status not in (WaitlistStatus.WAITING, WaitlistStatus.OFFERED):
        raise Conflict(_("You are no longer on this waitlist."), code="not_waiting")
    slot = entry.offered_slot
    entry.status = WaitlistStatus.CANCELLED
    entry.save(update_fields=["status"])
    if slot is not None:
        _release_hold(slot)
        waitlist_offer_next(slot=slot, now=now)
    return entry


def _release_hold(slot: Slot) -> None:
    Slot.objects.filter(pk=slot.pk).update(held_for=None, held_until=None)


@transaction.atomic
def waitlist_offer_next(*, slot: Slot, now: datetime | None = None) -> WaitlistEntry | None:
    """Offer a free slot to the doctor's first waiting patient and hold it for them; None if nobody waits.

    The caller has the slot locked (a cancellation) or the offer expiry sweeper locks it here.
    """
    now = now or timezone.now()
    # Lock the first waiting entry; SKIP LOCKED so two freed slots go to two different patients.
    entry = (
        WaitlistEntry.objects.select_for_update(skip_locked=True)
        .filter(doctor_id=slot.doctor_id, status=WaitlistStatus.WAITING)
        .select_related("patient", "booked_by")
        .order_by("created_at", "id")
        .first()
    )
    if entry is None:
        return None
    expires = now + hold_duration()
    entry.status = WaitlistStatus.OFFERED
    entry.offered_slot = slot
    entry.offer_expires_at = expires
    entry.save(update_fields=["status", "offered_slot", "offer_expires_at"])
    Slot.objects.filter(pk=slot.pk).update(held_for=entry.patient, held_until=expires)
    recipient = entry.booked_by
    with translation.override(recipient.preferred_language or "en"):
        notify(
            user=recipient, kind="waitlist_offer",
            title=_("A slot is free: %(when)s") % {"when": timezone.localtime(slot.start).strftime("%Y-%m-%d %H:%M")},
            body=_("It is held for %(patient)s until %(until)s. Book it before then or it goes to the next patient.")
            % {"patient": entry.patient.display_name, "until": timezone.localtime(expires).strftime("%H:%M")},
            url=reverse("consult:waitlist"),
            dedupe_key=f"consult:waitlist-offer:{entry.pk}:{slot.pk}",
        )
    return entry


def waitlist_expire_offers(*, now: datetime | None = None) -> int:
    """Periodic: offers whose hold lapsed expire and the slot goes to the next patient; returns how many."""
    now = now or timezone.now()
    expired = 0
    for entry_id in WaitlistEntry.objects.filter(
        status=WaitlistStatus.OFFERED, offer_expires_at__lte=now
    ).values_list("pk", flat=True)[:200]:
        with transaction.atomic():
            entry = WaitlistEntry.objects.select_for_update().filter(
                pk=entry_id, status=WaitlistStatus.OFFERED).first()
            if entry is None:
                continue
            slot = Slot.objects.select_for_update().get(pk=entry.offered_slot_id) if entry.offered_slot_id else None
            entry.status = WaitlistStatus.EXPIRED
            entry.save(update_fields=["status"])
            expired += 1
            if slot is not None and slot.held_for_id == entry.patient_id:
                _release_hold(slot)
                from ..models import Appointment

                free = not Appointment.objects.filter(slot=slot).exclude(status__in=["cancelled", "no_show"]).exists()
                if free and slot.start > now and not slot.is_blocked:
                    waitlist_offer_next(slot=slot, now=now)
    return expired
