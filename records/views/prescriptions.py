"""Prescription pages: the doctor writes one in an encounter (with the allergy check), both sides read them."""
from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.policy import access, page
from accounts.services import audit_record
from core.errors import ApplicationError
from core.pages import flash_error

from ..models import DoseUnit, Frequency, Route
from ..selectors import prescriptions as selectors
from ..selectors.records import allergies_of
from ..services import prescriptions as services
from ..services import review, rx_rules
from ..services.rx_rules import Guardian

ITEM_ROWS = 3


@access("own")
@page("records.use")
def prescription_list(request: HttpRequest) -> HttpResponse:
    prescriptions = list(selectors.prescriptions_visible_to(request.user)[:100])
    adherence = selectors.adherence_for_prescriptions(prescription_ids=[p.pk for p in prescriptions])
    rows = [(p, adherence.get(p.pk)) for p in prescriptions]
    return render(request, "records/prescription_list.html", {"rows": rows})


@access("patient_record")
@page("records.use")
def prescription_detail(request: HttpRequest, prescription_id: int) -> HttpResponse:
    rx = selectors.prescription_for(actor=request.user, prescription_id=prescription_id)
    audit_record(actor=request.user, action="read", object_type="prescription", object_id=rx.pk, subject=rx.patient)
    by_item = selectors.adherence_by_item(actor=request.user, patient=rx.patient)
    items = [(item, by_item.get(item.pk)) for item in rx.items.all()]
    template = "records/prescription_print.html" if request.GET.get("print") else \
        "records/prescription_detail.html"
    return render(request, template, {"rx": rx, "items": items, "verification": rx_rules.prescription_verify(rx),
                                      "reviews": list(rx.reviews.select_related("pharmacist")),
                                      "adherence": selectors.adherence_for_prescriptions(prescription_ids=[rx.pk]).get(rx.pk)})


def _items_from_post(post: Any) -> list[dict[str, Any]]:
    items = []
    for i in range(ITEM_ROWS):
        drug_id = (post.get(f"item-{i}-drug") or "").strip()
        if not drug_id:
            continue
        times = [t.strip() for t in (post.get(f"item-{i}-times") or "").split(",") if t.strip()]
        items.append({
            "drug_id": int(drug_id) if drug_id.isdigit() else -1,
            "dose": post.get(f"item-{i}-dose") or None,
            "dose_unit": post.get(f"item-{i}-dose_unit") or "",
            "route": post.get(f"item-{i}-route") or Route.ORAL,
            "frequency": post.get(f"item-{i}-frequency") or "",
            "interval_hours": int(post.get(f"item-{i}-interval_hours")) if (post.get(f"item-{i}-interval_hours") or "").isdigit() else None,
            "times_of_day": times,
            "start_date": parse_date(post.get(f"item-{i}-start_date") or "") if post.get(f"item-{i}-start_date") else None,
            "duration_days": int(post.get(f"item-{i}-duration_days")) if (post.get(f"item-{i}-duration_days") or "").isdigit() else None,
            "quantity": int(post.get(f"item-{i}-quantity")) if (post.get(f"item-{i}-quantity") or "").isdigit() else None,
            "instructions": post.get(f"item-{i}-instructions") or "",
            "allergy_override_reason": post.get(f"item-{i}-override") or "",
        })
    return items


@access("author")
@page("prescription.write")
def prescribe(request: HttpRequest, encounter_id: int) -> HttpResponse:
    encounter = services.encounter_to_prescribe(doctor=request.user, encounter_id=encounter_id)
    conflicts: dict[int, Any] = {}
    corrects = request.POST.get("corrects") or request.GET.get("corrects") or ""
    # Correcting a prescription the pharmacist rejected: only its author may (refused and audited otherwise).
    replaces = services.prescription_for_author(doctor=request.user, prescription_id=corrects) if corrects else None
    if request.method == "POST":
        try:
            write = review.prescription_correct if replaces else services.prescription_create
            target = {"prescription_id": replaces.pk} if replaces else {"encounter_id": encounter.pk}
            rx = write(
                doctor=request.user, **target, items=_items_from_post(request.POST),
                valid_days=int(request.POST.get("valid_days") or 1) if (request.POST.get("valid_days") or "1").isdigit() else 0,
                note=request.POST.get("note", ""), chronic_long=request.POST.get("chronic_long") == "on",
                guardian=Guardian(name=request.POST.get("guardian_name", ""),
                                  relation=request.POST.get("guardian_relation", ""),
                                  id_number=request.POST.get("guardian_id_number", ""),
                                  present=request.POST.get("guardian_present") == "on"),
            )
        except (ApplicationError, ValueError) as exc:
            if isinstance(exc, ApplicationError):
                flash_error(request, exc)
                conflicts = {c["index"]: c for c in exc.extra.get("conflicts", [])}
            else:
                messages.error(request, _("Check the dates."))
        else:
            messages.success(request, _("Prescription issued."))
            return redirect("records:prescription", prescription_id=rx.pk)
    drug_model = apps.get_model("pharmacy", "Drug")
    fields = ("drug", "dose", "dose_unit", "route", "frequency", "interval_hours", "times", "start_date",
              "duration_days", "quantity", "instructions", "override")
    # Re-show what the doctor typed (after an allergy block they only add the reason).
    rows = [{"i": i, "conflict": conflicts.get(i), "v": {f: request.POST.get(f"item-{i}-{f}", "") for f in fields}}
            for i in range(ITEM_ROWS)]
    return render(request, "records/prescribe.html", {
        "encounter": encounter, "patient": encounter.patient, "rows": rows,
        "valid_days": request.POST.get("valid_days", "1"), "note": request.POST.get("note", ""),
        "chronic_long": request.POST.get("chronic_long") == "on", "replaces": replaces,
        "guardian": {f: request.POST.get(f"guardian_{f}", "") for f in ("name", "relation", "id_number", "present")},
        "limits": {"normal": rx_rules.NORMAL_MAX_DAYS, "chronic": rx_rules.CHRONIC_MAX_DAYS,
                   "valid": rx_rules.MAX_VALID_DAYS},
        "drugs": drug_model.objects.filter(is_active=True).order_by("generic_name_en", "strength"),
        "allergies": allergies_of(actor=request.user, patient=encounter.patient),
        "units": DoseUnit.choices, "routes": Route.choices, "frequencies": Frequency.choices,
    })


@require_POST
@access("author")
@page("prescription.write")
def prescription_cancel(request: HttpRequest, prescription_id: int) -> HttpResponse:
    try:
        services.prescription_cancel(doctor=request.user, prescription_id=prescription_id,
                                     reason=request.POST.get("reason", ""))
    except ApplicationError as exc:
        flash_error(request, exc)
    return redirect("records:prescription", prescription_id=prescription_id)
