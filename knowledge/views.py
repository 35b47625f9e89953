from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from accounts.policy import access, page
from knowledge import selectors, services
from knowledge.forms import TriageForm
from knowledge.models import NodeKind


@access("public")
def triage_page(request: HttpRequest) -> HttpResponse:
    """"Which department should I see?" — the form, and the answer under it (guidance, not a diagnosis)."""
    form = TriageForm(request.POST or None)
    answer = None
    if request.method == "POST" and form.is_valid():
        language = "zh-hans" if (get_language() or "").startswith("zh") else "en"
        answer = services.triage_for(request.user, language=language, **form.cleaned_data)
    query = urlencode([("department", d["code"]) for d in answer.departments[:3]]) if answer else ""
    return render(request, "knowledge/triage.html", {"form": form, "answer": answer, "department_query": query})


@access("doctor_reference")
@page("knowledge.lookup")
def lookup(request: HttpRequest) -> HttpResponse:
    """Doctors' look-up: diseases and symptoms by English or Chinese name."""
    q = request.GET.get("q", "")[:100]
    return render(request, "knowledge/lookup.html", {"q": q, "results": selectors.node_search(q)})


@access("doctor_reference")
@page("knowledge.lookup")
def entry(request: HttpRequest) -> HttpResponse:
    """One disease (symptoms, ICD-10 codes, department, catalogue drugs) or symptom (hierarchy, diseases)."""
    kind = request.GET.get("kind", "")
    node = selectors.node_get(kind=kind, key=request.GET.get("key", "")[:40]) if kind in (
        NodeKind.DISEASE, NodeKind.SYMPTOM) else None
    if node is None:
        raise Http404
    detail = selectors.disease_detail(node) if kind == NodeKind.DISEASE else selectors.symptom_detail(node)
    return render(request, "knowledge/entry.html", {"node": node, "detail": detail})
