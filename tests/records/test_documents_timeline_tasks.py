"""Documents (type/size checks, private download), the timeline (incl. a provider like pharmacy's), the tasks."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import AuditEvent
from records.models import DoseReminder, HealthDocument
from records.selectors import records as record_selectors
from records.services.prescriptions import prescription_create
from records.services.records import observation_record
from records.tasks import dose_reminders_mark_missed, dose_reminders_send_due
from tests.factories import PatientFactory

from .factories import DrugFactory, EncounterFactory, item_data

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_document_upload_and_private_download(client, patient, settings):
    client.force_login(patient)
    url = f"/records/{patient.pk}/documents/"
    client.post(url, {"title": "Blood test", "kind": "lab_report",
                      "file": SimpleUploadedFile("blood.pdf", PDF, content_type="application/pdf")})
    doc = HealthDocument.objects.get()
    assert (doc.content_type, doc.size, doc.original_name) == ("application/pdf", len(PDF), "blood.pdf")
    assert (settings.PRIVATE_MEDIA_ROOT / doc.path).read_bytes() == PDF
    response = client.get(f"/records/documents/{doc.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    # an executable disguised as a PDF is refused, nothing stored
    client.post(url, {"title": "x", "kind": "other",
                      "file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00binary", content_type="application/pdf")})
    assert HealthDocument.objects.count() == 1
    # another patient: 404 and an audit entry
    stranger = PatientFactory()
    client.force_login(stranger)
    assert client.get(f"/records/documents/{doc.pk}/").status_code == 404
    assert AuditEvent.objects.filter(action="denied", actor=stranger, subject=patient).count() == 1


def test_timeline_merges_sources_and_provider_entries(patient):
    enc = EncounterFactory(patient=patient, occurred_at=timezone.now() - dt.timedelta(hours=3))
    rx = prescription_create(doctor=enc.doctor, encounter_id=enc.pk, items=[item_data(DrugFactory())])
    observation_record(actor=patient, patient=patient, kind="temperature", value="38.6",
                       effective_at=timezone.now() - dt.timedelta(days=2))
    order_at = timezone.now() - dt.timedelta(days=1)

    def orders(*, patient):  # type: ignore[no-untyped-def]  # what pharmacy would register
        return [{"at": order_at, "kind": "order", "title": "Order PH-1", "detail": "Paid", "url": "/pharmacy/orders/1/"}]

    record_selectors.register_timeline_provider(orders)
    try:
        entries = record_selectors.timeline_of(actor=patient, patient=patient)
    finally:
        record_selectors.TIMELINE_PROVIDERS.remove(orders)
    assert [e["kind"] for e in entries] == ["prescription", "encounter", "order", "measurement"]
    assert {e["url"] for e in entries if e["kind"] == "prescription"} == {f"/prescriptions/{rx.pk}/"}
    assert next(e for e in entries if e["kind"] == "measurement")["detail"].endswith("⚠")


def test_tasks_call_the_services():
    enc = EncounterFactory()
    rx = prescription_create(doctor=enc.doctor, encounter_id=enc.pk, items=[item_data(DrugFactory())])
    dose = DoseReminder.objects.filter(item__prescription=rx).order_by("scheduled_at").first()
    dose.scheduled_at = timezone.now() - dt.timedelta(hours=5)
    dose.save(update_fields=["scheduled_at"])
    assert dose_reminders_send_due.delay().get() == 1
    DoseReminder.objects.filter(pk=dose.pk).update(sent_at=timezone.now() - dt.timedelta(hours=3))
    assert dose_reminders_mark_missed.delay().get() == 1
    dose.refresh_from_db()
    assert dose.status == "missed"
