"""Counsellor pages: thin — parse, call one service or selector, render."""
from __future__ import annotations

import csv

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.policy import access, page
from accounts.services import audit_record
from core.errors import ApplicationError
from core.pages import flash_error, paginate

from . import selectors, services
from .analysis.compare import migration_matrix
from .analysis.spec import LABELS
from .forms import AlertBulkForm, AlertForm, ImportForm, RunForm
from .models import AlertState, InterventionRule, RuleKind, Run, RunStatus


@access("own")
@page("portraits.use")
def index(request: HttpRequest) -> HttpResponse:
    runs = selectors.runs_visible_to(request.user).select_related("created_by")[:20]
    return render(request, "portraits/index.html", {"runs": runs, "form": RunForm()})


@access("portraits_staff")
@page("portraits.use")
def import_upload(request: HttpRequest) -> HttpResponse:
    report = None
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        files = [(f.name, f.read()) for f in form.cleaned_data["files"]]
        report = services.campus_import(files=files, user=request.user)
        audit_record(actor=request.user, action="create", object_type="portraits.import",
                     outcome="ok" if report.ok else "failed",
                     detail={"files": [f.name for f in report.files], "errors": report.error_count})
    return render(request, "portraits/import.html", {"form": form, "report": report})


@require_POST
@access("portraits_staff")
@page("portraits.use")
def run_start(request: HttpRequest) -> HttpResponse:
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the period and k."))
        return redirect("portraits:index")
    try:
        run = services.portrait_run_start(user=request.user, period=form.cleaned_data["period"],
                                          k=form.cleaned_data["k"])
    except ApplicationError as exc:
        flash_error(request, exc)
        return redirect("portraits:index")
    return redirect("portraits:run", run_id=run.id)


def _run(request: HttpRequest, run_id: int) -> Run:
    return selectors.run_for(actor=request.user, run_id=run_id)


def _distribution(results, dims) -> dict[str, dict[str, int]]:  # type: ignore[no-untyped-def]
    out: dict[str, dict[str, int]] = {}
    for dim in dims:
        counts = {level: 0 for level in LABELS[dim]}
        for row in results.values(f"label_{dim}"):
            counts[row[f"label_{dim}"]] = counts.get(row[f"label_{dim}"], 0) + 1
        out[dim] = counts
    return out


@access("portraits_staff")
@page("portraits.use")
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run(request, run_id)
    ctx = {"run": run, "dims": list(LABELS)}
    if run.status == RunStatus.DONE and run.kind == "students":
        results = selectors.results_visible_to(request.user, run)
        ctx["distribution"] = _distribution(results, LABELS)
        ctx["visible"] = results.count()
        ctx["other_runs"] = selectors.runs_visible_to(request.user).filter(status=RunStatus.DONE).exclude(id=run.id)
        rule_names = dict(InterventionRule._meta.get_field("kind").choices)
        ctx["alert_rows"] = [{"name": rule_names.get(kind, kind), "n": n, "share": n / run.n_students if run.n_students else 0}
                             for kind, n in sorted((run.metrics or {}).get("alerts", {}).items())]
        # Per grouping (gender, province): only the (dimension, row) pairs whose gap passes the threshold.
        ctx["fairness_flags"] = {
            by: [(dim, row) for dim, rows in per_dim.items() for row in rows if row.get("flagged")]
            for by, per_dim in (run.metrics or {}).get("fairness", {}).items()
        }
    return render(request, "portraits/run.html", ctx)


@access("portraits_staff")
@page("portraits.use")
def run_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run(request, run_id)
    response = render(request, "portraits/_progress.html", {"run": run})
    if run.status in (RunStatus.DONE, RunStatus.FAILED) and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"   # reload once to show the charts
    return response


@access("portraits_staff")
@page("portraits.use")
def student_list(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run(request, run_id)
    labels = {d: request.GET.get(d, "") for d in LABELS}
    qs = selectors.result_search(request.user, run, q=request.GET.get("q", ""),
                                 college=request.GET.get("college", ""), grade=request.GET.get("grade", ""),
                                 labels=labels)
    page = paginate(request, qs)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "portraits/students.html", {
        "run": run, "page": page, "labels": LABELS, "selected": labels, "query": query.urlencode(),
        "colleges": selectors.students_visible_to(request.user).values_list("college", flat=True).distinct(),
        "grades": selectors.students_visible_to(request.user).values_list("grade", flat=True).distinct(),
    })


@access("counsellor_cohort", objects={"result_id": "portraits_result"})
@page("portraits.use")
def student_detail(request: HttpRequest, run_id: int, result_id: int) -> HttpResponse:
    run = _run(request, run_id)
    result = selectors.result_for(actor=request.user, run=run, result_id=result_id)
    audit_record(actor=request.user, action="read", object_type="portraits.student",
                 object_id=result.student_id, detail={"run": run.id, "pseudonym": result.student.short})
    return render(request, "portraits/student.html", {
        "run": run, "result": result, "cohort": run.metrics.get("cohort_scores", {}),
        "alerts": selectors.alerts_visible_to(request.user).filter(student_id=result.student_id),
    })


class _Echo:
    def write(self, value: str) -> str:
        return value


@access("portraits_staff")
@page("portraits.use")
def run_export(request: HttpRequest, run_id: int) -> StreamingHttpResponse:
    run = _run(request, run_id)
    if run.kind != "students":
        raise Http404
    results = selectors.results_visible_to(request.user, run)
    audit_record(actor=request.user, action="export", object_type="portraits.run", object_id=run.id,
                 detail={"rows": results.count()})
    writer = csv.writer(_Echo())
    feats = list(run.metrics.get("normalisation", {}).get("min", {}))

    def rows():  # type: ignore[no-untyped-def]
        yield writer.writerow(["pseudonym", "college", "grade", *LABELS, "portrait_type", *feats])
        for r in results.iterator(chunk_size=1000):
            yield writer.writerow([r.student.pseudonym, r.student.college, r.student.grade,
                                   *[r.labels.get(d, "") for d in LABELS], r.portrait_type,
                                   *[r.features.get(f, "") for f in feats]])

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="portraits-run-{run.id}.csv"'
    return response


@access("portraits_staff")
@page("portraits.use")
def migration(request: HttpRequest) -> HttpResponse:
    runs = selectors.runs_visible_to(request.user).filter(status=RunStatus.DONE, kind="students")
    a = runs.filter(id=request.GET.get("a") or 0).first()
    b = runs.filter(id=request.GET.get("b") or 0).first()
    matrices = {}
    if a and b:
        import pandas as pd

        ra = dict(selectors.results_visible_to(request.user, a).values_list("student_id", "labels"))
        rb = dict(selectors.results_visible_to(request.user, b).values_list("student_id", "labels"))
        for dim, levels in LABELS.items():
            sa = pd.Series({k: v[dim] for k, v in ra.items()}, dtype=object)
            sb = pd.Series({k: v[dim] for k, v in rb.items()}, dtype=object)
            m = migration_matrix(sa, sb, levels)
            m["rows"] = list(zip(levels, m["matrix"], strict=True))
            matrices[dim] = m
    return render(request, "portraits/migration.html", {"runs": runs, "a": a, "b": b, "matrices": matrices})


@access("own")
@page("portraits.use")
def alert_inbox(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "open")
    rule = request.GET.get("rule", "")
    mine = bool(request.GET.get("mine"))
    students = selectors.alert_inbox_students(request.user, state=state, rule=rule, mine=mine)
    query = f"state={state}&rule={rule}" + ("&mine=1" if mine else "")
    return render(request, "portraits/alerts.html", {
        "page": paginate(request, students), "state": state, "rule": rule, "mine": mine,
        "states": AlertState.choices, "rules": RuleKind.choices, "query": query})


@require_POST
@access("own")
@page("portraits.use")
def alert_bulk_update(request: HttpRequest) -> HttpResponse:
    form = AlertBulkForm(request.POST)
    if form.is_valid():
        try:
            n = services.alert_update_many(user=request.user, alert_ids=form.cleaned_data["ids"],
                                           state=form.cleaned_data["state"], note=form.cleaned_data["note"])
            messages.success(request, _("%(n)d alert(s) updated.") % {"n": n})
        except ApplicationError as exc:
            flash_error(request, exc)
    else:
        messages.error(request, _("Select at least one alert and a state."))
    nxt = request.POST.get("next", "")
    return redirect(nxt if nxt.startswith("/portraits/alerts/") else "portraits:alerts")


@require_POST
@access("counsellor_cohort", objects={"alert_id": "portraits_alert"})
@page("portraits.use")
def alert_update(request: HttpRequest, alert_id: int) -> HttpResponse:
    selectors.alert_for(actor=request.user, alert_id=alert_id)
    form = AlertForm(request.POST)
    if form.is_valid():
        try:
            services.alert_update(user=request.user, alert_id=alert_id, state=form.cleaned_data["state"],
                                  note=form.cleaned_data["note"])
            messages.success(request, _("Alert updated."))
        except ApplicationError as exc:
            flash_error(request, exc)
    return redirect(request.POST.get("next") or "portraits:alerts")


@access("portraits_staff")
@page("portraits.use")
def rule_list(request: HttpRequest) -> HttpResponse:
    from .services.runs import rules_active

    rules_active()
    if request.method == "POST":
        rule = get_object_or_404(InterventionRule, id=request.POST.get("rule"))
        params = {k.removeprefix("p_"): v for k, v in request.POST.items() if k.startswith("p_")}
        try:
            services.rule_update(rule_id=rule.id, enabled=bool(request.POST.get("enabled")), params=params)
            messages.success(request, _("Rule saved."))
        except ApplicationError as exc:
            flash_error(request, exc)
        return redirect("portraits:rules")
    flags = selectors.rule_flag_counts()
    rules = list(InterventionRule.objects.all())
    return render(request, "portraits/rules.html", {"rules": [(rule, flags.get(rule.id, [])) for rule in rules]})


@access("patient_record")
@page("records.use")
def patient_portrait(request: HttpRequest, patient_id: int) -> HttpResponse:
    """A patient's behaviour portrait: a radar of the four dimensions against the cohort, with the reasons."""
    patient, result, cohort = selectors.patient_portrait_for(actor=request.user, patient_id=patient_id)
    if result is not None:
        audit_record(actor=request.user, action="read", object_type="portraits.patient", object_id=patient.pk,
                     subject=patient, detail={"run": result.run_id})
    return render(request, "portraits/patient.html", {"patient": patient, "result": result, "cohort": cohort,
                                                      "is_self": request.user.pk == patient.pk})
