from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError

from ..audit import audit_record
from ..models import AuditAction, Consent, ConsentKind, User

# The version of each text a person agrees to (PIPL: separate consent per purpose, renewed when the purpose or
# the processing changes). Bump a version when its text changes: earlier grants then no longer count as
# current, and the consents page asks again.
CONSENT_VERSIONS: dict[str, str] = {
    ConsentKind.PRIVACY_NOTICE: "2026-12",
    ConsentKind.DATA_PROCESSING: "2026-12",
    ConsentKind.RARE_CASE_SHARING: "2026-12",
    ConsentKind.PORTRAITS: "2026-12",
}


@transaction.atomic
def consent_grant(*, user: User, kind: str, by: User | None = None) -> Consent:
    """Grant consent of one kind, to the current version of its text. Granting twice keeps the active grant of
    the current version; a grant of an older version is closed and a new one recorded. Raises ApplicationError."""
    if kind not in ConsentKind.values:
        raise ApplicationError(_("Unknown kind of consent."))
    version = CONSENT_VERSIONS[kind]
    existing = Consent.objects.filter(user=user, kind=kind, withdrawn_at__isnull=True).first()
    if existing and existing.version == version:
        return existing
    if existing:  # agreed to an earlier text: that grant ends where the new one starts
        Consent.objects.filter(pk=existing.pk).update(withdrawn_at=timezone.now())
    try:
        with transaction.atomic():
            consent = Consent.objects.create(user=user, kind=kind, granted_by=by or user, version=version)
    except IntegrityError:  # a concurrent grant won the partial unique index: keep that one
        return Consent.objects.get(user=user, kind=kind, withdrawn_at__isnull=True)
    audit_record(actor=by or user, action=AuditAction.CREATE, object_type="consent", object_id=consent.pk,
                 subject=user, detail={"kind": kind, "version": version})
    return consent


@transaction.atomic
def consent_withdraw(*, user: User, kind: str, by: User | None = None) -> int:
    """Withdraw an active consent. Returns how many grants were withdrawn (0 when none was active)."""
    count = Consent.objects.filter(user=user, kind=kind, withdrawn_at__isnull=True).update(withdrawn_at=timezone.now())
    if count:
        audit_record(actor=by or user, action=AuditAction.UPDATE, object_type="consent", object_id=kind,
                     subject=user, detail={"kind": kind, "withdrawn": True})
    return count


def consent_is_current(*, user: User, kind: str) -> bool:
    """An active grant of the current version of the text."""
    return Consent.objects.filter(user=user, kind=kind, withdrawn_at__isnull=True,
                                  version=CONSENT_VERSIONS[kind]).exists()


def processing_withdrawn(*, user: User) -> bool:
    """The person withdrew consent to the processing of their health data (and has not given it again): new
    processing stops — no new online visits — while what the law requires is kept (docs/compliance.md)."""
    consents = Consent.objects.filter(user=user, kind=ConsentKind.DATA_PROCESSING)
    return consents.exists() and not consents.filter(withdrawn_at__isnull=True).exists()
