"""The private store on S3 (a local moto server): an upload becomes a private object, a download streams it
after the access check, someone else gets 404 and one audit row, and nothing touches the local disk."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent
from consult.services.booking import appointment_book
from consult.services.consultation import Upload, attachment_open, message_post
from core.errors import NotFound
from records.models import HealthDocument
from tests.consult.factories import SlotFactory
from tests.factories import PatientFactory
from tests.ops.s3 import S3Server

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def on_s3(settings, s3_server: S3Server) -> S3Server:
    settings.STORAGES = s3_server.storages()
    return s3_server


def test_a_health_document_round_trip_through_s3_behind_the_access_check(client, on_s3: S3Server, settings):
    # Given a patient who uploads a PDF through the records page
    owner = PatientFactory()
    client.force_login(owner)
    client.post(f"/records/{owner.pk}/documents/", {
        "title": "Blood test", "kind": "lab_report", "file": SimpleUploadedFile("blood.pdf", PDF, "application/pdf")})
    doc = HealthDocument.objects.get(patient=owner)

    # Then it is one private object in the bucket under the private prefix, and nothing on the local disk
    assert on_s3.keys() == [f"private/{doc.path}"]
    acl = on_s3.client().get_object_acl(Bucket=on_s3.bucket, Key=f"private/{doc.path}")
    assert [grant["Permission"] for grant in acl["Grants"]] == ["FULL_CONTROL"]   # the owner only
    assert "URI" not in acl["Grants"][0]["Grantee"]                                 # no AllUsers group
    assert not settings.PRIVATE_MEDIA_ROOT.exists()

    # When the owner downloads it, they get the bytes, streamed by the app
    response = client.get(f"/records/documents/{doc.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment")

    # When another patient asks for it, the answer is 404 and exactly one refusal is audited
    denied_before = AuditEvent.objects.filter(action=AuditAction.DENIED).count()
    client.force_login(PatientFactory())
    assert client.get(f"/records/documents/{doc.pk}/").status_code == 404
    assert AuditEvent.objects.filter(action=AuditAction.DENIED).count() == denied_before + 1


def test_a_consultation_attachment_on_s3_is_read_by_the_parties_only(on_s3: S3Server):
    # Given an online appointment whose thread is open, and the patient attaching an image
    patient = PatientFactory()
    appointment = appointment_book(booked_by=patient, patient=patient, reason="Rash",
                                   slot_id=SlotFactory(start=timezone.now() + timedelta(minutes=5)).pk)
    message = message_post(user=appointment.patient, appointment_id=appointment.pk, body="rash",
                           upload=Upload(name="rash.png", size=len(PNG), file=io.BytesIO(PNG)))

    # Then the object is in the bucket, and the doctor reads the same bytes through the access check
    assert on_s3.keys() == [f"private/{message.attachment_path}"]
    stored, _message = attachment_open(user=appointment.doctor, message_id=message.pk)
    with stored:
        assert stored.read() == PNG
    with pytest.raises(NotFound):
        attachment_open(user=PatientFactory(), message_id=message.pk)
