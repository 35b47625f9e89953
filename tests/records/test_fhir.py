"""FHIR export: the Bundle validates (fhir.resources R4B + our required-binding checks), round-trips the numbers,
and follows the same access rules and audit as the pages."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from accounts.models import AuditEvent
from consult.models import Appointment, EncounterDiagnosis, Slot
from records.services.prescriptions import prescription_create
from records.services.records import allergy_add, observation_record, problem_add
from tests.factories import DoctorFactory, PatientFactory, give_totp

from .factories import DrugFactory, EncounterFactory, icd, item_data
from .fhir_bindings import binding_errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def record():  # type: ignore[no-untyped-def]
    enc = EncounterFactory()
    patient, doctor = enc.patient, enc.doctor
    start = timezone.now() - dt.timedelta(days=1)
    slot = Slot.objects.create(doctor=doctor, start=start, end=start + dt.timedelta(minutes=15))
    appt = Appointment.objects.create(slot=slot, patient=patient, booked_by=patient, doctor=doctor, start=slot.start,
                                      end=slot.end, kind="online", status="completed", reason="Fever")
    enc.appointment = appt
    enc.save(update_fields=["appointment"])
    EncounterDiagnosis.objects.create(encounter=enc, code=icd(), patient=patient, diagnosed_at=enc.occurred_at,
                                      is_primary=True)
    problem_add(doctor=doctor, patient=patient, code=icd("E11.9", "Type 2 diabetes mellitus without complications").code)
    allergy_add(actor=doctor, patient=patient, substance="penicillin", reaction="anaphylaxis",
                severity="life_threatening")
    observation_record(actor=patient, patient=patient, kind="blood_pressure", value="142", value2="91")
    observation_record(actor=patient, patient=patient, kind="glucose", value="6.8")
    observation_record(actor=doctor, patient=patient, kind="height", value="170")
    observation_record(actor=doctor, patient=patient, kind="weight", value="72.5")
    prescription_create(doctor=doctor, encounter_id=enc.pk,
                        items=[item_data(DrugFactory(atc_code="N02BE01")),
                               item_data(DrugFactory(), frequency="every_n_hours", interval_hours=8,
                                         times_of_day=["06:00"]),
                               item_data(DrugFactory(), frequency="as_needed", times_of_day=[])])
    return patient, doctor


def _bundle(client, patient):  # type: ignore[no-untyped-def]
    response = client.get(f"/fhir/Patient/{patient.pk}/$everything")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    return json.loads(response.content)


def test_bundle_validates_and_round_trips(record, api_client):
    patient, _doctor = record
    api_client.force_authenticate(patient)
    data = _bundle(api_client, patient)
    Bundle.model_validate(data)  # raises on any structural error (R4B models)
    assert binding_errors(data) == []
    types = [e["resource"]["resourceType"] for e in data["entry"]]
    for expected in ("Patient", "Practitioner", "Encounter", "Condition", "Observation", "AllergyIntolerance",
                     "MedicationRequest", "Appointment"):
        assert expected in types
    assert types.count("MedicationRequest") == 3
    assert types.count("Condition") == 2  # problem-list item + encounter diagnosis
    obs = {e["resource"]["code"]["coding"][0]["code"]: e["resource"] for e in data["entry"]
           if e["resource"]["resourceType"] == "Observation"}
    bp = obs["85354-9"]
    assert [(c["code"]["coding"][0]["code"], c["valueQuantity"]["value"]) for c in bp["component"]] == [
        ("8480-6", 142), ("8462-4", 91)]
    assert obs["15074-8"]["valueQuantity"] == {"value": 6.8, "unit": "mmol/L", "system": "http://unitsofmeasure.org",
                                               "code": "mmol/L"}
    assert obs["29463-7"]["valueQuantity"]["value"] == 72.5
    assert Decimal(str(obs["39156-5"]["valueQuantity"]["value"])) == Decimal("25.1")  # 72.5 / 1.70²
    allergy = next(e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "AllergyIntolerance")
    assert (allergy["criticality"], allergy["reaction"][0]["severity"]) == ("high", "severe")
    appointment = next(e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "Appointment")
    assert appointment["status"] == "fulfilled"
    meds = [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "MedicationRequest"]
    assert meds[1]["dosageInstruction"][0]["timing"]["repeat"] == {
        "boundsPeriod": meds[1]["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"],
        "frequency": 1, "period": 8, "periodUnit": "h"}
    assert meds[2]["dosageInstruction"][0]["asNeededBoolean"] is True
    assert AuditEvent.objects.filter(action="export", object_type="fhir_bundle", subject=patient).count() == 1


def test_binding_checker_catches_a_bad_code(record, api_client):
    patient, _ = record
    api_client.force_authenticate(patient)
    data = _bundle(api_client, patient)
    next(e for e in data["entry"] if e["resource"]["resourceType"] == "Appointment")["resource"]["status"] = "done"
    Bundle.model_validate(data)  # fhir.resources accepts it …
    assert binding_errors(data) == ["Appointment.status='done' not in the required value set"]  # … we do not


def test_other_patients_bundle_is_404_and_audited(record, api_client):
    patient, _ = record
    stranger = PatientFactory()
    api_client.force_authenticate(stranger)
    response = api_client.get(f"/fhir/Patient/{patient.pk}/$everything")
    assert response.status_code == 404
    denied = AuditEvent.objects.get(action="denied", object_type="fhir_bundle")
    assert (denied.actor, denied.subject) == (stranger, patient)
    assert AuditEvent.objects.filter(action="export").count() == 0


def test_doctor_without_care_relationship_is_refused(record, client):
    patient, doctor = record
    other = DoctorFactory()
    give_totp(other)
    give_totp(doctor)
    client.force_login(other)
    assert client.get(f"/fhir/Patient/{patient.pk}/$everything").status_code == 404
    client.force_login(doctor)
    assert client.get(f"/fhir/Patient/{patient.pk}/$everything").status_code == 200


def test_patient_downloads_own_record(record, client):
    patient, _ = record
    client.force_login(patient)
    response = client.get(f"/records/{patient.pk}/fhir.json")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="patient-{patient.pk}-fhir.json"'
    Bundle.model_validate(json.loads(response.content))
