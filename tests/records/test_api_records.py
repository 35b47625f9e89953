"""Record API and pages: bad input changes nothing; someone else's record is a 404 plus an audit entry."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent
from records.models import Allergy, Observation, Prescription
from tests.factories import DoctorFactory, PatientFactory, give_totp

from .factories import DrugFactory, EncounterFactory

pytestmark = pytest.mark.django_db


def obs_url(patient) -> str:  # type: ignore[no-untyped-def]
    return f"/api/consult/records/patients/{patient.pk}/observations/"


def test_patient_records_measurement_flagged(api_client, patient):
    api_client.force_authenticate(patient)
    response = api_client.post(obs_url(patient), {"kind": "blood_pressure", "value": "165", "value2": "95"}, format="json")
    assert response.status_code == 201
    assert response.json()["is_out_of_range"] is True
    assert response.json()["source"] == "patient"
    normal = api_client.post(obs_url(patient), {"kind": "heart_rate", "value": "72"}, format="json")
    assert normal.json()["is_out_of_range"] is False


@pytest.mark.parametrize("payload", [
    {"kind": "weight", "value": "-70"},
    {"kind": "blood_pressure", "value": "400", "value2": "20"},
    {"kind": "blood_pressure", "value": "120"},
    {"kind": "blood_pressure", "value": "80", "value2": "120"},
    {"kind": "temperature", "value": "abc"},
    {"kind": "weight", "value": "70", "unit": "lb"},
    {"kind": "spo2", "value": "101"},
    {"kind": "height", "value": "170", "value2": "3"},
])
def test_impossible_vitals_are_refused_and_nothing_written(api_client, patient, payload):
    api_client.force_authenticate(patient)
    response = api_client.post(obs_url(patient), payload, format="json")
    assert response.status_code == 400
    assert response.json()["detail"]
    assert Observation.objects.count() == 0


def test_other_patients_record_is_404_and_audited(api_client, patient):
    stranger = PatientFactory()
    api_client.force_authenticate(stranger)
    assert api_client.get(obs_url(patient)).status_code == 404
    assert api_client.post(obs_url(patient), {"kind": "heart_rate", "value": "70"}, format="json").status_code == 404
    assert Observation.objects.count() == 0
    assert AuditEvent.objects.filter(action="denied", actor=stranger, subject=patient).count() == 2


def test_allergy_api_and_duplicate_conflict(api_client, patient):
    api_client.force_authenticate(patient)
    url = f"/api/consult/records/patients/{patient.pk}/allergies/"
    assert api_client.post(url, {"substance": "Peanut", "category": "food", "severity": "severe"}, format="json").status_code == 201
    assert api_client.post(url, {"substance": "peanut "}, format="json").status_code == 409
    assert Allergy.objects.filter(patient=patient).count() == 1
    assert [a["substance"] for a in api_client.get(url).json()] == ["peanut"]


def test_problem_list_is_doctors_only(api_client, patient):
    api_client.force_authenticate(patient)
    url = f"/api/consult/records/patients/{patient.pk}/problems/"
    assert api_client.post(url, {"code": "J02.9"}, format="json").status_code == 403


def test_prescribe_api_for_another_doctors_patient_is_404(api_client):
    enc = EncounterFactory()
    other = DoctorFactory()
    give_totp(other)
    api_client.force_authenticate(other)
    payload = {"encounter_id": enc.pk, "items": [{"drug_id": DrugFactory().pk, "dose": "1", "dose_unit": "tablet",
                                                  "frequency": "once_daily", "duration_days": 3, "quantity": 1}]}
    assert api_client.post("/api/consult/prescriptions/", payload, format="json").status_code == 404
    assert Prescription.objects.count() == 0


def test_prescribe_api_dose_without_unit_is_400(api_client):
    enc = EncounterFactory()
    give_totp(enc.doctor)
    api_client.force_authenticate(enc.doctor)
    payload = {"encounter_id": enc.pk, "items": [{"drug_id": DrugFactory().pk, "dose": "1", "dose_unit": "",
                                                  "frequency": "once_daily", "duration_days": 3, "quantity": 1}]}
    assert api_client.post("/api/consult/prescriptions/", payload, format="json").status_code == 400
    payload["items"][0]["dose_unit"] = "tablet"
    response = api_client.post("/api/consult/prescriptions/", payload, format="json")
    assert response.status_code == 201
    assert Prescription.objects.count() == 1
    api_client.force_authenticate(enc.patient)
    listed = api_client.get("/api/consult/prescriptions/").json()
    assert [p["id"] for p in listed] == [response.json()["id"]]


def test_record_page_query_count_is_bounded(client, patient):
    client.force_login(patient)
    for v in ("70", "71", "72"):
        client.post(f"/records/{patient.pk}/measurements/", {"kind": "heart_rate", "value": v})
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"/records/{patient.pk}/").status_code == 200
    for v in range(60, 90):
        client.post(f"/records/{patient.pk}/measurements/", {"kind": "heart_rate", "value": str(v)})
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"/records/{patient.pk}/")
    assert response.status_code == 200
    assert len(many) == len(few)
    assert Observation.objects.filter(patient=patient).count() == 33


def test_pages_render_for_patient_and_doctor(client):
    enc = EncounterFactory()
    give_totp(enc.doctor)
    client.force_login(enc.doctor)
    for url in ("/records/", f"/records/{enc.patient.pk}/", f"/records/{enc.patient.pk}/timeline/",
                f"/encounters/{enc.pk}/prescribe/", "/prescriptions/"):
        assert client.get(url).status_code == 200, url
    client.force_login(enc.patient)
    for url in ("/records/", "/medication/", "/prescriptions/", f"/records/{enc.patient.pk}/timeline/"):
        assert client.get(url).status_code in (200, 302), url
    assert client.get(f"/encounters/{enc.pk}/prescribe/").status_code == 403
