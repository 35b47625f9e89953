"""Retention and traceability (docs/compliance.md): how long each kind of record is kept, the nightly report of
what is past its period (for review — it deletes nothing), the answer to a PIPL deletion request, and the
regulator/hospital export of consultations, prescriptions and reviews.

Periods: records of online consultations (encounters, consultation threads, prescriptions, pharmacist reviews)
≥ 15 years; their messages, images and audio/video ≥ 3 years (《互联网诊疗监管细则（试行）》(2022), wording verified
in the Tianjin implementing measures' 第二十一条, see docs/compliance.md). Periods are settings
(RETENTION_CONSULTATION_YEARS, RETENTION_MESSAGE_YEARS) only so a hospital can keep longer; the defaults are the
legal minimum. Withdrawal of consent stops processing (accounts.services.consent); nothing
clinical is deleted before its period ends.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import Notification, User
from accounts.services import audit_record
from consult.models import (
    ONLINE_KINDS,
    AcceptedPriorRecord,
    Appointment,
    ConsultationMessage,
    ConsultationThread,
    Encounter,
)
from core.errors import ApplicationError

from ..models import HealthDocument, Observation, Prescription, PrescriptionReview, RetentionReport


def consultation_years() -> int:
    return int(getattr(settings, "RETENTION_CONSULTATION_YEARS", 15))


def message_years() -> int:
    return int(getattr(settings, "RETENTION_MESSAGE_YEARS", 3))


def _years_before(now: dt.datetime, years: int) -> dt.datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def _years_after(at: dt.datetime, years: int) -> dt.datetime:
    try:
        return at.replace(year=at.year + years)
    except ValueError:
        return at.replace(year=at.year + years, day=28)


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    years: int
    queryset: QuerySet[Any]
    field: str


def categories() -> list[Category]:
    long, short = consultation_years(), message_years()
    return [
        Category("encounters", _("Consultation records (encounters)"), long, Encounter.objects.all(), "occurred_at"),
        Category("consultations", _("Online consultations"), long, ConsultationThread.objects.all(), "created_at"),
        Category("prescriptions", _("Prescriptions"), long, Prescription.objects.all(), "issued_at"),
        Category("reviews", _("Pharmacist reviews"), long, PrescriptionReview.objects.all(), "at"),
        Category("messages", _("Consultation messages"), short,
                 ConsultationMessage.objects.filter(attachment_path=""), "created_at"),
        Category("attachments", _("Consultation images and files"), short,
                 ConsultationMessage.objects.exclude(attachment_path=""), "created_at"),
    ]


def retention_report_run(*, now: dt.datetime | None = None) -> RetentionReport:
    """Count, per category, the rows older than their retention period, keep the report of the night (a second
    run the same night replaces it) and tell the administrators when anything is due for review. Deletes
    nothing. Idempotent."""
    now = now or timezone.now()
    findings: dict[str, Any] = {}
    for cat in categories():
        cutoff = _years_before(now, cat.years)
        due = cat.queryset.filter(**{f"{cat.field}__lt": cutoff})
        oldest = due.aggregate(oldest=Min(cat.field))["oldest"]
        findings[cat.code] = {"retention_years": cat.years, "cutoff": cutoff.isoformat(), "count": due.count(),
                              "oldest": oldest.isoformat() if oldest else None,
                              "sample_ids": list(due.order_by(cat.field).values_list("pk", flat=True)[:20])}
    total = sum(f["count"] for f in findings.values())
    with transaction.atomic():
        report, _created = RetentionReport.objects.update_or_create(run_on=timezone.localdate(now),
                                                                    defaults={"findings": findings})
        audit_record(actor=None, action="read", object_type="retention_report", object_id=report.pk,
                     detail={"due": total})
        if total:
            from accounts.services import notify

            for admin in User.objects.filter(role="admin", is_active=True):
                notify(user=admin, kind="retention", title=_("%(count)d records are past their retention period")
                       % {"count": total}, body=_("Review them; nothing was deleted."),
                       dedupe_key=f"retention:{report.run_on}:{admin.pk}", email=False)
    return report


# --- PIPL deletion request ---------------------------------------------------------------------------------

def deletion_request_answer(*, user: User, now: dt.datetime | None = None) -> dict[str, Any]:
    """What of the user's data can be deleted now and what the law keeps until when (PIPL 第四十七条: deletion
    when the purpose is achieved or consent withdrawn, unless a law sets a retention period that has not
    ended — then processing stops except storage and protection). Audited as a request; deletes nothing by
    itself (an administrator carries it out)."""
    now = now or timezone.now()
    long, short = consultation_years(), message_years()
    accepted_documents = set(AcceptedPriorRecord.objects.filter(patient=user).exclude(document_id=None)
                             .values_list("document_id", flat=True))
    documents = HealthDocument.objects.filter(patient=user)
    deletable = [
        {"what": _("In-app notifications"), "count": Notification.objects.filter(user=user).count()},
        {"what": _("Your own measurements (not written by a doctor)"),
         "count": Observation.objects.filter(patient=user, source="patient").count()},
        {"what": _("Documents you uploaded that no doctor relied on"),
         "count": documents.exclude(pk__in=accepted_documents).count()},
    ]
    kept = []
    for label, qs, field, years in (
        (_("Consultation records (encounters)"), Encounter.objects.filter(patient=user), "occurred_at", long),
        (_("Online consultations"), ConsultationThread.objects.filter(appointment__patient=user), "created_at", long),
        (_("Prescriptions and their pharmacist reviews"), Prescription.objects.filter(patient=user), "issued_at", long),
        (_("Documents a doctor accepted as a prior diagnosis"), documents.filter(pk__in=accepted_documents),
         "created_at", long),
        (_("Consultation messages, images and files"),
         ConsultationMessage.objects.filter(thread__appointment__patient=user), "created_at", short),
    ):
        latest = qs.aggregate(latest=Max(field))["latest"]
        count = qs.count()
        if count:
            kept.append({"what": label, "count": count, "years": years,
                         "kept_until": timezone.localdate(_years_after(latest, years)).isoformat()})
    audit_record(actor=user, action="read", object_type="deletion_request", object_id=user.pk, subject=user,
                 detail={"deletable": [d["count"] for d in deletable], "kept": len(kept)})
    return {"asked_at": now.isoformat(), "deletable_now": deletable, "kept": kept}


# --- regulator / hospital export ---------------------------------------------------------------------------

EXPORT_KINDS = ("consultations", "prescriptions", "reviews")


def _rows(kind: str, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    lo = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    hi = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    if kind == "consultations":
        qs = (Appointment.objects.filter(kind__in=ONLINE_KINDS, start__gte=lo, start__lt=hi)
              .select_related("thread").order_by("start", "id"))
        return [{"appointment": a.pk, "patient": a.patient_id, "doctor": a.doctor_id, "start": a.start.isoformat(),
                 "status": a.status, "follow_up_of": getattr(getattr(a, "thread", None), "follow_up_code_id", None)
                 or "", "outcome": getattr(getattr(a, "thread", None), "outcome", "") or ""} for a in qs]
    if kind == "prescriptions":
        from .rx_rules import prescription_verify

        qs = (Prescription.objects.filter(issued_at__gte=lo, issued_at__lt=hi).prefetch_related("items")
              .order_by("issued_at", "id"))
        return [{"prescription": rx.pk, "patient": rx.patient_id, "doctor": rx.doctor_id,
                 "issued_at": rx.issued_at.isoformat(), "valid_until": rx.valid_until.isoformat(),
                 "online": rx.is_online, "follow_up_of": rx.follow_up_code, "chronic_long": rx.is_chronic_long,
                 "status": rx.status, "review_status": rx.review_status, "replaces": rx.replaces_id or "",
                 "drugs": ";".join(str(i.drug_id) for i in rx.items.all()),
                 "content_hash": rx.content_hash, "signature_valid": prescription_verify(rx).valid} for rx in qs]
    qs = PrescriptionReview.objects.filter(at__gte=lo, at__lt=hi).order_by("at", "id")
    return [{"review": r.pk, "prescription": r.prescription_id, "pharmacist": r.pharmacist_id,
             "decision": r.decision, "reason": r.reason, "at": r.at.isoformat(), "content_hash": r.content_hash}
            for r in qs]


def regulator_export(*, actor: User, kind: str, start: dt.date, end: dt.date, fmt: str) -> tuple[str, str]:
    """(content type, body) of the export of `kind` for [start, end] (local dates), CSV or JSON. Administrators
    only (RoleRefused, audited, otherwise); every export is audited."""
    policy.require(policy.can(actor, "audit.read"), actor=actor, object_type="regulator_export",
                   action=policy.Action.READ, status=403, message=_("Only administrators can export."))
    if kind not in EXPORT_KINDS or fmt not in ("csv", "json"):
        raise ApplicationError(_("Choose consultations, prescriptions or reviews, as CSV or JSON."),
                               code="export_kind")
    if end < start or (end - start).days > 366:
        raise ApplicationError(_("Choose a date range of at most a year."), code="export_range")
    rows = _rows(kind, start, end)
    audit_record(actor=actor, action="export", object_type="regulator_export", object_id=kind,
                 detail={"start": start.isoformat(), "end": end.isoformat(), "rows": len(rows), "format": fmt})
    if fmt == "json":
        return "application/json", json.dumps({"kind": kind, "start": start.isoformat(), "end": end.isoformat(),
                                               "rows": rows}, ensure_ascii=False, indent=1)
    out = io.StringIO()
    fields = list(rows[0]) if rows else ["empty"]
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    return "text/csv; charset=utf-8", out.getvalue()
