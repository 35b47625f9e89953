"""Care relations (facts the care apps record), shared-care grants and break-glass emergency access."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, Conflict

from ..audit import audit_record
from ..models import AuditAction, BreakGlassAccess, CareGrant, CareRelation, Role, User
from ..policy import Action, Reason, acts_for, can, doctor_care, forget, refuse, require
from .notifications import notify

BREAK_GLASS_MIN_REASON = 10


def care_relation_record(*, patient_id: int, doctor_id: int, at: dt.datetime) -> None:
    """A contact (booked visit, consultation, encounter) at `at`: the relation's last contact becomes the later
    of the stored one and `at` (one UPDATE … GREATEST). A first contact inserts the row with an upsert, no
    savepoint: the booking that records it holds the patient's row lock, so two bookings of one patient never
    race here; should an encounter race a booking of the same pair, the upsert keeps one row (with either
    date) and the next cancellation recomputes it from the contacts (care_relation_set)."""
    now = timezone.now()
    updated = CareRelation.objects.filter(patient_id=patient_id, doctor_id=doctor_id).update(
        last_contact_at=Greatest(F("last_contact_at"), Value(at)), updated_at=now)
    if not updated:
        CareRelation.objects.bulk_create(
            [CareRelation(patient_id=patient_id, doctor_id=doctor_id, last_contact_at=at, updated_at=now)],
            update_conflicts=True, unique_fields=["patient", "doctor"], update_fields=["last_contact_at", "updated_at"])


def care_relation_set(*, patient_id: int, doctor_id: int, last_contact_at: dt.datetime | None) -> None:
    """After a contact was withdrawn (an appointment cancelled), the care app recomputes the latest remaining
    contact and sets it here; None removes the relation."""
    if last_contact_at is None:
        CareRelation.objects.filter(patient_id=patient_id, doctor_id=doctor_id).delete()
        return
    updated = CareRelation.objects.filter(patient_id=patient_id, doctor_id=doctor_id).update(
        last_contact_at=last_contact_at, updated_at=timezone.now())
    if not updated:
        care_relation_record(patient_id=patient_id, doctor_id=doctor_id, at=last_contact_at)


def _doctor(doctor_id: Any) -> User | None:
    return User.objects.filter(pk=doctor_id, role=Role.DOCTOR, is_active=True).first()


def care_grant_create(*, actor: User, patient_id: int, doctor_id: int, reason: str = "",
                      expires_at: dt.datetime | None = None) -> CareGrant:
    """Let another doctor read the patient's record: granted by the patient side, or by a doctor who treats the
    patient (a care relation — not a grant of their own). Raises AccessRefused (audited), ApplicationError,
    Conflict (an active grant exists)."""
    side = acts_for(actor, patient_id)
    if not side:
        treating = doctor_care(actor, patient_id) if actor.role == Role.DOCTOR else side
        if not treating or treating.rule != "care_relation":
            refuse(actor=actor, object_type="care_grant", object_id=patient_id, action=Action.WRITE,
                   reason=treating.reason or Reason.NO_CARE_RELATION, rule="care_grant")
    doctor = _doctor(doctor_id)
    if doctor is None or doctor.pk == actor.pk:
        raise ApplicationError(_("Choose a doctor to share the record with."), code="doctor")
    if expires_at is not None and expires_at <= timezone.now():
        raise ApplicationError(_("The end date must be in the future."), code="expires_at")
    try:
        with transaction.atomic():
            grant = CareGrant.objects.create(patient_id=patient_id, doctor=doctor, granted_by=actor,
                                             reason=(reason or "").strip()[:300], expires_at=expires_at)
    except IntegrityError:  # the partial unique index: one active grant per doctor and patient
        raise Conflict(_("%(doctor)s can already read this record.") % {"doctor": doctor}, code="exists") from None
    patient = User.objects.get(pk=patient_id)
    audit_record(actor=actor, action=AuditAction.GRANT, object_type="care_grant", object_id=grant.pk,
                 subject=patient, detail={"doctor": doctor.pk, "reason": grant.reason})
    notify(user=doctor, kind="care_grant", title=_("A record was shared with you"),
           body=_("You may now read the health record of %(patient)s.") % {"patient": patient.display_name},
           email=False)
    return grant


def care_grant_revoke(*, actor: User, grant_id: int) -> CareGrant:
    """The patient side, or the doctor who granted it, ends a grant. Raises AccessRefused (audited)."""
    grant = CareGrant.objects.filter(pk=grant_id, revoked_at__isnull=True).select_related("patient").first()
    allowed = grant is not None and (acts_for(actor, grant.patient_id).allowed or grant.granted_by_id == actor.pk)
    if not allowed:
        refuse(actor=actor, object_type="care_grant", object_id=grant_id, action=Action.WRITE,
               reason=Reason.NOT_OWN if grant else Reason.NO_SUCH_OBJECT, rule="care_grant",
               subject=grant.patient if grant else None)
    CareGrant.objects.filter(pk=grant.pk, revoked_at__isnull=True).update(revoked_at=timezone.now(),
                                                                          revoked_by=actor)
    grant.refresh_from_db()
    audit_record(actor=actor, action=AuditAction.REVOKE, object_type="care_grant", object_id=grant.pk,
                 subject=grant.patient, detail={"doctor": grant.doctor_id})
    return grant


def break_glass_minutes() -> int:
    return int(getattr(settings, "BREAK_GLASS_MINUTES", 120))


def break_glass_open(*, actor: User, patient_id: int, reason: str) -> BreakGlassAccess:
    """Emergency access to a record without a care relation: a doctor (or an administrator) gives a reason;
    the access lasts BREAK_GLASS_MINUTES, is audited as its own event, is shown to the patient (and notified)
    and waits for an administrator's review. Raises RoleRefused/AccessRefused (audited), ApplicationError
    (no reason: refused and audited as well)."""
    require(can(actor, "break_glass.open"), actor=actor, object_type="break_glass", object_id=patient_id,
            action=Action.READ, status=403)
    patient = User.objects.filter(pk=patient_id, role=Role.PATIENT).first()
    if patient is None:
        refuse(actor=actor, object_type="break_glass", object_id=patient_id, reason=Reason.NO_SUCH_OBJECT,
               rule="break_glass", message=_("No patient with this record number."))
    reason = " ".join((reason or "").split())
    if len(reason) < BREAK_GLASS_MIN_REASON:
        refuse(actor=actor, object_type="break_glass", object_id=patient.pk, reason=Reason.REASON_REQUIRED,
               rule="break_glass", subject=patient, status=400,
               message=_("Say why this is an emergency (at least %(n)d characters).") % {"n": BREAK_GLASS_MIN_REASON})
    now = timezone.now()
    access = BreakGlassAccess.objects.create(actor=actor, patient=patient, reason=reason[:2000], opened_at=now,
                                             expires_at=now + dt.timedelta(minutes=break_glass_minutes()))
    audit_record(actor=actor, action=AuditAction.BREAK_GLASS, object_type="health_record", object_id=patient.pk,
                 subject=patient, detail={"reason": access.reason, "until": access.expires_at.isoformat(),
                                          "access": access.pk})
    notify(user=patient, kind="break_glass", title=_("Emergency access to your record"),
           body=_("%(who)s opened your health record in an emergency: “%(reason)s”. You can see every access "
                  "on your access page.") % {"who": actor.display_name, "reason": access.reason},
           url="/me/access-log/")
    forget(actor)
    return access


def break_glass_review(*, actor: User, access_id: int, note: str = "") -> BreakGlassAccess:
    """An administrator marks an emergency access as reviewed. Raises RoleRefused/AccessRefused (audited)."""
    require(can(actor, "break_glass.review"), actor=actor, object_type="break_glass", object_id=access_id,
            action=Action.WRITE, status=403)
    access = BreakGlassAccess.objects.filter(pk=access_id).select_related("patient").first()
    if access is None:
        refuse(actor=actor, object_type="break_glass", object_id=access_id, action=Action.WRITE,
               reason=Reason.NO_SUCH_OBJECT, rule="break_glass")
    BreakGlassAccess.objects.filter(pk=access.pk).update(reviewed_by=actor, reviewed_at=timezone.now(),
                                                         review_note=(note or "").strip()[:300])
    access.refresh_from_db()
    audit_record(actor=actor, action=AuditAction.UPDATE, object_type="break_glass", object_id=access.pk,
                 subject=access.patient, detail={"reviewed": True})
    return access
