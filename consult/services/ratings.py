"""Ratings of a finished appointment: give or change (7 days), moderate the comment, the doctor's one reply.

Access is asked of the policy before the input is validated and outside the write transaction."""
from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User
from core.errors import ApplicationError, Conflict

from ..models import Appointment, AppointmentStatus, ModerationStatus, Rating
from ..models.ratings import RATING_EDIT_DAYS

MAX_TEXT = 2000


def _appointment_of_patient_side(actor: User, appointment_id: int) -> Appointment:
    return policy.obtain(Appointment.objects.all(), appointment_id, actor=actor, object_type="appointment",
                         action=policy.Action.WRITE, decide=lambda a: policy.acts_for(actor, a.patient_id),
                         message=_("Appointment not found."))


def _clean_stars(stars: object) -> int:
    try:
        value = int(str(stars))
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        raise ApplicationError(_("Please choose from 1 to 5 stars."), code="invalid_stars")
    return value


def _clean_text(text: object) -> str:
    value = str(text or "").strip()
    if len(value) > MAX_TEXT:
        raise ApplicationError(_("Please keep it under %(n)d characters.") % {"n": MAX_TEXT}, code="too_long")
    return value


def rating_give(*, actor: User, appointment_id: int, stars: object, comment: object = "",
                now=None) -> Rating:  # type: ignore[no-untyped-def]
    """Give a rating to a completed appointment, or change it within RATING_EDIT_DAYS of first giving it.

    A changed comment goes back to moderation."""
    appointment = _appointment_of_patient_side(actor, appointment_id)
    value, text = _clean_stars(stars), _clean_text(comment)
    if appointment.status != AppointmentStatus.COMPLETED:
        raise ApplicationError(_("You can rate an appointment once it is completed."), code="not_completed")
    now = now or timezone.now()
    with transaction.atomic():
        existing = Rating.objects.select_for_update().filter(appointment=appointment).first()
        if existing is None:
            try:
                with transaction.atomic():
                    return Rating.objects.create(appointment=appointment, patient_id=appointment.patient_id,
                                                 doctor_id=appointment.doctor_id, stars=value, comment=text,
                                                 moderation=ModerationStatus.PENDING if text
                                                 else ModerationStatus.APPROVED)
            except IntegrityError:
                raise Conflict(_("This appointment was already rated.")) from None
        if now - existing.created_at > timedelta(days=RATING_EDIT_DAYS):
            raise Conflict(_("A rating can be changed for %(days)d days after it was given.")
                           % {"days": RATING_EDIT_DAYS}, code="edit_window_closed")
        if text != existing.comment:
            existing.moderation = ModerationStatus.PENDING if text else ModerationStatus.APPROVED
            existing.moderated_by, existing.moderated_at = None, None
        existing.stars, existing.comment = value, text
        existing.save()
        return existing


def rating_moderate(*, actor: User, rating_id: int, approve: bool) -> Rating:
    """A staff moderator publishes or withholds a rating's comment."""
    policy.require(policy.can(actor, "ratings.moderate"), actor=actor, object_type="rating", object_id=rating_id,
                   action=policy.Action.WRITE, status=403)
    rating = policy.obtain(Rating.objects.all(), rating_id, actor=actor, object_type="rating",
                           action=policy.Action.WRITE, decide=lambda r: policy.can(actor, "ratings.moderate"),
                           message=_("Rating not found."))
    with transaction.atomic():
        rating = Rating.objects.select_for_update().get(pk=rating.pk)
        rating.moderation = ModerationStatus.APPROVED if approve else ModerationStatus.REJECTED
        rating.moderated_by, rating.moderated_at = actor, timezone.now()
        rating.save(update_fields=["moderation", "moderated_by", "moderated_at", "updated_at"])
    return rating


def rating_reply(*, actor: User, rating_id: int, text: object) -> Rating:
    """The rated doctor replies once; a second reply is refused (the update is conditional, so two racing
    replies cannot both land)."""
    rating = policy.obtain(Rating.objects.all(), rating_id, actor=actor, object_type="rating",
                           action=policy.Action.WRITE,
                           decide=lambda r: policy.appointment_doctor(actor, doctor_id=r.doctor_id),
                           message=_("Rating not found."))
    reply = _clean_text(text)
    if not reply:
        raise ApplicationError(_("Please write a reply."), code="empty")
    updated = Rating.objects.filter(pk=rating.pk, reply="").update(reply=reply, replied_at=timezone.now())
    if not updated:
        raise Conflict(_("You have already replied to this rating."), code="already_replied")
    rating.refresh_from_db()
    return rating
