"""Compliance pages (issue 20): a patient's PIPL deletion request, the administrators' regulator export, and a
doctor accepting an uploaded record as a prior in-person diagnosis."""
from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.policy import access, page
from core.errors import ApplicationError
from core.pages import flash_error

from ..services import retention
from ..services.followup import document_accept_as_prior_diagnosis


@access("own")
@page()
def deletion_request(request: HttpRequest) -> HttpResponse:
    """GET shows what a deletion request would cover; POST asks (audited) and shows the answer."""
    answer = retention.deletion_request_answer(user=request.user) if request.method == "POST" else None
    return render(request, "records/deletion_request.html", {"answer": answer})


@access("admin")
@page()
def regulator_export(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    if "kind" not in request.GET:
        return render(request, "records/regulator_export.html", {"kinds": retention.EXPORT_KINDS, "today": today})
    start = parse_date(request.GET.get("start") or "") or today.replace(day=1)
    end = parse_date(request.GET.get("end") or "") or today
    try:
        content_type, body = retention.regulator_export(actor=request.user, kind=request.GET.get("kind", ""),
                                                        start=start, end=end, fmt=request.GET.get("format", "csv"))
    except ApplicationError as exc:
        flash_error(request, exc)
        return redirect("records:regulator-export")
    response = HttpResponse(body, content_type=content_type)
    extension = "json" if content_type.startswith("application/json") else "csv"
    response["Content-Disposition"] = (f'attachment; filename="{request.GET.get("kind")}-{start}-{end}.{extension}"')
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@access("patient_record")
@page("prescription.write")
def document_accept(request: HttpRequest, document_id: int) -> HttpResponse:
    try:
        record = document_accept_as_prior_diagnosis(
            doctor=request.user, document_id=document_id, code=request.POST.get("code", ""),
            kind=request.POST.get("kind", ""), diagnosed_on=parse_date(request.POST.get("diagnosed_on") or ""),
            institution=request.POST.get("institution", ""))
    except ApplicationError as exc:
        flash_error(request, exc)
        return redirect("records:home")
    messages.success(request, _("Accepted as the in-person diagnosis online follow-ups continue."))
    return redirect("records:record", patient_id=record.patient_id)
