"""Medication pages: today's doses with taken/skipped, a dose opened from its notification, pause and times."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.policy import access, page
from core.errors import ApplicationError
from core.pages import flash_error

from ..models import DoseReminder, ReminderPlan
from ..selectors import prescriptions as selectors
from ..services import reminders as services


@access("own")
@page("medication.use")
def medication(request: HttpRequest) -> HttpResponse:
    patient = request.user
    now = timezone.now()
    doses = list(selectors.doses_of(actor=request.user, patient=patient, start=now - dt.timedelta(days=2),
                                    end=now + dt.timedelta(days=1)))
    plans = (ReminderPlan.objects.filter(patient=patient, item__prescription__status="active")
             .select_related("item__drug").order_by("item_id"))
    by_item = selectors.adherence_by_item(actor=request.user, patient=patient)
    return render(request, "records/medication.html", {
        "doses": doses, "plans": [(p, by_item.get(p.item_id)) for p in plans], "now": now,
        "adherence": selectors.adherence_for_patient(actor=request.user, patient=patient),
    })


def _dose_for(request: HttpRequest, dose_id: int) -> DoseReminder:
    return selectors.dose_for(actor=request.user, dose_id=dose_id)


@access("patient_side")
@page("medication.use")
def dose_detail(request: HttpRequest, dose_id: int) -> HttpResponse:
    dose = _dose_for(request, dose_id)
    return render(request, "records/dose.html", {"dose": dose})


@require_POST
@access("patient_side")
@page("medication.use")
def dose_respond(request: HttpRequest, dose_id: int) -> HttpResponse:
    dose = _dose_for(request, dose_id)
    taken = request.POST.get("answer") == "taken"
    try:
        services.dose_respond(dose_id=dose.pk, patient=dose.patient, taken=taken)
    except ApplicationError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Marked as taken.") if taken else _("Marked as skipped."))
    return redirect(request.POST.get("next") if request.POST.get("next", "").startswith("/") else "records:medication")


def _plan_patient(request: HttpRequest, item_id: int):  # type: ignore[no-untyped-def]
    return selectors.plan_for(actor=request.user, item_id=item_id).patient


@require_POST
@access("patient_side", objects={"item_id": "reminder_plan"})
@page("medication.use")
def plan_pause(request: HttpRequest, item_id: int) -> HttpResponse:
    patient = _plan_patient(request, item_id)
    services.reminder_plan_pause(item_id=item_id, patient=patient, paused=request.POST.get("paused") == "1")
    return redirect("records:medication")


@require_POST
@access("patient_side", objects={"item_id": "reminder_plan"})
@page("medication.use")
def plan_times(request: HttpRequest, item_id: int) -> HttpResponse:
    patient = _plan_patient(request, item_id)
    times = [t.strip() for t in request.POST.get("times", "").split(",") if t.strip()]
    try:
        services.reminder_plan_change_times(item_id=item_id, patient=patient, times_of_day=times)
    except ApplicationError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Reminder times changed."))
    return redirect("records:medication")
