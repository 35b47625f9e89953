"""Reads of ratings: a doctor's public average and approved comments, a patient's rating of an appointment,
the moderation queue."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Avg, Count, QuerySet

from accounts import policy
from accounts.models import User

from ..models import Appointment, ModerationStatus, Rating


@dataclass(frozen=True)
class RatingSummary:
    average: float | None
    count: int


def doctor_rating_summary(*, doctor_id: int) -> RatingSummary:
    """Every rating's stars count (a comment waiting for moderation does not hold back its stars)."""
    row = Rating.objects.filter(doctor_id=doctor_id).aggregate(avg=Avg("stars"), n=Count("id"))
    return RatingSummary(round(row["avg"], 1) if row["avg"] is not None else None, row["n"])


def doctor_reviews_public(*, doctor_id: int) -> QuerySet[Rating]:
    """Comments a moderator approved (public)."""
    return (Rating.objects.filter(doctor_id=doctor_id, moderation=ModerationStatus.APPROVED)
            .exclude(comment="").order_by("-created_at"))


def rating_of(appointment: Appointment) -> Rating | None:
    """The rating of an appointment the caller was already allowed to read (its party)."""
    return Rating.objects.filter(appointment=appointment).first()


def moderation_queue(*, actor: User) -> QuerySet[Rating]:
    policy.require(policy.can(actor, "ratings.moderate"), actor=actor, object_type="page",
                   object_id="ratings_moderation", status=403)
    return (Rating.objects.filter(moderation=ModerationStatus.PENDING).exclude(comment="")
            .select_related("doctor", "patient").order_by("created_at"))
