"""Follow-up visits only online (《互联网诊疗管理办法（试行）》第十六条) and the doctor's online qualification
(第二十五条) where a consultation starts — docs/compliance.md. Each test fails when its rule breaks."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from accounts.models import AuditEvent, Notification
from accounts.regulation import RuleRefused
from consult.models import (
    AcceptedPriorRecord,
    Appointment,
    AppointmentStatus,
    ConsultationThread,
    Encounter,
    EncounterDiagnosis,
    SlotKind,
)
from consult.services.booking import appointment_book, appointment_set_status
from consult.services.followup import (
    consultation_end_needs_in_person,
    followup_bases,
    followup_confirm,
)
from records.models import HealthDocument
from records.services.followup import document_accept_as_prior_diagnosis
from tests.compliance_helpers import qualify_for_online
from tests.consult.factories import AppointmentFactory, ICD10CodeFactory, SlotFactory
from tests.factories import DoctorFactory, PatientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.compliance]


def _in_person_diagnosis(*, patient, doctor, code="J45.9"):
    icd = ICD10CodeFactory(code=code, name_en="Asthma, unspecified", name_zh="哮喘")
    visit = AppointmentFactory(patient=patient, slot=SlotFactory(doctor=doctor, kind=SlotKind.IN_PERSON,
                                                                 start=timezone.now() - dt.timedelta(days=30)),
                               status=AppointmentStatus.COMPLETED)
    encounter = Encounter.objects.create(appointment=visit, patient=patient, doctor=doctor, occurred_at=visit.start)
    EncounterDiagnosis.objects.create(encounter=encounter, code=icd, patient=patient, diagnosed_at=visit.start)
    return icd


def test_a_first_online_visit_is_refused_in_both_languages_audited_with_an_in_person_offer():
    patient, doctor = PatientFactory(), DoctorFactory()
    online = SlotFactory(doctor=doctor, kind=SlotKind.ONLINE)
    in_person = SlotFactory(doctor=doctor, kind=SlotKind.IN_PERSON)
    for language, text in (("en", "follow-up visits only"), ("zh-hans", "复诊")):
        with translation.override(language), pytest.raises(RuleRefused) as info:
            appointment_book(booked_by=patient, patient=patient, slot_id=online.pk, reason="cough")
        assert text in str(info.value.message)
        assert info.value.code == "first_visit_online"
        assert [s["slot"] for s in info.value.extra["in_person_slots"]] == [in_person.pk]
    assert Appointment.objects.count() == 0
    denied = AuditEvent.objects.filter(actor=patient, outcome="denied", object_type="appointment")
    assert denied.count() == 2
    assert {e.detail["reason"] for e in denied} == {"first_visit_online"}
    # the in-person visit it is offered books
    assert appointment_book(booked_by=patient, patient=patient, slot_id=in_person.pk, reason="cough").kind == "in_person"


def test_after_an_in_person_diagnosis_the_online_follow_up_books():
    patient, doctor = PatientFactory(), DoctorFactory()
    _in_person_diagnosis(patient=patient, doctor=doctor)
    online = SlotFactory(doctor=doctor, kind=SlotKind.ONLINE)
    appointment = appointment_book(booked_by=patient, patient=patient, slot_id=online.pk, reason="asthma review")
    assert appointment.kind == SlotKind.ONLINE
    assert [b.code for b in followup_bases(patient=patient)] == ["J45.9"]


def test_an_online_diagnosis_is_not_an_in_person_basis():
    patient, doctor = PatientFactory(), DoctorFactory()
    icd = ICD10CodeFactory(code="J45.9")
    visit = AppointmentFactory(patient=patient, slot=SlotFactory(doctor=doctor, kind=SlotKind.ONLINE))
    encounter = Encounter.objects.create(appointment=visit, patient=patient, doctor=doctor, occurred_at=visit.start)
    EncounterDiagnosis.objects.create(encounter=encounter, code=icd, patient=patient, diagnosed_at=visit.start)
    assert followup_bases(patient=patient) == []
    with pytest.raises(RuleRefused):
        appointment_book(booked_by=patient, patient=patient, slot_id=SlotFactory(doctor=doctor).pk, reason="x")


def test_a_follow_up_is_accepted_with_an_uploaded_prior_record_the_doctor_accepts():
    patient, doctor, stranger = PatientFactory(), DoctorFactory(), DoctorFactory()
    ICD10CodeFactory(code="E11.9", name_en="Type 2 diabetes mellitus", name_zh="2型糖尿病")
    AppointmentFactory(patient=patient, slot=SlotFactory(doctor=doctor, kind=SlotKind.IN_PERSON))  # care relation
    document = HealthDocument.objects.create(patient=patient, title="门诊病历", kind="other", path="x.pdf",
                                             original_name="x.pdf", content_type="application/pdf",
                                             uploaded_by=patient)
    with pytest.raises(RuleRefused):
        appointment_book(booked_by=patient, patient=patient, slot_id=SlotFactory(doctor=doctor).pk, reason="x")
    # a doctor without a care relation cannot accept it (not found, audited)
    from core.errors import NotFound
    with pytest.raises(NotFound):
        document_accept_as_prior_diagnosis(doctor=stranger, document_id=document.pk, code="E11.9", kind="outpatient")
    assert not AcceptedPriorRecord.objects.exists()
    record = document_accept_as_prior_diagnosis(doctor=doctor, document_id=document.pk, code="e119",
                                                kind="outpatient", institution="浙江省人民医院")
    assert (record.patient, record.code_id, record.document_id, record.accepted_by) == (patient, "E11.9", document.pk,
                                                                                         doctor)
    appointment = appointment_book(booked_by=patient, patient=patient, slot_id=SlotFactory(doctor=doctor).pk,
                                   reason="diabetes review")
    assert appointment.kind == SlotKind.ONLINE


def test_the_doctor_confirms_follow_up_of_an_in_person_diagnosis_only():
    patient, doctor = PatientFactory(), qualify_for_online(DoctorFactory())
    _in_person_diagnosis(patient=patient, doctor=doctor)
    appointment = appointment_book(booked_by=patient, patient=patient,
                                   slot_id=SlotFactory(doctor=doctor).pk, reason="asthma review")
    for language, text in (("en", "no in-person diagnosis of E11.9"), ("zh-hans", "面诊")):
        with translation.override(language), pytest.raises(RuleRefused) as info:
            followup_confirm(doctor=doctor, appointment_id=appointment.pk, code="E11.9")
        assert text in str(info.value.message)
        assert info.value.code == "not_a_follow_up"
    assert AuditEvent.objects.filter(actor=doctor, outcome="denied", detail__reason="not_a_follow_up").count() == 2
    assert ConsultationThread.objects.get(appointment=appointment).follow_up_confirmed_at is None
    thread = followup_confirm(doctor=doctor, appointment_id=appointment.pk, code="J45.9")
    assert thread.follow_up_code_id == "J45.9"
    assert thread.follow_up_confirmed_at is not None


def test_an_unqualified_doctor_cannot_start_or_confirm_an_online_consultation():
    patient, doctor = PatientFactory(), DoctorFactory()
    _in_person_diagnosis(patient=patient, doctor=doctor)
    appointment = appointment_book(booked_by=patient, patient=patient,
                                   slot_id=SlotFactory(doctor=doctor).pk, reason="asthma review")
    for language, text in (("en", "online consultations"), ("zh-hans", "线上")):
        with translation.override(language), pytest.raises(RuleRefused) as info:
            appointment_set_status(doctor=doctor, appointment_id=appointment.pk, action="start")
        assert text in str(info.value.message)
        assert info.value.code == "doctor_not_qualified"
    with pytest.raises(RuleRefused):
        followup_confirm(doctor=doctor, appointment_id=appointment.pk, code="J45.9")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    assert AuditEvent.objects.filter(actor=doctor, outcome="denied", detail__reason="doctor_not_qualified",
                                     object_type="consultation").count() == 3
    qualify_for_online(doctor)
    assert appointment_set_status(doctor=doctor, appointment_id=appointment.pk,
                                  action="start").status == AppointmentStatus.IN_PROGRESS


def test_the_doctor_ends_an_online_consultation_as_needing_in_person_examination():
    patient, doctor = PatientFactory(), qualify_for_online(DoctorFactory())
    _in_person_diagnosis(patient=patient, doctor=doctor)
    appointment = appointment_book(booked_by=patient, patient=patient,
                                   slot_id=SlotFactory(doctor=doctor).pk, reason="chest pain")
    thread = consultation_end_needs_in_person(doctor=doctor, appointment_id=appointment.pk,
                                              reason="Needs auscultation and an ECG.")
    assert (thread.status, thread.outcome) == ("closed", "needs_in_person")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED
    note = Notification.objects.get(user=patient, kind="consultation_closed")
    assert note.url == f"/doctors/{doctor.pk}/" or str(doctor.pk) in note.url


def test_the_doctor_accepts_an_uploaded_record_from_the_record_page(client, with_mfa):
    patient, doctor = PatientFactory(), DoctorFactory()
    ICD10CodeFactory(code="E11.9", name_en="Type 2 diabetes mellitus", name_zh="2型糖尿病")
    AppointmentFactory(patient=patient, slot=SlotFactory(doctor=doctor, kind=SlotKind.IN_PERSON))
    document = HealthDocument.objects.create(patient=patient, title="出院小结", kind="discharge", path="y.pdf",
                                             original_name="y.pdf", content_type="application/pdf",
                                             uploaded_by=patient)
    with_mfa(doctor)
    client.force_login(doctor)
    page = client.get(f"/records/{patient.pk}/")
    assert f'data-testid="accept-document-{document.pk}"' in page.content.decode()
    response = client.post(f"/records/documents/{document.pk}/accept/",
                           {"code": "E11.9", "kind": "discharge", "institution": "浙江大学医学院附属第一医院"})
    assert response.status_code == 302
    record = AcceptedPriorRecord.objects.get()
    assert (record.patient, record.code_id, record.kind, record.document_id) == (patient, "E11.9", "discharge",
                                                                                 document.pk)
