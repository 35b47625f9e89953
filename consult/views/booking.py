"""Pages of the booking side: directory, doctor page and booking, my appointments, waitlist, schedules."""
from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import policy
from accounts.models import Role
from accounts.policy import access, page
from core.errors import ApplicationError
from core.pages import flash_error, paginate

from ..forms_booking import BookingForm, LeaveForm, ScheduleForm
from ..selectors import booking as sel
from ..selectors import ratings as rsel
from ..services import booking as svc
from ..services import holds, payments
from ..services import schedules as sched
from ..services import waitlist as wl
from ..services.followups import follow_up_accept


@access("public")
def directory(request: HttpRequest) -> HttpResponse:
    """Public, searchable list of doctors with their next free slot."""
    q = request.GET.get("q", "")
    department = request.GET.get("department", "")
    language = request.GET.get("language", "")
    page = paginate(request, sel.doctor_directory(q=q, department=department, language=language), per_page=20)
    query = "&".join(f"{k}={v}" for k, v in (("q", q), ("department", department), ("language", language)) if v)
    return render(request, "consult/directory.html", {
        "page": page, "q": q, "department": department, "language": language, "query": query,
        "departments": sel.departments(),
        **_recommended(request),
    })


def _recommended(request: HttpRequest) -> dict:
    if not (request.user.is_authenticated and request.user.role == Role.PATIENT):
        return {}
    from ..selectors.recommend import recommendations_for

    recs, cold = recommendations_for(patient=request.user)
    return {"recommended": recs, "cold_start": cold}


@access("public")
def triage_doctors(request: HttpRequest) -> HttpResponse:
    """The bookable doctors of the departments triage suggested (?department=…, best first, at most three), each
    with the next free slot. Loaded by the knowledge app's triage page (htmx): knowledge sits below consult."""
    return render(request, "consult/_triage_doctors.html", {
        "groups": sel.doctors_of_departments(codes=request.GET.getlist("department")[:3])})


@access("public")
def doctor_detail(request: HttpRequest, doctor_id: int) -> HttpResponse:
    doctor = sel.doctor_public(doctor_id=doctor_id)
    if doctor is None:
        raise Http404
    user = request.user if request.user.is_authenticated and request.user.role == Role.PATIENT else None
    slots = list(sel.doctor_slots_free(doctor_id=doctor.pk, for_patient=user))
    # The slot picker: a strip of days with their morning / afternoon places, then the chosen day's times
    # (?day=…; htmx swaps only the times, a plain link reloads the page).
    strip = sel.slot_day_strip(slots, today=timezone.localdate())
    day = sel.slot_day_pick(strip, request.GET.get("day"))
    times = [s for s in slots if timezone.localtime(s.start).date() == day]
    picker = {"doctor": doctor, "strip": strip, "day": day,
              "morning": [s for s in times if timezone.localtime(s.start).hour < sel.NOON],
              "afternoon": [s for s in times if timezone.localtime(s.start).hour >= sel.NOON]}
    if request.htmx:
        return render(request, "consult/_slot_picker.html", picker)
    return render(request, "consult/doctor_detail.html", {
        **picker, "has_slots": bool(slots), "form": BookingForm(),
        "patients": policy.patient_side_ids(user) if user else [],
        "rating": rsel.doctor_rating_summary(doctor_id=doctor.pk),
        "reviews": paginate(request, rsel.doctor_reviews_public(doctor_id=doctor.pk), per_page=10),
        "is_this_doctor": request.user.is_authenticated and request.user.pk == doctor.pk,
    })


def _patient_from(request: HttpRequest, raw: object):  # type: ignore[no-untyped-def]
    if not raw:
        return request.user
    from accounts.models import User

    patient = User.objects.filter(pk=raw).first()
    policy.require(policy.acts_for(request.user, patient.pk) if patient else
                   policy.deny(policy.Reason.NO_SUCH_OBJECT, "patient_side"),
                   actor=request.user, object_type="patient", object_id=raw, action=policy.Action.WRITE,
                   subject=patient, message=_("Patient not found."))
    return patient


@require_POST
@access("public", body={"patient": "patient"}, body_rule="patient_side")
@page("booking.book")
def book(request: HttpRequest, doctor_id: int) -> HttpResponse:
    svc.booking_check(booked_by=request.user, patient_id=request.POST.get("patient"))
    form = BookingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please give a reason for the visit and pick a time."))
        return redirect("consult:doctor_detail", doctor_id=doctor_id)
    try:
        appointment = svc.appointment_book(
            booked_by=request.user, patient=_patient_from(request, form.cleaned_data["patient"]),
            slot_id=form.cleaned_data["slot"], reason=form.cleaned_data["reason"],
            symptoms=form.cleaned_data["symptoms"],
        )
    except ApplicationError as exc:
        flash_error(request, exc)
        return redirect("consult:doctor_detail", doctor_id=doctor_id)
    if appointment.status == "pending_payment":
        messages.success(request, _("This time is held for you until %(until)s. Pay the fee to confirm it.")
                         % {"until": date_format(localtime(appointment.hold_expires_at), "H:i")})
    else:
        messages.success(request, _("Your appointment is booked."))
    return redirect("consult:appointment_detail", appointment_id=appointment.pk)


@require_POST
@access("public", body={"patient": "patient"}, body_rule="patient_side")
@page("waitlist.use")
def waitlist_join(request: HttpRequest, doctor_id: int) -> HttpResponse:
    svc.booking_check(booked_by=request.user, patient_id=request.POST.get("patient"))
    try:
        wl.waitlist_join(user=request.user, patient=_patient_from(request, request.POST.get("patient")),
                         doctor_id=doctor_id, reason=request.POST.get("reason", ""))
    except ApplicationError as exc:
        flash_error(request, exc)
        return redirect("consult:doctor_detail", doctor_id=doctor_id)
    messages.success(request, _("You are on the waitlist. We will offer you the first slot that becomes free."))
    return redirect("consult:waitlist")


@access("own")
@page("waitlist.use")
def waitlist(request: HttpRequest) -> HttpResponse:
    entries = list(sel.waitlist_of(request.user))
    for entry in entries:
        entry.position = sel.waitlist_position(entry)
    return render(request, "consult/waitlist.html", {"entries": entries})


@require_POST
@access("patient_side", objects={"entry_id": "waitlist_entry"})
@page("waitlist.use")
def waitlist_leave(request: HttpRequest, entry_id: int) -> HttpResponse:
    try:
        wl.waitlist_leave(user=request.user, entry_id=entry_id)
    except ApplicationError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("You left the waitlist."))
    return redirect("consult:waitlist")


@access("own")
@page()
def my_appointments(request: HttpRequest) -> HttpResponse:
    if request.user.role == Role.DOCTOR:
        return redirect("consult:console")
    policy.require(policy.can(request.user, "booking.book"), actor=request.user, object_type="page",
                   object_id=request.path, status=403)
    when = "past" if request.GET.get("when") == "past" else "upcoming"
    page = paginate(request, sel.appointments_of_patient_side(request.user, when=when))
    return render(request, "consult/my_appointments.html", {
        "page": page, "when": when, "query": f"when={when}",
        "proposals": sel.follow_ups_open_of(request.user),
    })


@access("appointment_party")
@page()
def appointment_detail(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = sel.appointment_for(actor=request.user, appointment_id=appointment_id)
    reschedule_slots = []
    if request.user.role == Role.PATIENT and appointment.status in ("booked", "pending_payment"):
        reschedule_slots = list(sel.doctor_slots_free(doctor_id=appointment.doctor_id, for_patient=appointment.patient)[:30])
    return render(request, "consult/appointment_detail.html", {
        "appointment": appointment, "reschedule_slots": reschedule_slots,
        "pay_key": uuid.uuid4().hex, "refunds": sel.refunds_of(appointment),
        "refund_cutoff_hours": f"{payments.refund_cutoff().total_seconds() / 3600:g}",
        "encounter": sel.encounter_of(appointment),
        "can_change": appointment.status in ("booked", "pending_payment") and request.user.role == Role.PATIENT,
        "rating": rsel.rating_of(appointment),
    })


@require_POST
@access("patient_side", objects={"appointment_id": "appointment"})
@page("booking.book")
def appointment_cancel(request: HttpRequest, appointment_id: int) -> HttpResponse:
    try:
        svc.appointment_cancel(user=request.user, appointment_id=appointment_id, reason=request.POST.get("reason", ""))
    except ApplicationError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Your appointment was cancelled."))
    return redirect("consult:appointment_detail", appointment_id=appointment_id)


@require_POST
@access("patient_side", objects={"appointment_id": "appointment"})
@page("booking.book")
def appointment_pay(request: HttpRequest, appointment_id: int) -> HttpResponse:
    try:
        holds.appointment_pay(user=request.user, appointment_id=appointment_id,
                              idempotency_key=request.POST.get("idempotency_key", ""))
    except ApplicationError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Paid. Your appointment is booked."))
    return redirect("consult:appointment_detail", appointment_id=appointment_id)


@require_POST
@access("patient_side", objects={"appointment_id": "appointment"})
@page("booking.book")
def appointment_reschedule(request: HttpRequest, appointment_id: int) -> HttpResponse:
    try:
        new = svc.appointment_reschedule(user=request.user, appointment_id=appointment_id,
                                         new_slot_id=int(request.POST.get("slot") or 0))
    except (ApplicationError, ValueError) as exc:
        if isinstance(exc, ApplicationError):
            flash_error(request, exc)
        return redirect("consult:appointment_detail", appointment_id=appointment_id)
    messages.success(request, _("Your appointment was moved."))
    return redirect("consult:appointment_detail", appointment_id=new.pk)


@require_POST
@access("patient_side", objects={"proposal_id": "follow_up"})
@page("booking.book")
def follow_up_accept_view(request: HttpRequest, proposal_id: int) -> HttpResponse:
    try:
        appointment = follow_up_accept(user=request.user, proposal_id=proposal_id,
                                       slot_id=int(request.POST.get("slot") or 0))
    except ApplicationError as exc:
        flash_error(request, exc)
        return redirect("consult:my_appointments")
    messages.success(request, _("Your follow-up appointment is booked."))
    return redirect("consult:appointment_detail", appointment_id=appointment.pk)


@access("own", body={"schedule_id": "schedule"}, body_rule="owner", samples={"form": "remove"})
@page("schedule.manage")
def schedule(request: HttpRequest) -> HttpResponse:
    form = ScheduleForm(request.POST if request.POST.get("form") == "schedule" else None)
    leave_form = LeaveForm(request.POST if request.POST.get("form") == "leave" else None)
    if request.method == "POST":
        try:
            if request.POST.get("form") == "schedule" and form.is_valid():
                sched.schedule_add(doctor=request.user, **form.cleaned_data)
                messages.success(request, _("Schedule saved; slots were generated."))
                return redirect("consult:schedule")
            if request.POST.get("form") == "leave" and leave_form.is_valid():
                sched.leave_add(doctor=request.user, day=leave_form.cleaned_data["date"],
                                reason=leave_form.cleaned_data["reason"])
                messages.success(request, _("Leave day saved; its free slots are no longer offered."))
                return redirect("consult:schedule")
            if request.POST.get("form") == "remove":
                sched.schedule_remove(doctor=request.user, schedule_id=int(request.POST.get("schedule_id") or 0))
                messages.success(request, _("Schedule removed."))
                return redirect("consult:schedule")
        except ApplicationError as exc:
            flash_error(request, exc)
    return render(request, "consult/schedule.html", {
        "form": form, "leave_form": leave_form,
        "schedules": sel.schedules_of(request.user), "leave_days": sel.leave_days_of(request.user),
    })
