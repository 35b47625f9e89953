"""Doctor pages: candidates, confirm a case from an encounter (with the exact preview), search, read,
follow, cite, forward, share, download. Thin: parse, call one service or selector, render."""
from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role, User
from accounts.policy import access, page
from core.errors import ApplicationError
from core.pages import flash_error, paginate

from . import selectors, services
from .forms import CiteForm, ConfirmForm, ForwardForm, SearchForm
from .models import EventKind
from .services.federation import case_payload


@access("own")
@page("rarecases.use")
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    params = form.cleaned_data if form.is_valid() else {}
    results = selectors.case_search(q=params.get("q", ""), code=params.get("code", ""),
                                    category=params.get("category", ""), phenotype=params.get("phenotype", ""))
    template = "rarecases/_results.html" if request.htmx else "rarecases/search.html"
    return render(request, template, {"form": form, "page": paginate(request, results), "searched": bool(params)})


@access("own")
@page("rarecases.use")
def candidates(request: HttpRequest) -> HttpResponse:
    return render(request, "rarecases/candidates.html",
                  {"page": paginate(request, selectors.candidates_for_doctor(request.user))})


@access("author")
@page("rarecases.use")
def confirm(request: HttpRequest, encounter_id: int) -> HttpResponse:
    encounter = selectors.encounter_for_doctor(doctor=request.user, encounter_id=encounter_id)
    form = ConfirmForm(request.POST or None, initial={"findings": encounter.findings, "treatment": encounter.plan})
    kwargs = {}
    if form.is_valid():
        kwargs = {k: form.cleaned_data[k] for k in ("findings", "treatment", "outcome")}
        kwargs["phenotype_ids"] = form.cleaned_data["phenotypes"]
        if "confirm" in request.POST:
            try:
                case = services.rare_case_confirm(doctor=request.user, encounter=encounter, **kwargs)
            except ApplicationError as exc:
                flash_error(request, exc)
            else:
                messages.success(request, _("The de-identified case was stored."))
                return redirect("rarecases:case", case_id=case.pk)
    try:
        preview = services.case_preview(encounter=encounter, **kwargs)
    except ApplicationError as exc:
        flash_error(request, exc)
        preview = services.case_preview(encounter=encounter, **{**kwargs, "phenotype_ids": []})
    payload = {"schema": "rarecases.case/1", "origin": selectors.profile_get().instance_id,
               "case_uuid": "…", "version": "…", **preview["draft"]}
    return render(request, "rarecases/confirm.html", {
        "encounter": encounter, "form": form, "preview": preview,
        "payload_json": json.dumps(payload, ensure_ascii=False, indent=2),
    })


def _case(request: HttpRequest, case_id: int):  # type: ignore[no-untyped-def]
    return selectors.case_for_doctor(user=request.user, case_id=case_id)


@access("deidentified_case")
@page("rarecases.use")
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id)
    services.case_event_record(case=case, kind=EventKind.VIEW, actor=request.user)
    appointments = selectors.appointments_for_doctor(request.user)
    return render(request, "rarecases/case_detail.html", {
        "case": case, "stats": selectors.case_stats(case), "graph": selectors.propagation_graph(case),
        "following": selectors.is_following(user=request.user, case=case),
        "cite_form": CiteForm(appointments=appointments), "forward_form": ForwardForm(),
        "decisions": case.decisions.all()[:5], "outbox": case.outbox.select_related("peer").all(),
        "references": selectors.case_references(case),
        "payload_json": json.dumps(case_payload(case), ensure_ascii=False, indent=2),
    })


@require_POST
@access("deidentified_case", samples={"action": "follow"})
@page("rarecases.use")
def case_action(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    case = _case(request, case_id)
    try:
        if action == "follow":
            services.case_follow(user=request.user, case=case)
            messages.success(request, _("You follow this case."))
        elif action == "unfollow":
            services.case_unfollow(user=request.user, case=case)
            messages.success(request, _("You no longer follow this case."))
        elif action == "cite":
            form = CiteForm(request.POST, appointments=selectors.appointments_for_doctor(request.user))
            if not form.is_valid():
                raise ApplicationError(_("Choose one of your consultations."))
            services.case_cite(doctor=request.user, case=case, appointment_id=form.cleaned_data["appointment"].pk,
                               note=form.cleaned_data["note"])
            messages.success(request, _("The case is cited in the consultation."))
        elif action == "forward":
            form = ForwardForm(request.POST)
            recipient = User.objects.filter(email__iexact=form.data.get("email", ""), role=Role.DOCTOR).first()
            if recipient is None:
                raise ApplicationError(_("No doctor with that e-mail address."))
            services.case_forward(sender=request.user, case=case, recipient=recipient)
            messages.success(request, _("The case was forwarded."))
        elif action == "share":
            decision = services.rare_case_share(case=case, by=request.user)
            if decision.peers:
                messages.success(request, _("Queued for: %(peers)s") % {"peers": ", ".join(decision.peers)})
            else:
                messages.info(request, _("No related peer platform to share with (or already shared)."))
        else:
            return render(request, "404.html", status=404)
    except ApplicationError as exc:
        flash_error(request, exc)
    return redirect("rarecases:case", case_id=case_id)


@access("deidentified_case")
@page("rarecases.use")
def case_download(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id)
    services.case_event_record(case=case, kind=EventKind.DOWNLOAD, actor=request.user)
    response = HttpResponse(json.dumps(case_payload(case), ensure_ascii=False, indent=2),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="case-{case.case_uuid}-v{case.version}.json"'
    return response


@access("own")
@page("rarecases.use")
def followed(request: HttpRequest) -> HttpResponse:
    return render(request, "rarecases/followed.html", {"page": paginate(request, selectors.followed_cases(request.user))})
