from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ApplicationError

from ..audit import audit_record
from ..models import AuditAction, FamilyLink, PatientProfile, Relationship, Role, User


@transaction.atomic
def family_member_add(
    *, principal: User, full_name: str, relationship: str, date_of_birth: date | None = None, sex: str = "unknown"
) -> User:
    """Create a family member (no log-in of their own) whom `principal` may act for.

    Raises ApplicationError when the principal is not a patient or the input is invalid.
    """
    if principal.role != Role.PATIENT or principal.is_managed:
        raise ApplicationError(_("Only patients with their own log-in can add family members."))
    full_name = (full_name or "").strip()
    if not full_name:
        raise ApplicationError(_("Please give the family member's name."))
    if relationship not in Relationship.values:
        raise ApplicationError(_("Please choose a relationship."))
    member = User.objects.create_user(email=None, password=None, role=Role.PATIENT, full_name=full_name,
                                      is_managed=True, time_zone=principal.time_zone)
    profile = PatientProfile(user=member, date_of_birth=date_of_birth, sex=sex)
    profile.full_clean(exclude=["user"])
    profile.save()
    FamilyLink.objects.create(principal=principal, member=member, relationship=relationship)
    audit_record(actor=principal, action=AuditAction.CREATE, object_type="family_member", object_id=member.pk,
                 subject=member, detail={"relationship": relationship})
    return member
