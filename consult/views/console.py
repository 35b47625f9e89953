"""The doctor console: today's queue, the selected patient's summary, one-click actions."""
from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.policy import access, page
from core.errors import ApplicationError
from core.pages import flash_error

from ..selectors import console as sel
from ..services import booking as svc
from ..services.followups import follow_up_propose

# Rows per queue group on the page (the counts are always the whole day's; "show all" lists every row). 25 keeps
# the next patients of each group on one screen; measured (bench/booking.py, 1,000 appointments that day)
# 50 rows cost ~0.8 ms more CPU per page in-process.
QUEUE_PAGE = 25


@access("own")
@page("console.use")
def console(request: HttpRequest) -> HttpResponse:
    try:
        day = date.fromisoformat(request.GET["day"]) if request.GET.get("day") else timezone.localdate()
    except ValueError:
        day = timezone.localdate()
    show_all = request.GET.get("all") == "1"
    # Each group shows its first QUEUE_PAGE rows unless ?all=1: a long day stays a fast page.
    groups, counts = sel.console_day(doctor=request.user, day=day, limit=None if show_all else QUEUE_PAGE)
    selected = sel.console_selected(doctor=request.user, appointment_id=request.GET.get("a"))
    encounters = sel.recent_encounters(actor=request.user, patient_id=selected.patient_id) if selected else []
    return render(request, "consult/console.html", {
        "groups": [(key, groups[key], counts[key]) for key in sel.QUEUE_GROUPS],
        "show_all": show_all, "day": day, "selected": selected, "selected_pk": selected.pk if selected else None,
        "recent_encounters": encounters, "total": sum(counts.values()),
        "day_param": f"&day={day.isoformat()}" if request.GET.get("day") else "",
    })


def _back(request: HttpRequest, appointment_id: int) -> HttpResponse:
    return redirect(f"{reverse('consult:console')}?a={appointment_id}")


@require_POST
@access("appointment_doctor", samples={"action": "check_in"})
@page("console.use")
def appointment_action(request: HttpRequest, appointment_id: int) -> HttpResponse:
    action = request.POST.get("action", "")
    try:
        if action == "cancel":
            svc.appointment_doctor_cancel(doctor=request.user, appointment_id=appointment_id,
                                          reason=request.POST.get("reason", ""))
            messages.success(request, _("The appointment was cancelled and the patient was told."))
        elif action == "follow_up":
            proposal = follow_up_propose(doctor=request.user, appointment_id=appointment_id,
                                         note=request.POST.get("note", ""))
            messages.success(request, _("Follow-up proposed: %(n)s times were sent to the patient.")
                             % {"n": proposal.slots.count()})
        else:
            svc.appointment_set_status(doctor=request.user, appointment_id=appointment_id, action=action)
    except ApplicationError as exc:
        flash_error(request, exc)
    return _back(request, appointment_id)
