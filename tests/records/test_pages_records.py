"""Pages: query counts of list pages stay flat, the summary include renders, notify_many keeps one per key."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Notification
from accounts.services import notify_many
from records.models import DoseReminder
from records.services.prescriptions import prescription_create
from records.services.records import allergy_add, problem_add
from tests.factories import PatientFactory

from .factories import DrugFactory, EncounterFactory, icd, item_data

pytestmark = pytest.mark.django_db


def _prescribe(encounter, n: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(n):
        prescription_create(doctor=encounter.doctor, encounter_id=encounter.pk,
                            items=[item_data(DrugFactory()), item_data(DrugFactory(), frequency="once_daily",
                                                                       times_of_day=["09:00"])])


@pytest.mark.parametrize("url", ["/prescriptions/", "/medication/"])
def test_patient_list_pages_have_flat_query_counts(client, url):
    enc = EncounterFactory()
    client.force_login(enc.patient)
    _prescribe(enc, 1)
    client.get(url)   # warm-up: the session's first refresh
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _prescribe(enc, 4)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_summary_include_shows_allergies_active_problems_and_visits():
    enc = EncounterFactory()
    allergy_add(actor=enc.doctor, patient=enc.patient, substance="sulfonamide", reaction="rash")
    problem_add(doctor=enc.doctor, patient=enc.patient, code=icd().code)
    html = render_to_string("records/summary.html", {"patient": enc.patient})
    assert "sulfonamide" in html
    assert "J02.9" in html
    assert timezone.localtime(enc.occurred_at).strftime("%Y-%m-%d") in html


def test_notify_many_skips_existing_keys_and_mails_once():
    p1, p2 = PatientFactory(), PatientFactory()
    mail.outbox.clear()
    batch = [{"user_id": p1.pk, "kind": "k", "title": "T1", "dedupe_key": "bench:1", "email_to": p1.email},
             {"user_id": p2.pk, "kind": "k", "title": "T2", "dedupe_key": "bench:2", "email_to": ""}]
    assert notify_many(notifications=batch) == 2
    assert notify_many(notifications=batch) == 0
    assert sorted(Notification.objects.values_list("dedupe_key", flat=True)) == ["bench:1", "bench:2"]
    from accounts.models import OutboundEmail

    assert list(OutboundEmail.objects.values_list("subject", flat=True)) == ["T1"]


def test_dose_page_from_notification_marks_taken(client):
    enc = EncounterFactory()
    _prescribe(enc, 1)
    dose = DoseReminder.objects.order_by("scheduled_at").first()
    dose.scheduled_at = timezone.now() - dt.timedelta(minutes=1)
    dose.save(update_fields=["scheduled_at"])
    from records.services.reminders import reminders_send_due

    assert reminders_send_due() == 1
    note = Notification.objects.get(kind="dose_reminder")
    client.force_login(enc.patient)
    assert client.get(note.url).status_code == 200
    response = client.post(f"/medication/doses/{dose.pk}/respond/", {"answer": "taken"})
    assert response.status_code == 302
    dose.refresh_from_db()
    assert dose.status == "taken"
    # someone else cannot answer it
    client.force_login(PatientFactory())
    assert client.post(f"/medication/doses/{dose.pk}/respond/", {"answer": "skipped"}).status_code == 404
    dose.refresh_from_db()
    assert dose.status == "taken"


def test_chart_series_orders_kinds_and_keeps_flags():
    from decimal import Decimal
    from types import SimpleNamespace

    from records.views.records import chart_series

    t0 = timezone.now()
    obs = [SimpleNamespace(kind="height", effective_at=t0, value=Decimal("170"), value2=None, is_out_of_range=False),
           SimpleNamespace(kind="blood_pressure", effective_at=t0 + dt.timedelta(days=1), value=Decimal("150"),
                           value2=Decimal("95"), is_out_of_range=True),
           SimpleNamespace(kind="blood_pressure", effective_at=t0, value=Decimal("120"), value2=Decimal("80"),
                           is_out_of_range=False)]
    series = chart_series(obs)
    assert list(series) == ["blood_pressure", "height"]
    assert series["blood_pressure"]["y"] == [120.0, 150.0]
    assert series["blood_pressure"]["y2"] == [80.0, 95.0]
    assert series["blood_pressure"]["flag"] == [False, True]


def test_medication_page_in_simplified_chinese(client):
    enc = EncounterFactory()
    _prescribe(enc, 1)
    client.force_login(enc.patient)
    html = client.get("/medication/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "依从性" in html
    assert "暂停提醒" in html
