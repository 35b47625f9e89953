from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from accounts.policy.routes import access
from knowledge import services
from knowledge.forms import TriageForm


@access("public")
def triage_page(request: HttpRequest) -> HttpResponse:
    """"Which department should I see?" — the form, and the answer under it (guidance, not a diagnosis)."""
    form = TriageForm(request.POST or None)
    answer = None
    if request.method == "POST" and form.is_valid():
        language = "zh-hans" if (get_language() or "").startswith("zh") else "en"
        answer = services.triage_for(request.user, language=language, **form.cleaned_data)
    return render(request, "knowledge/triage.html", {"form": form, "answer": answer})
