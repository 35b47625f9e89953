"""Retention and traceability (docs/compliance.md): the nightly report of records past their period (it deletes
nothing), the PIPL deletion-request answer, the administrators' export."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.utils import timezone

from accounts.models import AuditEvent, Notification
from accounts.policy import RoleRefused
from consult.models import ConsultationMessage, ConsultationThread, Encounter
from records.models import Prescription, RetentionReport
from records.schedule import BEAT_SCHEDULE
from records.services.prescriptions import prescription_create
from records.services.retention import deletion_request_answer, regulator_export, retention_report_run
from records.services.review import prescription_review
from records.tasks import retention_report
from tests.consult.factories import AppointmentFactory
from tests.factories import AdminFactory, PharmacistFactory
from tests.records.factories import DrugFactory, EncounterFactory, item_data

pytestmark = [pytest.mark.django_db, pytest.mark.compliance]


def _aged(now):
    appointment = AppointmentFactory()
    thread = ConsultationThread.objects.create(appointment=appointment)
    old_msg = ConsultationMessage.objects.create(thread=thread, sender=appointment.patient, body="old")
    new_msg = ConsultationMessage.objects.create(thread=thread, sender=appointment.patient, body="new")
    photo = ConsultationMessage.objects.create(thread=thread, sender=appointment.patient, attachment_path="x.png")
    ConsultationMessage.objects.filter(pk__in=[old_msg.pk, photo.pk]).update(created_at=now - dt.timedelta(days=3 * 366))
    ConsultationMessage.objects.filter(pk=new_msg.pk).update(created_at=now - dt.timedelta(days=3 * 365 - 5))
    old_enc = Encounter.objects.create(patient=appointment.patient, doctor=appointment.doctor,
                                       occurred_at=now - dt.timedelta(days=15 * 366))
    Encounter.objects.create(patient=appointment.patient, doctor=appointment.doctor,
                             occurred_at=now - dt.timedelta(days=14 * 365))
    return appointment, old_msg, photo, old_enc


def test_the_nightly_retention_report_lists_what_is_past_its_period_and_deletes_nothing():
    now = timezone.now()
    admin = AdminFactory()
    _appointment, old_msg, photo, old_enc = _aged(now)
    counts = (ConsultationMessage.objects.count(), Encounter.objects.count())
    report = retention_report_run(now=now)
    assert report.findings["messages"]["count"] == 1
    assert report.findings["messages"]["sample_ids"] == [old_msg.pk]
    assert report.findings["attachments"]["sample_ids"] == [photo.pk]
    assert report.findings["encounters"]["sample_ids"] == [old_enc.pk]
    assert (report.findings["encounters"]["retention_years"], report.findings["messages"]["retention_years"]) == (15, 3)
    assert (ConsultationMessage.objects.count(), Encounter.objects.count()) == counts  # nothing deleted
    assert Notification.objects.filter(user=admin, kind="retention").count() == 1
    retention_report_run(now=now)  # twice the same night: one report, one notification
    assert RetentionReport.objects.count() == 1
    assert Notification.objects.filter(user=admin, kind="retention").count() == 1
    # queued by name, nightly in the beat schedule
    entry = BEAT_SCHEDULE["records-retention-report"]
    assert entry["task"] == retention_report.name == "records.tasks.retention_report"


def test_a_pipl_deletion_request_says_what_goes_now_and_what_is_kept_until_when():
    now = timezone.now()
    appointment, _old, _photo, _enc = _aged(now)
    patient = appointment.patient
    answer = deletion_request_answer(user=patient, now=now)
    kept = {k["what"]: k for k in answer["kept"]}
    encounters = kept["Consultation records (encounters)"]
    latest = Encounter.objects.filter(patient=patient).order_by("-occurred_at").first().occurred_at
    assert encounters["kept_until"] == timezone.localdate(latest.replace(year=latest.year + 15)).isoformat()
    messages = kept["Consultation messages, images and files"]
    assert (messages["count"], messages["years"]) == (3, 3)
    assert {d["what"] for d in answer["deletable_now"]} >= {"In-app notifications"}
    assert AuditEvent.objects.filter(actor=patient, object_type="deletion_request").count() == 1
    assert ConsultationMessage.objects.count() == 3  # the answer deletes nothing


def test_the_regulator_export_has_consultations_prescriptions_and_reviews_for_a_range_admins_only():
    encounter = EncounterFactory()
    rx = prescription_create(doctor=encounter.doctor, encounter_id=encounter.pk, items=[item_data(DrugFactory())])
    review = prescription_review(pharmacist=PharmacistFactory(), prescription_id=rx.pk, decision="rejected",
                                 reason="Wrong strength")
    admin, today = AdminFactory(), timezone.localdate()
    content_type, body = regulator_export(actor=admin, kind="prescriptions", start=today, end=today, fmt="csv")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert content_type.startswith("text/csv")
    assert [(r["prescription"], r["review_status"], r["signature_valid"]) for r in rows] == [
        (str(rx.pk), "rejected", "True")]
    _, body = regulator_export(actor=admin, kind="reviews", start=today, end=today, fmt="json")
    data = json.loads(body)
    assert [(r["review"], r["reason"]) for r in data["rows"]] == [(review.pk, "Wrong strength")]
    _, body = regulator_export(actor=admin, kind="prescriptions", start=today + dt.timedelta(days=1),
                               end=today + dt.timedelta(days=2), fmt="json")
    assert json.loads(body)["rows"] == []
    assert AuditEvent.objects.filter(actor=admin, action="export", object_type="regulator_export").count() == 3
    with pytest.raises(RoleRefused):
        regulator_export(actor=encounter.doctor, kind="prescriptions", start=today, end=today, fmt="csv")
    assert Prescription.objects.count() == 1
