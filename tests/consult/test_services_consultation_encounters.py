"""Consultation threads (parties, window, attachments by content and size, closing) and encounters (ICD-10,
amendments by the author only, audit of reads and denials)."""
from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import AuditEvent, Notification
from consult.models import ConsultationMessage, Encounter, EncounterAmendment, EncounterDiagnosis
from consult.services.booking import appointment_book
from consult.services.consultation import (
    Upload,
    attachment_open,
    consultation_read,
    message_post,
    thread_close,
)
from consult.services.encounters import diagnoses_known, encounter_amend, encounter_read, encounter_record
from consult.services.icd10 import icd10_search, normalise_code
from core.errors import ApplicationError, Conflict, NotFound, PermissionDeniedError
from tests.consult.factories import ICD10CodeFactory, SlotFactory
from tests.factories import DoctorFactory, PatientFactory

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
PDF = b"%PDF-1.4\n%synthetic\n"
EXE = b"MZ\x90\x00" + b"\x00" * 100


@pytest.fixture
def online(patient):
    slot = SlotFactory(start=timezone.now() + timedelta(minutes=5))
    return appointment_book(booked_by=patient, patient=patient, slot_id=slot.pk, reason="Rash")


def _files():
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_parties_exchange_messages_and_reads_are_audited(online, patient):
    doctor = online.doctor
    message_post(user=patient, appointment_id=online.pk, body="Itchy rash since Monday")
    message_post(user=doctor, appointment_id=online.pk, body="Please send a photo")
    thread, messages = consultation_read(user=doctor, appointment_id=online.pk)
    assert [(m.sender, m.body) for m in messages] == [(patient, "Itchy rash since Monday"),
                                                     (doctor, "Please send a photo")]
    assert AuditEvent.objects.filter(action="read", object_type="consultation", actor=doctor,
                                     subject=patient).count() == 1
    # Polling with nothing new writes no audit entry.
    _, newer = consultation_read(user=doctor, appointment_id=online.pk, after_id=messages.last().pk)
    assert list(newer) == []
    assert AuditEvent.objects.filter(action="read", object_type="consultation").count() == 1


def test_message_to_someone_elses_thread_is_refused_and_audited(online):
    stranger, other_doctor = PatientFactory(), DoctorFactory()
    for user in (stranger, other_doctor):
        with pytest.raises(NotFound):
            message_post(user=user, appointment_id=online.pk, body="hello")
        with pytest.raises(NotFound):
            consultation_read(user=user, appointment_id=online.pk)
    assert ConsultationMessage.objects.count() == 0
    assert AuditEvent.objects.filter(action="denied", object_type="consultation").count() == 4


def test_thread_not_open_before_window(patient):
    slot = SlotFactory(start=timezone.now() + timedelta(days=1))
    appointment = appointment_book(booked_by=patient, patient=patient, slot_id=slot.pk, reason="x")
    with pytest.raises(Conflict) as exc:
        message_post(user=patient, appointment_id=appointment.pk, body="early")
    assert exc.value.code == "not_open"
    assert ConsultationMessage.objects.count() == 0


def test_image_and_pdf_attachments_stored_privately_and_served_to_parties_only(online, patient):
    m1 = message_post(user=patient, appointment_id=online.pk, body="photo",
                      upload=Upload(name="../../rash.png", size=len(PNG), file=io.BytesIO(PNG)))
    m2 = message_post(user=patient, appointment_id=online.pk,
                      upload=Upload(name="lab.pdf", size=len(PDF), file=io.BytesIO(PDF)))
    assert (m1.attachment_type, m1.attachment_name, m1.attachment_size) == ("image/png", "rash.png", len(PNG))
    assert m2.attachment_type == "application/pdf"
    files = _files()
    assert len(files) == 2
    assert all(Path(settings.PRIVATE_MEDIA_ROOT) in f.parents for f in files)
    assert not str(settings.PRIVATE_MEDIA_ROOT).startswith(str(settings.STATIC_ROOT))
    stored, _ = attachment_open(user=online.doctor, message_id=m1.pk)
    with stored:
        assert stored.read() == PNG
    with pytest.raises(NotFound):
        attachment_open(user=PatientFactory(), message_id=m1.pk)


def test_executable_renamed_jpg_and_oversized_file_refused(online, patient, settings):
    with pytest.raises(ApplicationError) as exc:
        message_post(user=patient, appointment_id=online.pk, body="x",
                     upload=Upload(name="photo.jpg", size=len(EXE), file=io.BytesIO(EXE)))
    assert exc.value.code == "bad_type"
    settings.CONSULT_MAX_ATTACHMENT_BYTES = 1024
    big = PNG + b"\x00" * 2000
    with pytest.raises(ApplicationError) as exc:
        message_post(user=patient, appointment_id=online.pk, body="x",
                     upload=Upload(name="big.png", size=len(big), file=io.BytesIO(big)))
    assert exc.value.code == "too_large"
    # A declared size that lies is caught while streaming.
    with pytest.raises(ApplicationError):
        message_post(user=patient, appointment_id=online.pk, body="x",
                     upload=Upload(name="big.png", size=10, file=io.BytesIO(big)))
    assert ConsultationMessage.objects.count() == 0
    assert _files() == []


def test_doctor_closes_with_summary_patient_told(online, patient):
    with pytest.raises(ApplicationError):
        thread_close(doctor=online.doctor, appointment_id=online.pk, summary=" ")
    thread_close(doctor=online.doctor, appointment_id=online.pk, summary="Contact dermatitis; cream twice daily")
    online.refresh_from_db()
    assert (online.thread.status, online.thread.summary, online.status) == (
        "closed", "Contact dermatitis; cream twice daily", "completed")
    assert Notification.objects.filter(user=patient, kind="consultation_closed").count() == 1
    with pytest.raises(Conflict):
        message_post(user=patient, appointment_id=online.pk, body="one more thing")
    with pytest.raises(PermissionDeniedError):
        thread_close(doctor=patient, appointment_id=online.pk, summary="x")


def test_icd10_normalise_and_search():
    ICD10CodeFactory(code="E11.9", name_en="Type 2 diabetes mellitus without complications",
                     name_zh="2型糖尿病，不伴有并发症")
    ICD10CodeFactory(code="E11", name_en="Type 2 diabetes mellitus", name_zh="2型糖尿病")
    ICD10CodeFactory()
    assert normalise_code(" e119 ") == "E11.9"
    assert normalise_code("11.9") == ""
    assert normalise_code("E11.9;DROP") == ""
    assert [c.code for c in icd10_search("e11")] == ["E11", "E11.9"]
    assert [c.code for c in icd10_search("糖尿病")] == ["E11", "E11.9"]
    assert [c.code for c in icd10_search("respiratory")] == ["J06.9"]


def test_encounter_with_diagnoses_and_author_only_amendments(online, patient):
    ICD10CodeFactory()
    ICD10CodeFactory(code="L30.9", name_en="Dermatitis, unspecified", name_zh="皮炎，未特指")
    doctor = online.doctor
    encounter = encounter_record(doctor=doctor, appointment_id=online.pk,
                                 notes={"chief_complaint": "Rash", "assessment": "Dermatitis"},
                                 diagnoses=["l309", "J06.9"])
    assert [(d.code_id, d.is_primary, d.patient_id) for d in encounter.diagnoses.order_by("id")] == [
        ("L30.9", True, patient.pk), ("J06.9", False, patient.pk)]
    with pytest.raises(Conflict):
        encounter_record(doctor=doctor, appointment_id=online.pk, notes={}, diagnoses=[])

    amendment = encounter_amend(user=doctor, encounter_id=encounter.pk, notes={"plan": "Review in 2 weeks"},
                                diagnoses=["L30.9"], reason="Dropped URTI")
    assert amendment.changes == {"plan": {"old": "", "new": "Review in 2 weeks"},
                                 "diagnoses": {"old": ["L30.9", "J06.9"], "new": ["L30.9"]}}
    assert list(EncounterDiagnosis.objects.values_list("code_id", flat=True)) == ["L30.9"]
    assert encounter_amend(user=doctor, encounter_id=encounter.pk, notes={"plan": "Review in 2 weeks"}) is None

    # Another doctor who also sees this patient may read it but not amend it.
    other = DoctorFactory()
    other_slot = SlotFactory(doctor=other, start=timezone.now() + timedelta(days=3))
    appointment_book(booked_by=patient, patient=patient, slot_id=other_slot.pk, reason="x")
    assert encounter_read(user=other, encounter_id=encounter.pk) == encounter
    with pytest.raises(PermissionDeniedError):
        encounter_amend(user=other, encounter_id=encounter.pk, notes={"plan": "changed"})
    encounter.refresh_from_db()
    assert encounter.plan == "Review in 2 weeks"
    assert EncounterAmendment.objects.count() == 1
    assert AuditEvent.objects.filter(action="denied", object_type="encounter", actor=other).count() == 1
    assert AuditEvent.objects.filter(action="read", object_type="encounter", actor=other).count() == 1
    # A stranger doctor sees nothing.
    with pytest.raises(NotFound):
        encounter_read(user=DoctorFactory(), encounter_id=encounter.pk)


def test_malformed_or_unknown_icd10_changes_nothing(online):
    ICD10CodeFactory()
    for bad, code in (("E1", "bad_icd10"), ("Z99.99", "unknown_icd10")):
        with pytest.raises(ApplicationError) as exc:
            encounter_record(doctor=online.doctor, appointment_id=online.pk, notes={"plan": "x"},
                             diagnoses=["J06.9", bad])
        assert exc.value.code == code
    assert Encounter.objects.count() == 0
    assert EncounterDiagnosis.objects.count() == 0


@pytest.mark.django_db
def test_diagnoses_known_names_the_typed_codes_in_order_once_skipping_bad_ones():
    ICD10CodeFactory()
    ICD10CodeFactory(code="R05", name_en="Cough", name_zh="咳嗽")
    found = diagnoses_known("r05，J069, XX, J06.9, Z99.9, ")
    assert [c.code for c in found] == ["R05", "J06.9"]
    assert diagnoses_known("") == []


@pytest.mark.django_db
def test_an_imported_encounter_writes_its_diagnoses_and_the_care_relation() -> None:
    from accounts import policy
    from consult.services.encounters import encounter_import
    from consult.services.icd10 import icd10_ensure

    doctor, patient = DoctorFactory(), PatientFactory()
    code = icd10_ensure(code="E70.0", name_en="Classical phenylketonuria", name_zh="经典型苯丙酮尿症")
    assert icd10_ensure(code="E70.0", name_en="other name").pk == code.pk  # an existing code is kept as it is
    at = timezone.now() - timedelta(days=3)
    enc = encounter_import(patient=patient, doctor=doctor, occurred_at=at, diagnoses=[code],
                           notes={"findings": "Raised phenylalanine.", "plan": "Diet."})
    assert [(d.code_id, d.is_primary) for d in enc.diagnoses.all()] == [("E70.0", True)]
    assert enc.findings == "Raised phenylalanine."
    # the care relation exists: the doctor may now read the patient's record
    assert policy.patient_record(doctor, patient.pk)
