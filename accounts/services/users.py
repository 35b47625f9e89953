from __future__ import annotations

from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import (
    CounsellorProfile,
    DoctorProfile,
    PatientProfile,
    PharmacistProfile,
    Role,
    User,
)

_PROFILE_FOR_ROLE = {
    Role.PATIENT: PatientProfile,
    Role.DOCTOR: DoctorProfile,
    Role.PHARMACIST: PharmacistProfile,
    Role.COUNSELLOR: CounsellorProfile,
}


@transaction.atomic
def user_create(
    *, email: str, password: str | None, role: str, full_name: str = "", verified: bool = True,
    profile: dict[str, Any] | None = None,
) -> User:
    """Create a user with a role, its profile and (for staff created by admins/seeding) a verified address."""
    user = User.objects.create_user(
        email=email, password=password, role=role, full_name=full_name,
        is_staff=(role == Role.ADMIN), is_superuser=(role == Role.ADMIN),
    )
    profile_model = _PROFILE_FOR_ROLE.get(role)
    if profile_model is not None:
        obj = profile_model(user=user, **(profile or {}))
        obj.save()
    if email:
        EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user


def signup_expire_stale(*, now: Any = None) -> int:
    """Delete self-registered accounts whose e-mail was never verified within the allowed time.

    Only patients who never logged in are removed; returns how many.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SIGNUP_UNVERIFIED_MAX_AGE_DAYS)
    stale = User.objects.filter(
        role=Role.PATIENT, is_managed=False, last_login__isnull=True, date_joined__lt=cutoff,
        emailaddress__verified=False,
    ).exclude(emailaddress__verified=True)
    count = 0
    for user in stale.distinct():
        user.delete()
        count += 1
    return count
