"""Pages of encounters: record / amend (the author), read (audited), ICD-10 type-ahead."""
from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.policy import access, page
from core.errors import ApplicationError
from core.pages import flash_error
from knowledge.selectors import triage_records_visible

from ..forms_booking import EncounterForm
from ..models import Encounter
from ..services import encounters as svc
from ..services.booking import appointment_for_doctor
from ..services.encounters import NOTE_FIELDS
from ..services.icd10 import icd10_search


@access("appointment_doctor")
@page("encounter.write")
def encounter_edit(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = appointment_for_doctor(doctor=request.user, appointment_id=appointment_id)
    encounter = Encounter.objects.filter(appointment=appointment).prefetch_related("diagnoses").first()
    initial = {}
    if encounter is not None:
        initial = {f: getattr(encounter, f) for f in NOTE_FIELDS}
        initial["diagnoses"] = ", ".join(d.code_id for d in encounter.diagnoses.order_by("-is_primary", "id"))
    form = EncounterForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        notes = {f: form.cleaned_data[f] for f in NOTE_FIELDS}
        codes = svc.diagnosis_codes_split(form.cleaned_data["diagnoses"])
        try:
            if encounter is None:
                encounter = svc.encounter_record(doctor=request.user, appointment_id=appointment.pk, notes=notes,
                                                 diagnoses=codes)
                messages.success(request, _("Encounter saved."))
            else:
                svc.encounter_amend(user=request.user, encounter_id=encounter.pk, notes=notes, diagnoses=codes,
                                    reason=form.cleaned_data["reason"])
                messages.success(request, _("Encounter amended; the previous version is kept."))
        except ApplicationError as exc:
            flash_error(request, exc)
        else:
            return redirect("consult:encounter_detail", encounter_id=encounter.pk)
    return render(request, "consult/encounter_form.html", {
        "form": form, "appointment": appointment, "encounter": encounter,
        # The field's codes by name: the saved ones, or what was typed when the form comes back with an error.
        "current_codes": svc.diagnoses_known(form["diagnoses"].value() or ""),
        "triage_records": triage_records_visible(request.user, patient=appointment.patient),
    })


@require_GET
@access("patient_record")
@page("records.use")
def encounter_detail(request: HttpRequest, encounter_id: int) -> HttpResponse:
    """Read-only (changes go through the author's form at the appointment): a POST answers 405."""
    encounter = svc.encounter_read(user=request.user, encounter_id=encounter_id)
    return render(request, "consult/encounter_detail.html", {
        "encounter": encounter, "can_amend": encounter.doctor_id == request.user.pk and encounter.appointment_id,
    })


@access("public")
@page("icd10.lookup")
def icd10_lookup(request: HttpRequest) -> HttpResponse:
    """Type-ahead (htmx): codes whose code or English/Chinese name matches ?q=."""
    return render(request, "consult/_icd10_results.html", {"codes": icd10_search(request.GET.get("q", ""))})


