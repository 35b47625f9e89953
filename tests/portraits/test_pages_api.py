"""Pages and API on crafted rows: scoping, audit, upload atomicity, rule edits, query counts."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from accounts.models import AuditEvent
from portraits.models import Alert, AlertState, InterventionRule, Record, Result, Run, RunStatus, Student
from portraits.services.runs import rules_active
from tests.factories import AdminFactory, CounsellorFactory, give_totp
from tests.portraits.factories import spy_python_parser

from .factories import StudentFactory

pytestmark = pytest.mark.django_db

LABELS = {"learning": "good", "economic": "average", "health": "healthy", "interest": "poor"}


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    mine = StudentFactory.create_batch(3, college="Nursing", grade="2022")
    other = StudentFactory.create_batch(2, college="Pharmacy", grade="2022")
    run = Run.objects.create(period="2023", status=RunStatus.DONE, n_students=5,
                             metrics={"cohort_scores": {d: 0.5 for d in LABELS}})
    results = {s.id: Result.objects.create(run=run, student=s, labels=LABELS, scores={d: 0.4 for d in LABELS},
                                           **{f"label_{d}": v for d, v in LABELS.items()})
               for s in [*mine, *other]}
    rules_active()
    rule = InterventionRule.objects.get(kind="low_borrowing")
    alerts = {s.id: Alert.objects.create(rule=rule, student=s, run=run, period="2023") for s in [*mine, *other]}
    counsellor = CounsellorFactory(profile__colleges=["Nursing"], profile__grades=["2022"])
    give_totp(counsellor)
    return {"mine": mine, "other": other, "run": run, "results": results, "alerts": alerts, "c": counsellor}


def test_pages_render_for_a_counsellor(client, world):  # type: ignore[no-untyped-def]
    client.force_login(world["c"])
    for name, args in [("index", []), ("import", []), ("alerts", []), ("rules", []), ("migration", []),
                       ("run", [world["run"].id]), ("students", [world["run"].id])]:
        assert client.get(reverse(f"portraits:{name}", args=args)).status_code == 200, name
    alerts_page = client.get(reverse("portraits:alerts"))
    assert alerts_page.context["page"].paginator.count == 3


def test_student_list_query_count_does_not_grow(client, world, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    client.force_login(world["c"])
    with django_assert_max_num_queries(15):
        resp = client.get(reverse("portraits:students", args=[world["run"].id]), {"learning": "good"})
    assert resp.context["page"].paginator.count == 3


def test_api_scoping_and_audit(api_client, world):  # type: ignore[no-untyped-def]
    api_client.force_authenticate(world["c"])
    run = world["run"]
    listed = api_client.get(f"/api/portraits/runs/{run.id}/portraits/")
    assert listed.status_code == 200
    assert sorted(r["id"] for r in listed.json()["results"]) == sorted(
        world["results"][s.id].id for s in world["mine"])
    foreign = world["results"][world["other"][0].id]
    before = AuditEvent.objects.count()
    assert api_client.get(f"/api/portraits/runs/{run.id}/portraits/{foreign.id}/").status_code == 404
    own = world["results"][world["mine"][0].id]
    assert api_client.get(f"/api/portraits/runs/{run.id}/portraits/{own.id}/").status_code == 200
    actions = list(AuditEvent.objects.order_by("seq")[before:].values_list("action", flat=True))
    assert actions == ["denied", "read"]
    alerts = api_client.get("/api/portraits/alerts/").json()
    assert alerts["count"] == 3
    foreign_alert = world["alerts"][world["other"][0].id]
    assert api_client.patch(f"/api/portraits/alerts/{foreign_alert.id}/", {"state": "resolved"},
                            format="json").status_code == 404
    own_alert = world["alerts"][world["mine"][0].id]
    resp = api_client.patch(f"/api/portraits/alerts/{own_alert.id}/", {"state": "acknowledged", "note": "seen"},
                            format="json")
    assert resp.status_code == 200
    own_alert.refresh_from_db()
    foreign_alert.refresh_from_db()
    assert (own_alert.state, own_alert.note, own_alert.owner_id) == (AlertState.ACKNOWLEDGED, "seen", world["c"].id)
    assert foreign_alert.state == AlertState.OPEN


def test_api_refuses_patients(api_client, patient):  # type: ignore[no-untyped-def]
    api_client.force_authenticate(patient)
    assert api_client.get("/api/portraits/runs/").status_code == 403


def test_api_start_run_validates_k(api_client, world, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    admin = AdminFactory()
    api_client.force_authenticate(admin)
    before = Run.objects.count()
    bad = api_client.post("/api/portraits/runs/", {"period": "2023", "k": "11"}, format="json")
    assert bad.status_code == 400
    assert Run.objects.count() == before


def test_upload_page_keeps_nothing_on_error(client, world):  # type: ignore[no-untyped-def]
    client.force_login(world["c"])
    students = Student.objects.count()
    roster = SimpleUploadedFile("roster.csv", b"student_no,gender,age,province,college,grade,major\n"
                                              b"N1,female,19,Henan,Nursing,2022,Nursing\n")
    bad = SimpleUploadedFile("library.csv", b"student_no,borrowed_on\nN1,2023-02-30\n")
    resp = client.post(reverse("portraits:import"), {"files": [roster, bad]})
    assert resp.status_code == 200
    assert resp.context["report"].errors == [
        {"file": "library.csv", "row": 2, "column": "borrowed_on", "reason": "not a date: 2023-02-30"}]
    assert Student.objects.count() == students
    assert Record.objects.count() == 0


def test_rule_edit_validates_thresholds(client, world):  # type: ignore[no-untyped-def]
    client.force_login(world["c"])
    rule = InterventionRule.objects.get(kind="low_borrowing")
    client.post(reverse("portraits:rules"), {"rule": rule.id, "enabled": "on", "p_max_per_month": "abc"})
    rule.refresh_from_db()
    assert rule.params == {"max_per_month": 2.0}
    client.post(reverse("portraits:rules"), {"rule": rule.id, "p_max_per_month": "3"})
    rule.refresh_from_db()
    assert rule.params == {"max_per_month": 3.0}
    assert rule.enabled is False


@pytest.mark.postgres
def test_records_are_partitioned_by_period_on_postgresql():
    from portraits.services import campus_import

    roster = b"student_no,gender,age,province,college,grade,major\nP1,male,20,Hebei,Nursing,2022,Nursing\n"
    loans = b"student_no,borrowed_on\nP1,2023-02-01\nP1,2023-08-01\n"
    assert campus_import(files=[("roster.csv", roster), ("library.csv", loans)]).ok
    with connection.cursor() as cur:
        cur.execute("SELECT tableoid::regclass::text, count(*) FROM portraits_record GROUP BY 1 ORDER BY 1")
        assert cur.fetchall() == [("portraits_record_p2023_1", 1), ("portraits_record_p2023_2", 1)]


@pytest.mark.postgres
def test_postgres_fast_path_and_its_fallback_store_the_same_rows(monkeypatch):
    from portraits.services import campus_import

    slow_files = spy_python_parser(monkeypatch)
    roster = b"student_no,gender,age,province,college,grade,major\nP1,male,20,Hebei,Nursing,2022,Nursing\n"
    plain = b"student_no,paid_at,amount\nP1,2023-02-01 12:00,8.5\nP1,2023-02-01 12:00,8.5\nP1,2023-08-01,\n\n"
    fancy = b"student_no,paid_at,amount\nP1,2023/2/1,\"1,008.5\"\nP1,45000,9\n"
    report = campus_import(files=[("roster.csv", roster), ("logistics.csv", plain)])
    assert report.ok
    # The clean file took the fast path …
    fast = report.files[1]
    assert slow_files == []
    assert (fast.encoding, fast.rows_read, fast.rows_stored, fast.duplicates, fast.missing_values) == (
        "utf-8", 3, 2, 1, 1)
    # … the messy one falls back to the Python parser, which accepts it.
    slow = campus_import(files=[("logistics-2.csv", fancy)])
    assert slow.ok
    assert slow_files == ["logistics-2.csv"]
    assert slow.files[0].encoding == "utf-8"
    rows = sorted(Record.objects.with_period().values_list("occurred_on", "period", "value"))
    assert [(str(d), p, v) for d, p, v in rows] == [
        ("2023-02-01", "2023-1", 8.5), ("2023-02-01", "2023-1", 1008.5), ("2023-03-15", "2023-1", 9.0),
        ("2023-08-01", "2023-2", None)]


@pytest.mark.postgres
def test_postgres_fast_path_redoes_only_the_messy_file(monkeypatch):
    from portraits.services import campus_import

    slow_files = spy_python_parser(monkeypatch)
    roster = b"student_no,gender,age,province,college,grade,major\nP1,male,20,Hebei,Nursing,2022,Nursing\n"
    clean = b"student_no,visit_date\nP1,2023-04-01\n"
    messy = b"student_no,paid_on,amount\nP1,2023/4/2,\"1,200\"\n"
    report = campus_import(files=[("roster.csv", roster), ("hospital.csv", clean), ("research.csv", messy)])
    assert report.ok
    assert [(f.name, f.encoding, f.rows_stored) for f in report.files] == [
        ("roster.csv", "utf-8", 1), ("hospital.csv", "utf-8", 1), ("research.csv", "utf-8", 1)]
    assert slow_files == ["research.csv"]
    assert sorted(Record.objects.described().values_list("source", "value")) == [("hospital", None), ("research", 1200.0)]
