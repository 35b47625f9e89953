"""API and pages: doctors only (403 + audit otherwise), the confirm flow with its preview, search,
follow/cite/forward/download counting as usage, query counts, and the demo data's idempotency."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from consult.models import Appointment, Slot
from rarecases.models import (
    Case,
    CaseCitation,
    CaseEvent,
    CaseFollow,
    MatchProfile,
    RarecasesSettings,
    TrendModel,
)
from tests.factories import DoctorFactory, PatientFactory

from .factories import encounter

pytestmark = pytest.mark.django_db


@pytest.fixture
def doc(with_mfa):  # type: ignore[no-untyped-def]
    d = DoctorFactory()
    with_mfa(d)
    return d


def _appointment(doctor, patient):  # type: ignore[no-untyped-def]
    start = timezone.now() - timedelta(hours=1)
    slot = Slot.objects.create(doctor=doctor, start=start, end=start + timedelta(minutes=15))
    return Appointment.objects.create(slot=slot, patient=patient, booked_by=patient, doctor=doctor, start=start,
                                      end=slot.end, kind="online", status="completed")


def test_api_confirm_search_read_download_cite_follow(api_client, doc) -> None:  # type: ignore[no-untyped-def]
    enc = encounter(doctor=doc)
    api_client.force_authenticate(doc)
    preview = api_client.post(f"/api/rarecases/encounters/{enc.pk}/preview/", {"findings": "Call 13812345678"},
                              format="json")
    assert preview.status_code == 200
    assert preview.json()["problems"]["findings"][0][0] == "phone"
    refused = api_client.post(f"/api/rarecases/encounters/{enc.pk}/confirm/", {"findings": "Call 13812345678"},
                              format="json")
    assert refused.status_code == 400
    assert Case.objects.count() == 0
    created = api_client.post(f"/api/rarecases/encounters/{enc.pk}/confirm/", {"phenotype_ids": ["HP:0001250"]},
                              format="json")
    assert created.status_code == 201, created.content
    case_id = created.json()["id"]
    found = api_client.get("/api/rarecases/cases/?code=E70.0").json()
    assert [r["id"] for r in found["results"]] == [case_id]
    assert api_client.get("/api/rarecases/cases/?q=苯丙酮尿症").json()["count"] == 1
    detail = api_client.get(f"/api/rarecases/cases/{case_id}/").json()
    assert detail["stats"]["counts"] == {"view": 1}
    assert api_client.get(f"/api/rarecases/cases/{case_id}/download/").json()["case_uuid"] == detail["case_uuid"]
    appt = _appointment(doc, enc.patient)
    assert api_client.post(f"/api/rarecases/cases/{case_id}/cite/", {"appointment_id": appt.pk},
                           format="json").status_code == 201
    assert CaseCitation.objects.filter(case_id=case_id, appointment=appt).count() == 1
    other = _appointment(DoctorFactory(), enc.patient)
    assert api_client.post(f"/api/rarecases/cases/{case_id}/cite/", {"appointment_id": other.pk},
                           format="json").status_code == 404
    assert api_client.post(f"/api/rarecases/cases/{case_id}/follow/").status_code == 200
    assert CaseFollow.objects.filter(user=doc).count() == 1
    assert sorted(CaseEvent.objects.values_list("kind", flat=True)) == ["cite", "download", "view"]


def test_api_refuses_non_doctors_with_audit(api_client, patient) -> None:  # type: ignore[no-untyped-def]
    api_client.force_authenticate(patient)
    assert api_client.get("/api/rarecases/cases/").status_code == 403
    assert AuditEvent.objects.filter(action="denied", actor=patient, object_id="/api/rarecases/cases/").count() == 1
    assert api_client.get("/api/rarecases/status/").status_code == 403


def test_api_encounter_of_another_doctor_is_404(api_client, doc) -> None:  # type: ignore[no-untyped-def]
    enc = encounter()
    api_client.force_authenticate(doc)
    assert api_client.post(f"/api/rarecases/encounters/{enc.pk}/confirm/", {}, format="json").status_code == 404
    assert Case.objects.count() == 0


def test_confirm_page_shows_preview_then_confirms(client, doc) -> None:  # type: ignore[no-untyped-def]
    enc = encounter(doctor=doc)
    client.force_login(doc)
    page = client.get(f"/rarecases/encounters/{enc.pk}/confirm/")
    assert page.status_code == 200
    assert b"preview-json" in page.content
    assert b"E70.0" in page.content
    assert enc.patient.email.encode() not in page.content
    bad = client.post(f"/rarecases/encounters/{enc.pk}/confirm/", {"findings": "DOB 1990-03-07", "confirm": "1"})
    assert bad.status_code == 200
    assert b"deid-problems" in bad.content
    assert Case.objects.count() == 0
    ok = client.post(f"/rarecases/encounters/{enc.pk}/confirm/",
                     {"findings": "Phe 1200 umol/L.", "treatment": "Diet.", "outcome": "", "phenotypes": "",
                      "confirm": "1"})
    case = Case.objects.get()
    assert ok.status_code == 302
    assert ok.url == f"/rarecases/cases/{case.pk}/"
    detail = client.get(ok.url)
    assert detail.status_code == 200
    assert b"case-title" in detail.content


def test_search_page_query_count_does_not_grow_with_results(client, doc, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    from rarecases.services import rare_case_confirm

    for _ in range(3):
        rare_case_confirm(doctor=(e := encounter(doctor=doc)).doctor, encounter=e)
    client.force_login(doc)
    with django_assert_max_num_queries(12):
        resp = client.get("/rarecases/?code=E70")
    assert resp.status_code == 200
    assert resp.content.count(b'data-testid="case-link"') == 3


def test_search_and_case_pages_show_the_sex_in_the_readers_language(client, doc) -> None:  # type: ignore[no-untyped-def]
    from rarecases.services import rare_case_confirm

    case = rare_case_confirm(doctor=(e := encounter(doctor=doc)).doctor, encounter=e)
    Case.objects.filter(pk=case.pk).update(sex="female")
    client.force_login(doc)
    zh = client.get("/rarecases/?code=E70", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "· 女" in zh
    en = client.get(f"/rarecases/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "· Female" in en
    assert Case(sex="x-peer").sex_label == "x-peer"  # a value the platform does not know is shown as received


def test_pages_refuse_patients(client) -> None:  # type: ignore[no-untyped-def]
    p = PatientFactory()
    client.force_login(p)
    assert client.get("/rarecases/").status_code == 403


def test_demo_seed_is_idempotent(doc) -> None:  # type: ignore[no-untyped-def]
    from accounts import demo as accounts_demo
    from rarecases import demo

    accounts_demo.seed()
    demo.seed()
    counts = (Case.objects.count(), CaseEvent.objects.count(), TrendModel.objects.count())
    assert Case.objects.filter(confirmed_by__email="doctor@demo.medplatform.test").count() == 3
    assert counts[0] == 3 + 50  # and the 50 MME benchmark patients, imported as test patients
    assert MatchProfile.objects.filter(source="imported", is_test=True).count() == 50
    assert counts[2] == 1
    assert RarecasesSettings.objects.get().rare_rate == 0.05
    demo.seed()
    assert (Case.objects.count(), CaseEvent.objects.count(), TrendModel.objects.count()) == counts


def test_cite_page_form_cites_in_own_consultation_only(client, doc) -> None:  # type: ignore[no-untyped-def]
    from rarecases.services import rare_case_confirm

    enc = encounter(doctor=doc)
    case = rare_case_confirm(doctor=doc, encounter=enc)
    mine, other = _appointment(doc, enc.patient), _appointment(DoctorFactory(), enc.patient)
    client.force_login(doc)
    resp = client.post(f"/rarecases/cases/{case.pk}/cite/", {"appointment": other.pk})
    assert resp.status_code == 302
    assert CaseCitation.objects.count() == 0
    client.post(f"/rarecases/cases/{case.pk}/cite/", {"appointment": mine.pk, "note": "similar presentation"})
    assert list(CaseCitation.objects.values_list("appointment_id", "note")) == [(mine.pk, "similar presentation")]
