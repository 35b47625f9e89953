"""Online consultation threads: who may read and write, attachments checked by content, closing."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import AuditAction, User
from accounts.services import audit_record, notify
from core.errors import ApplicationError, Conflict, NotFound
from platform_site.storage import OverLimit, private_delete, private_open, private_save

from ..models import AppointmentStatus, ConsultationMessage, ConsultationThread, ThreadStatus

# Content sniffing: the first bytes decide the type, never the file name or the browser's Content-Type.
SIGNATURES: list[tuple[bytes, int, str, str]] = [
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"GIF87a", 0, "image/gif", "gif"),
    (b"GIF89a", 0, "image/gif", "gif"),
    (b"%PDF-", 0, "application/pdf", "pdf"),
]


def max_attachment_bytes() -> int:
    return getattr(settings, "CONSULT_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)


def opens_before() -> timedelta:
    return timedelta(minutes=getattr(settings, "CONSULT_THREAD_OPENS_MINUTES", 15))


def sniff(head: bytes) -> tuple[str, str] | None:
    for magic, offset, mime, ext in SIGNATURES:
        if head[offset:offset + len(magic)] == magic:
            return mime, ext
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def thread_for(*, user: User, appointment_id: int, doctor_only: bool = False,
               action: str = policy.Action.READ) -> ConsultationThread:
    """The thread of an appointment the user is a party to (patient side or its doctor; with `doctor_only`,
    its doctor); anyone else is refused (audited) as not found."""
    thread = (ConsultationThread.objects.select_related("appointment__patient", "appointment__doctor",
                                                        "appointment__booked_by")
              .filter(appointment_id=appointment_id).first())
    party = (policy.appointment_party(user, patient_id=thread.appointment.patient_id,
                                      doctor_id=thread.appointment.doctor_id) if thread is not None
             else policy.deny(policy.Reason.NO_SUCH_OBJECT, "appointment_party"))
    decision = policy.appointment_doctor(user, doctor_id=thread.appointment.doctor_id) if (
        thread is not None and doctor_only) else party
    # The patient side may read the thread, so closing it is a 403 for them, not a 404.
    policy.require(decision, actor=user, object_type="consultation", object_id=appointment_id, action=action,
                   subject=thread.appointment.patient if thread else None,
                   status=403 if (doctor_only and party) else 404,
                   message=_("Only the doctor can close a consultation.") if (doctor_only and party)
                   else _("Consultation not found."))
    return thread


def consultation_read(*, user: User, appointment_id: int, after_id: int = 0
                      ) -> tuple[ConsultationThread, QuerySet[ConsultationMessage]]:
    """A party reads the thread (audited); `after_id` returns only newer messages (polling).

    A poll that returns nothing new writes no audit entry: nothing was read.
    """
    thread = thread_for(user=user, appointment_id=appointment_id)
    messages = thread.messages.select_related("sender").filter(pk__gt=after_id).order_by("pk")
    if not after_id or messages.exists():
        audit_record(actor=user, action=AuditAction.READ, object_type="consultation", object_id=thread.pk,
                     subject=thread.appointment.patient, detail={"after": after_id} if after_id else None)
    return thread, messages


def thread_opens_at(thread: ConsultationThread) -> datetime:
    """When the patient and the doctor may start writing: opens_before() ahead of the appointment."""
    return thread.appointment.start - opens_before()


def thread_is_open(thread: ConsultationThread, now: datetime) -> bool:
    return thread.status == ThreadStatus.OPEN and now >= thread_opens_at(thread)


@dataclass
class Upload:
    name: str
    size: int
    file: IO[bytes]


def message_post(*, user: User, appointment_id: int, body: str = "", upload: Upload | None = None,
                 now: datetime | None = None) -> ConsultationMessage:
    """Post a message (and at most one attachment) to a thread the user is a party to.

    Raises NotFound (not a party), Conflict (not open yet / closed / appointment cancelled),
    ApplicationError (empty message, attachment too large or not an image/PDF by content).
    """
    now = now or timezone.now()
    thread = thread_for(user=user, appointment_id=appointment_id, action=policy.Action.WRITE)
    body = (body or "").strip()
    if not body and upload is None:
        raise ApplicationError(_("Write a message or attach a file."), code="empty")
    if len(body) > 5000:
        raise ApplicationError(_("The message is too long (at most 5,000 characters)."), code="too_long")
    if thread.appointment.status in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW):
        raise Conflict(_("This appointment was cancelled."), code="cancelled")
    if thread.status == ThreadStatus.CLOSED:
        raise Conflict(_("This consultation is closed."), code="closed")
    if now < thread.appointment.start - opens_before():
        raise Conflict(_("The consultation opens %(minutes)s minutes before the appointment.")
                       % {"minutes": int(opens_before().total_seconds() // 60)}, code="not_open")
    fields: dict = {}
    if upload is not None:
        fields = _store_attachment(thread, upload)
    try:
        with transaction.atomic():
            message = ConsultationMessage.objects.create(thread=thread, sender=user, body=body, **fields)
    except Exception:
        if fields:
            private_delete(fields["attachment_path"])
        raise
    return message


def _store_attachment(thread: ConsultationThread, upload: Upload) -> dict:
    limit = max_attachment_bytes()
    too_large = _("The file is too large (at most %(mb)s MB).") % {"mb": limit // (1024 * 1024)}
    if upload.size > limit:
        raise ApplicationError(too_large, code="too_large")
    head = upload.file.read(16)
    kind = sniff(head)
    if kind is None:
        raise ApplicationError(_("Only images (JPEG, PNG, GIF, WebP) and PDF files can be attached."),
                               code="bad_type")
    mime, ext = kind

    def chunks() -> Iterator[bytes]:
        yield head
        while chunk := upload.file.read(64 * 1024):
            yield chunk

    try:
        # The private store (a directory, or S3 in production: platform_site.storage); the size is counted
        # while reading because the declared size may lie.
        stored, written = private_save(f"consult/{thread.pk}/{uuid.uuid4().hex}.{ext}", chunks(), limit=limit)
    except OverLimit:
        raise ApplicationError(too_large, code="too_large") from None
    name = get_valid_filename(Path(upload.name or f"attachment.{ext}").name)[:150] or f"attachment.{ext}"
    return {"attachment_path": stored, "attachment_name": name, "attachment_type": mime,
            "attachment_size": written}


def attachment_open(*, user: User, message_id: int) -> tuple[IO[bytes], ConsultationMessage]:
    """The stored file of a message (opened for reading), for one of the thread's two parties only (audited read)."""
    message = (ConsultationMessage.objects.select_related("thread__appointment__patient").filter(pk=message_id)
               .exclude(attachment_path="").first())
    if message is None:
        decision = policy.deny(policy.Reason.NO_SUCH_OBJECT, "appointment_party")
    else:
        decision = policy.appointment_party(user, patient_id=message.thread.appointment.patient_id,
                                            doctor_id=message.thread.appointment.doctor_id)
    policy.require(decision, actor=user, object_type="consultation_attachment", object_id=message_id,
                   subject=message.thread.appointment.patient if message else None, message=_("File not found."))
    thread = message.thread
    stored = private_open(message.attachment_path)
    if stored is None:
        raise NotFound(_("File not found."))
    audit_record(actor=user, action=AuditAction.READ, object_type="consultation_attachment", object_id=message.pk,
                 subject=thread.appointment.patient)
    return stored, message


def thread_close(*, doctor: User, appointment_id: int, summary: str, now: datetime | None = None
                 ) -> ConsultationThread:
    """The doctor closes the thread with a summary the patient sees; the appointment is completed."""
    now = now or timezone.now()
    thread = thread_for(user=doctor, appointment_id=appointment_id, doctor_only=True, action=policy.Action.WRITE)
    summary = (summary or "").strip()
    if not summary:
        raise ApplicationError(_("Please write a summary for the patient."), extra={"summary": [_("Required.")]})
    with transaction.atomic():
        thread = ConsultationThread.objects.select_for_update().select_related("appointment").get(pk=thread.pk)
        if thread.status == ThreadStatus.CLOSED:
            raise Conflict(_("This consultation is closed."), code="closed")
        thread.status = ThreadStatus.CLOSED
        thread.summary = summary
        thread.closed_at = now
        thread.save(update_fields=["status", "summary", "closed_at"])
        appointment = thread.appointment
        if appointment.status in (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN,
                                  AppointmentStatus.IN_PROGRESS):
            appointment.status = AppointmentStatus.COMPLETED
            appointment.save(update_fields=["status", "updated_at"])
        recipient = appointment.booked_by
        with translation.override(recipient.preferred_language or "en"):
            notify(user=recipient, kind="consultation_closed",
                   title=_("Your consultation with %(doctor)s is closed") % {"doctor": doctor.display_name},
                   body=_("Read the doctor's summary on the consultation page."),
                   url=reverse("consult:consultation", args=[appointment.pk]),
                   dedupe_key=f"consult:thread-closed:{thread.pk}")
    return thread
