"""End to end at a small scale: synthetic files → import → run (Celery task, eager) → pages, scoping, audit.

The paper-scale recovery figure comes from `portraits_run --truth` (docs/portraits.md); CI checks the
same recovery on 300 students so the suite stays fast.
"""
from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from portraits.models import Alert, AlertState, Record, Result, Run, RunStatus, Student
from portraits.services import campus_import_paths, portrait_run_start
from portraits.services.runs import run_truth_ari
from portraits.synth import generate
from tests.factories import CounsellorFactory, give_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(tmp_path, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    counts = generate(tmp_path, students=300, records=175_000, seed=7)
    report = campus_import_paths([tmp_path])
    assert report.ok, report.errors
    _counsellor(["Nursing"], ["2021"])   # exists before the run, so it owns that cohort's alerts
    with django_capture_on_commit_callbacks(execute=True):
        run = portrait_run_start(user=None, period="2023", k=5)
    run.refresh_from_db()
    return tmp_path, run, counts


def _counsellor(colleges, grades):  # type: ignore[no-untyped-def]
    user = CounsellorFactory(profile__colleges=colleges, profile__grades=grades)
    give_totp(user)
    return user


def test_recovery_scoping_pages_and_alerts(cohort, client):  # type: ignore[no-untyped-def]
    path, run, counts = cohort
    assert run.status == RunStatus.DONE, run.error
    assert Student.objects.count() == 300
    assert Result.objects.filter(run=run).count() == run.n_students == 300
    # Recovery of the planted archetypes.
    ari = run_truth_ari(run=run, truth_csv=str(path / "truth.csv"))
    assert set(ari) == {"learning", "economic", "health", "interest"}
    assert min(ari.values()) >= 0.8, ari
    # The run recorded what it used.
    assert run.params["n_init"] == 10
    assert run.params["algorithm"] == "lloyd"
    assert set(run.versions) >= {"numpy", "pandas", "scikit-learn", "scipy"}
    assert run.metrics["dimensions"]["learning"]["curve"]["k"] == list(range(2, 11))
    assert run.metrics["dimensions"]["learning"]["stability"]["seeds"] == 10

    # A counsellor of Nursing / 2021 sees exactly that cohort.
    from accounts.models import User

    counsellor = User.objects.get(role="counsellor")
    client.force_login(counsellor)
    mine = set(Student.objects.filter(college="Nursing", grade="2021").values_list("id", flat=True))
    page = client.get(reverse("portraits:students", args=[run.id]))
    assert page.status_code == 200
    assert page.context["page"].paginator.count == len(mine)
    inside = Result.objects.filter(run=run, student_id__in=mine).first()
    outside = Result.objects.filter(run=run).exclude(student_id__in=mine).first()
    before = AuditEvent.objects.count()
    ok = client.get(reverse("portraits:student", args=[run.id, inside.id]))
    assert ok.status_code == 200
    assert b'data-chart="radar"' in ok.content
    assert client.get(reverse("portraits:student", args=[run.id, outside.id])).status_code == 404
    events = list(AuditEvent.objects.order_by("seq")[before:].values_list("action", "object_type", "outcome"))
    assert events[0] == ("read", "portraits.student", "ok")
    assert events[1][0] == "denied"
    # The run page charts only the counsellor's students.
    run_page = client.get(reverse("portraits:run", args=[run.id]))
    assert sum(run_page.context["distribution"]["learning"].values()) == len(mine)
    # Fairness: every flagged gap of the run is a row; a grouping without any says so instead of an empty table.
    fairness = run.metrics["fairness"]
    flagged = {by: sum(bool(row.get("flagged")) for rows in per_dim.values() for row in rows)
               for by, per_dim in fairness.items()}
    html = run_page.content.decode()
    assert html.count('data-testid="fairness-flag"') == sum(flagged.values())
    assert html.count('data-testid="fairness-none"') == sum(1 for n in flagged.values() if n == 0)
    export = client.get(reverse("portraits:export", args=[run.id]))
    assert len(b"".join(export.streaming_content).decode().strip().splitlines()) == len(mine) + 1

    # Alerts: owned by the covering counsellor, visible only in that cohort, resolvable.
    alerts = Alert.objects.filter(run=run)
    assert alerts.exists()
    assert set(alerts.filter(student_id__in=mine).values_list("owner_id", flat=True)) <= {counsellor.id}
    alert = alerts.filter(student_id__in=mine).first()
    foreign = alerts.exclude(student_id__in=mine).first()
    resp = client.post(reverse("portraits:alert_update", args=[alert.id]), {"state": "resolved", "note": "called"})
    assert resp.status_code == 302
    alert.refresh_from_db()
    assert (alert.state, alert.note) == (AlertState.RESOLVED, "called")
    assert client.post(reverse("portraits:alert_update", args=[foreign.id]),
                       {"state": "resolved"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.state == AlertState.OPEN

    # Running the same period again raises no duplicate alerts and the run task is idempotent.
    n_alerts = Alert.objects.count()
    run2 = portrait_run_start(user=None, period="2023", k=5, enqueue=False)
    from portraits.services import portrait_run_execute

    portrait_run_execute(run_id=run2.id)
    assert portrait_run_execute(run_id=run2.id).status == RunStatus.DONE
    assert Alert.objects.count() == n_alerts
    assert Result.objects.filter(run=run2).count() == 300
    # Migration matrix between the two runs: the same data gives (almost) no migration.
    mig = client.get(reverse("portraits:migration"), {"a": run.id, "b": run2.id})
    assert mig.context["matrices"]["learning"]["n"] == len(mine)
    assert Run.objects.count() == 2
    assert Record.objects.count() > 0


def test_patients_and_other_roles_are_refused(client, patient):  # type: ignore[no-untyped-def]
    client.force_login(patient)
    assert client.get(reverse("portraits:index")).status_code == 403
