from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError

from ..audit import audit_record
from ..models import AuditAction, Consent, ConsentKind, User


@transaction.atomic
def consent_grant(*, user: User, kind: str, by: User | None = None) -> Consent:
    """Grant consent of one kind. Granting twice keeps the first active grant. Raises ApplicationError."""
    if kind not in ConsentKind.values:
        raise ApplicationError(_("Unknown kind of consent."))
    existing = Consent.objects.filter(user=user, kind=kind, withdrawn_at__isnull=True).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            consent = Consent.objects.create(user=user, kind=kind, granted_by=by or user)
    except IntegrityError:  # a concurrent grant won the partial unique index: keep that one
        return Consent.objects.get(user=user, kind=kind, withdrawn_at__isnull=True)
    audit_record(actor=by or user, action=AuditAction.CREATE, object_type="consent", object_id=consent.pk,
                 subject=user, detail={"kind": kind})
    return consent


@transaction.atomic
def consent_withdraw(*, user: User, kind: str, by: User | None = None) -> int:
    """Withdraw an active consent. Returns how many grants were withdrawn (0 when none was active)."""
    count = Consent.objects.filter(user=user, kind=kind, withdrawn_at__isnull=True).update(withdrawn_at=timezone.now())
    if count:
        audit_record(actor=by or user, action=AuditAction.UPDATE, object_type="consent", object_id=kind,
                     subject=user, detail={"kind": kind, "withdrawn": True})
    return count
