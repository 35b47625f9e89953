"""Pages of online consultations: the thread, htmx polling, private attachments, closing."""
from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import policy
from accounts.policy import access, page
from core.errors import ApplicationError
from core.pages import flash_error

from ..services import consultation as svc
from ..services import followup


@access("appointment_party")
@page("consultation.use")
def consultation(request: HttpRequest, appointment_id: int) -> HttpResponse:
    if request.method == "POST":
        svc.thread_for(user=request.user, appointment_id=appointment_id, action=policy.Action.WRITE)
        upload = request.FILES.get("attachment")
        try:
            svc.message_post(
                user=request.user, appointment_id=appointment_id, body=request.POST.get("body", ""),
                upload=svc.Upload(name=upload.name, size=upload.size, file=upload) if upload else None,
            )
        except ApplicationError as exc:
            flash_error(request, exc)
        return redirect("consult:consultation", appointment_id=appointment_id)
    thread, thread_messages = svc.consultation_read(user=request.user, appointment_id=appointment_id)
    thread_messages = list(thread_messages)
    return render(request, "consult/consultation.html", {
        "thread": thread, "appointment": thread.appointment, "thread_messages": thread_messages,
        "last_id": thread_messages[-1].pk if thread_messages else 0,
        "is_open": svc.thread_is_open(thread, timezone.now()),
        "opens_at": svc.thread_opens_at(thread),
        "max_mb": svc.max_attachment_bytes() // (1024 * 1024),
        "follow_up_bases": (followup.followup_bases(patient=thread.appointment.patient)
                            if request.user.pk == thread.appointment.doctor_id else []),
    })


@access("appointment_party")
@page("consultation.use")
def consultation_poll(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """htmx polling: the messages after ?after=<id>, appended out of band, and a fresh poller."""
    try:
        after = int(request.GET.get("after") or 0)
    except ValueError:
        after = 0
    thread, new = svc.consultation_read(user=request.user, appointment_id=appointment_id, after_id=after)
    new = list(new)
    return render(request, "consult/_poll.html", {
        "thread": thread, "appointment": thread.appointment, "new_messages": new,
        "last_id": new[-1].pk if new else after,
    })


@access("appointment_party", objects={"message_id": "consultation_message"})
@page("consultation.use")
def attachment(request: HttpRequest, message_id: int) -> FileResponse:
    stored, message = svc.attachment_open(user=request.user, message_id=message_id)
    response = FileResponse(stored, content_type=message.attachment_type,
                            as_attachment=message.attachment_type == "application/pdf",
                            filename=message.attachment_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


@require_POST
@access("appointment_doctor")
@page("consultation.use")
def consultation_close(request: HttpRequest, appointment_id: int) -> HttpResponse:
    try:
        svc.thread_close(doctor=request.user, appointment_id=appointment_id, summary=request.POST.get("summary", ""))
    except ApplicationError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("The consultation is closed; the patient can read your summary."))
    return redirect("consult:consultation", appointment_id=appointment_id)


@require_POST
@access("appointment_doctor")
@page("consultation.use")
def consultation_follow_up(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """The doctor confirms "follow-up of <diagnosis>" (consult.services.followup.followup_confirm)."""
    try:
        followup.followup_confirm(doctor=request.user, appointment_id=appointment_id,
                                  code=request.POST.get("code", ""))
    except ApplicationError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Follow-up confirmed."))
    return redirect("consult:consultation", appointment_id=appointment_id)


@require_POST
@access("appointment_doctor")
@page("consultation.use")
def consultation_needs_in_person(request: HttpRequest, appointment_id: int) -> HttpResponse:
    try:
        followup.consultation_end_needs_in_person(doctor=request.user, appointment_id=appointment_id,
                                                  reason=request.POST.get("reason", ""))
    except ApplicationError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("The consultation ended; the patient is asked to book an in-person visit."))
    return redirect("consult:consultation", appointment_id=appointment_id)
