"""Alert inbox grouped by student, filters by rule and state, bulk acknowledge/resolve through the policy; the
rules page's per-run flag counts (issue 21)."""
from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from portraits.models import Alert, AlertState, InterventionRule, Run, RunStatus
from portraits.services.runs import rules_active
from tests.factories import CounsellorFactory, give_totp

from .factories import StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox():  # type: ignore[no-untyped-def]
    mine = StudentFactory.create_batch(2, college="Nursing", grade="2022")
    other = StudentFactory.create(college="Pharmacy", grade="2022")
    run = Run.objects.create(period="2023", status=RunStatus.DONE, n_students=4)
    rules_active()
    borrow = InterventionRule.objects.get(kind="low_borrowing")
    gap = InterventionRule.objects.get(kind="counselling_gap")
    alerts = {
        "a_borrow": Alert.objects.create(rule=borrow, student=mine[0], run=run, period="2023"),
        "a_gap": Alert.objects.create(rule=gap, student=mine[0], run=run, period="2023"),
        "b_borrow": Alert.objects.create(rule=borrow, student=mine[1], run=run, period="2023",
                                         state=AlertState.RESOLVED),
        "foreign": Alert.objects.create(rule=borrow, student=other, run=run, period="2023"),
    }
    counsellor = CounsellorFactory(profile__colleges=["Nursing"], profile__grades=["2022"])
    give_totp(counsellor)
    return {"mine": mine, "alerts": alerts, "c": counsellor, "run": run}


def test_inbox_has_one_row_per_student_with_their_alerts(client, inbox, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    client.force_login(inbox["c"])
    with django_assert_max_num_queries(15):
        page = client.get(reverse("portraits:alerts"))          # default: open alerts
    rows = list(page.context["page"].object_list)
    assert [s.id for s in rows] == [inbox["mine"][0].id]
    assert sorted(a.id for a in rows[0].inbox_alerts) == sorted([inbox["alerts"]["a_borrow"].id,
                                                                 inbox["alerts"]["a_gap"].id])
    by_rule = client.get(reverse("portraits:alerts"), {"state": "", "rule": "low_borrowing"})
    rows = list(by_rule.context["page"].object_list)
    assert sorted(s.id for s in rows) == sorted(s.id for s in inbox["mine"])
    assert all(a.rule.kind == "low_borrowing" for s in rows for a in s.inbox_alerts)
    resolved = client.get(reverse("portraits:alerts"), {"state": "resolved"})
    assert [s.id for s in resolved.context["page"].object_list] == [inbox["mine"][1].id]


def test_bulk_resolve_changes_every_selected_alert(client, inbox):  # type: ignore[no-untyped-def]
    client.force_login(inbox["c"])
    ids = [inbox["alerts"]["a_borrow"].id, inbox["alerts"]["a_gap"].id]
    resp = client.post(reverse("portraits:alert_bulk_update"), {"ids": ids, "state": "resolved", "note": "met"})
    assert resp.status_code == 302
    assert sorted(Alert.objects.filter(state=AlertState.RESOLVED, note="met").values_list("id", flat=True)) == sorted(ids)
    assert set(Alert.objects.filter(id__in=ids).values_list("owner_id", flat=True)) == {inbox["c"].id}


def test_bulk_with_a_foreign_alert_is_404_and_changes_nothing(client, inbox):  # type: ignore[no-untyped-def]
    client.force_login(inbox["c"])
    ids = [inbox["alerts"]["a_borrow"].id, inbox["alerts"]["foreign"].id]
    before = AuditEvent.objects.count()
    resp = client.post(reverse("portraits:alert_bulk_update"), {"ids": ids, "state": "acknowledged"})
    assert resp.status_code == 404
    assert not Alert.objects.filter(state=AlertState.ACKNOWLEDGED).exists()
    assert list(AuditEvent.objects.order_by("seq")[before:].values_list("action", flat=True)) == ["denied"]


def test_rules_page_shows_each_rules_flag_count_and_share(client, inbox):  # type: ignore[no-untyped-def]
    client.force_login(inbox["c"])
    page = client.get(reverse("portraits:rules"))
    flags = {rule.kind: rows for rule, rows in page.context["rules"]}
    run = inbox["run"]
    assert flags["low_borrowing"] == [{"run": run.id, "period": "2023", "n": 3, "share": 0.75}]
    assert flags["counselling_gap"] == [{"run": run.id, "period": "2023", "n": 1, "share": 0.25}]
    assert flags["failed_consecutive"][0]["n"] == 0
    assert b"75.0 %" in page.content
