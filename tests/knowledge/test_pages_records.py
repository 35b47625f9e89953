"""Triage page → bookable doctors; doctors' knowledge look-up; triage answers kept on the patient's record."""
from __future__ import annotations

import pytest

from accounts.models import AuditEvent
from knowledge import selectors, services
from knowledge.models import Node, NodeKind, TriageRecord
from knowledge.triage import triage
from tests.consult.factories import AppointmentFactory, DepartmentFactory, SlotFactory
from tests.factories import DoctorFactory, PatientFactory, give_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def graph():
    services.knowledge_load()
    services.catalogue_drugs_link(drugs=[
        services.CatalogueDrug(id=1, name_en="Omeprazole", name_zh="奥美拉唑", atc_code="A02BC01")])


def _mfa_doctor():  # type: ignore[no-untyped-def]
    doctor = DoctorFactory()
    give_totp(doctor)
    return doctor


def _doctor_of(code: str):  # type: ignore[no-untyped-def]
    doctor = DoctorFactory(full_name=f"Dr {code}")
    doctor.doctor_profile.department = DepartmentFactory(code=code, name_en=code.title(), name_zh="科")
    doctor.doctor_profile.save(update_fields=["department"])
    return doctor


def test_triage_page_loads_the_doctors_of_the_suggested_departments(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/triage/", {"text": "Heartburn and acid reflux after meals", "age": 35, "sex": "female"})
    html = response.content.decode()
    assert "/doctors/by-department/?department=gastroenterology" in html

    gastro, derm = _doctor_of("gastroenterology"), _doctor_of("dermatology")
    slot = SlotFactory(doctor=gastro)
    SlotFactory(doctor=derm)
    fragment = client.get("/doctors/by-department/?department=gastroenterology").content.decode()
    assert f"/doctors/{gastro.pk}/" in fragment
    assert f"/doctors/{derm.pk}/" not in fragment
    assert slot.start.astimezone().strftime("%Y-%m-%d") in fragment


def test_an_emergency_answer_loads_no_doctors(client) -> None:  # type: ignore[no-untyped-def]
    html = client.post("/triage/", {"text": "I vomited blood", "age": 50, "sex": "male"}).content.decode()
    assert 'data-urgency="emergency"' in html
    assert "by-department" not in html


def test_the_directory_links_to_triage(client) -> None:  # type: ignore[no-untyped-def]
    assert 'href="/triage/"' in client.get("/doctors/").content.decode()


def test_knowledge_lookup_is_for_doctors(client, graph) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/knowledge/?q=fever").status_code == 302  # to the log-in page
    client.force_login(PatientFactory())
    assert client.get("/knowledge/?q=fever").status_code == 403
    client.force_login(_mfa_doctor())
    html = client.get("/knowledge/?q=拉肚子").content.decode()
    assert "SYMP:0000570" in html


def test_a_disease_entry_shows_symptoms_codes_department_and_drugs(client, graph) -> None:  # type: ignore[no-untyped-def]
    client.force_login(_mfa_doctor())
    gerd = Node.objects.filter(kind=NodeKind.DISEASE, out_edges__dst__key__startswith="K21").first()
    html = client.get("/knowledge/entry/", {"kind": "disease", "key": gerd.key}).content.decode()
    detail = selectors.disease_detail(gerd)
    assert detail["departments"][0].key == "gastroenterology"
    assert "Omeprazole" in html
    assert all(c.key in html for c in detail["codes"])
    assert all(s.name_en in html for s in detail["symptoms"])
    assert client.get("/knowledge/entry/", {"kind": "disease", "key": "DOID:nope"}).status_code == 404
    symptom = client.get("/knowledge/entry/", {"kind": "symptom", "key": "SYMP:0000570"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "腹泻" in symptom.content.decode()
    assert "HP:0002014" in symptom.content.decode()  # HPO "Diarrhea"


def test_a_patients_answer_is_kept_and_an_anonymous_one_is_not(api_client) -> None:  # type: ignore[no-untyped-def]
    api_client.post("/api/triage/", {"text": "fever and cough", "age": 30, "sex": "male"}, format="json")
    assert TriageRecord.objects.count() == 0
    patient = PatientFactory()
    api_client.force_authenticate(patient)
    api_client.post("/api/triage/", {"text": "fever and cough, no headache", "age": 30, "sex": "male"}, format="json")
    record = TriageRecord.objects.get()
    assert record.patient == patient
    assert record.urgency == "routine"
    assert {s["id"]: s["negated"] for s in record.symptoms} == {"fever": False, "cough": False, "headache": True}
    assert record.departments[0] in {"respiratory", "internal-medicine", "infectious-disease"}
    event = AuditEvent.objects.get(action="knowledge.triage")
    assert event.detail["record"] == record.pk


def test_the_record_is_read_by_the_patient_and_doctors_with_a_care_relation(client) -> None:  # type: ignore[no-untyped-def]
    patient, stranger = PatientFactory(), DoctorFactory()
    appointment = AppointmentFactory(patient=patient)
    answer = triage("I vomited blood", age=50, sex="male", language="en")
    services.triage_record_create(patient=patient, answer=answer)

    assert [r.urgency for r in selectors.triage_records_of(patient, patient=patient)] == ["emergency"]
    assert [r.urgency for r in selectors.triage_records_of(appointment.doctor, patient=patient)] == ["emergency"]
    assert selectors.triage_records_visible(stranger, patient=patient) == []
    before = AuditEvent.objects.filter(outcome="denied").count()
    with pytest.raises(Exception) as refused:
        selectors.triage_records_of(stranger, patient=patient)
    assert refused.value.__class__.__name__ == "AccessRefused"
    assert AuditEvent.objects.filter(outcome="denied").count() == before + 1

    give_totp(appointment.doctor)
    client.force_login(appointment.doctor)
    html = client.get(f"/appointments/{appointment.pk}/encounter/").content.decode()
    assert 'data-testid="triage-records"' in html
    assert "Vomiting blood or black stool" in html


def test_the_doctors_fragment_takes_one_query_per_department_whatever_the_doctors(  # type: ignore[no-untyped-def]
        client, django_assert_max_num_queries) -> None:
    for code in ("gastroenterology", "cardiology", "neurology"):
        for _ in range(3):
            SlotFactory(doctor=_doctor_of(code))
    with django_assert_max_num_queries(6):  # session/user + departments + one directory query per department
        html = client.get("/doctors/by-department/?department=gastroenterology&department=cardiology"
                          "&department=neurology").content.decode()
    assert html.count('data-testid="triage-doctor"') == 9


def test_the_lookup_page_takes_a_fixed_number_of_queries(client, graph, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    client.force_login(_mfa_doctor())
    client.get("/knowledge/?q=pain")  # warm the session
    with django_assert_max_num_queries(12):
        html = client.get("/knowledge/?q=pain").content.decode()
    assert html.count("<li>") >= 10
