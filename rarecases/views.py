"""Doctor pages: candidates, confirm a case from an encounter (with the exact preview), search, read,
follow, cite, forward, share, download. Thin: parse, call one service or selector, render."""
from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role, User
from accounts.policy import access, page
from core.errors import ApplicationError
from core.pages import flash_error, paginate

from . import selectors, services, vocab
from .forms import CiteForm, ConfirmForm, ForwardForm, SearchForm, SimilarForm
from .models import EventKind
from .services.federation import case_payload
from .services.mme import mme_preview


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


def _term_list(ids: list[str]) -> list[dict]:
    from .matching import ontology as onto

    return [onto.term_dict(t) for t in (onto.term_int(i) for i in ids) if t is not None and onto.exists(t)]


def _picker_edit(data: Any) -> Any:
    """The picker's buttons edit the two term lists (a plain form post, so it works without JavaScript)."""
    data = data.copy()
    for button, field in (("add_present", "phenotypes"), ("add_absent", "excluded_phenotypes")):
        if data.get(button):
            data[field] = f"{data.get(field, '')} {data[button]}".strip()
    if data.get("remove"):
        for field in ("phenotypes", "excluded_phenotypes"):
            data[field] = " ".join(t for t in data.get(field, "").split() if t.strip(",") != data["remove"])
    return data


@access("author")
@page("rarecases.use")
def confirm(request: HttpRequest, encounter_id: int) -> HttpResponse:
    encounter = selectors.encounter_for_doctor(doctor=request.user, encounter_id=encounter_id)
    data = _picker_edit(request.POST) if request.method == "POST" else None
    form = ConfirmForm(data, initial={"findings": encounter.findings, "treatment": encounter.plan})
    kwargs: dict[str, Any] = {}
    extra: dict[str, Any] = {"excluded_phenotype_ids": [], "genes": []}
    if form.is_valid():
        kwargs = {k: form.cleaned_data[k] for k in ("findings", "treatment", "outcome")}
        kwargs["phenotype_ids"] = form.cleaned_data["phenotypes"]
        extra = {"excluded_phenotype_ids": form.cleaned_data["excluded_phenotypes"],
                 "genes": form.cleaned_data["genes"]}
        if "confirm" in request.POST:
            try:
                case = services.rare_case_confirm(doctor=request.user, encounter=encounter, **kwargs, **extra)
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
    hpo_q = form.cleaned_data.get("hpo_q", "") if form.is_bound and form.is_valid() else ""
    chosen = set(extra["excluded_phenotype_ids"]) | set(kwargs.get("phenotype_ids", []))
    return render(request, "rarecases/confirm.html", {
        "encounter": encounter, "form": form, "preview": preview,
        "payload_json": json.dumps(payload, ensure_ascii=False, indent=2),
        "mme_json": json.dumps(mme_preview(preview["draft"], **extra), ensure_ascii=False, indent=2),
        "present": _term_list(kwargs.get("phenotype_ids", [])), "absent": _term_list(extra["excluded_phenotype_ids"]),
        "hpo_results": [t for t in vocab.hpo_search(hpo_q, limit=15) if t["id"] not in chosen] if hpo_q else None,
        "q": hpo_q,
        "suggestions": [t for t in selectors.phenotype_suggestions(preview["draft"]) if t["id"] not in chosen],
    })


@access("public")
@page("rarecases.use")
def hpo_pick(request: HttpRequest) -> HttpResponse:
    """The picker's results (htmx fragment inside the confirm form): English or Chinese words or an HPO id."""
    q = request.GET.get("hpo_q", "")[:100]
    return render(request, "rarecases/_hpo_results.html", {"hpo_results": vocab.hpo_search(q, limit=15), "q": q})


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
        "similar_form": SimilarForm(), "incoming": selectors.incoming_for_case(case=case, doctor=request.user),
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


@access("deidentified_case")
@page("rarecases.use")
@require_POST
def similar_start(request: HttpRequest, case_id: int) -> HttpResponse:
    """Find similar patients: local cases now, every enabled MME peer in the background."""
    case = _case(request, case_id)
    form = SimilarForm(request.POST)
    include_test = form.is_valid() and form.cleaned_data["include_test"]
    try:
        search = services.similar_search_start(doctor=request.user, case=case, include_test=include_test)
    except ApplicationError as exc:
        flash_error(request, exc)
        return redirect("rarecases:case", case_id=case_id)
    return redirect("rarecases:similar", search_id=search.pk)


@access("owner", objects={"search_id": "similar_search"})
@page("rarecases.use")
def similar_detail(request: HttpRequest, search_id: int) -> HttpResponse:
    search = selectors.similar_search_for(doctor=request.user, search_id=search_id)
    template = "rarecases/_similar_results.html" if request.htmx else "rarecases/similar.html"
    return render(request, template, {"search": search, **selectors.similar_results(search),
                                      "query_json": json.dumps(search.query, ensure_ascii=False, indent=2)})


@access("own")
@page("rarecases.use")
def mme_incoming(request: HttpRequest) -> HttpResponse:
    """Someone looked for a patient like yours: peers' MME queries answered with the doctor's cases."""
    return render(request, "rarecases/mme_incoming.html",
                  {"page": paginate(request, selectors.incoming_for_doctor(request.user))})
