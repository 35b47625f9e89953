"""Recommended doctors: co-visitation ("patients with a similar history"), department need (children →
paediatrics), rating and availability blended; cold start says so; the API answers the caller only."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from consult.models import Appointment, AppointmentStatus
from consult.selectors.recommend import recommendations_for
from tests.consult.factories import AppointmentFactory, DepartmentFactory, SlotFactory
from tests.factories import DoctorFactory, PatientFactory

pytestmark = pytest.mark.django_db


def _visit(patient, doctor) -> Appointment:  # type: ignore[no-untyped-def]
    a = AppointmentFactory(patient=patient, slot=SlotFactory(doctor=doctor,
                                                             start=timezone.now() - dt.timedelta(days=30)))
    Appointment.objects.filter(pk=a.pk).update(status=AppointmentStatus.COMPLETED)
    return a


def test_patients_with_a_similar_history_drive_the_ranking() -> None:
    shared, liked, other = DoctorFactory(), DoctorFactory(), DoctorFactory()
    me = PatientFactory()
    _visit(me, shared)
    for _ in range(3):
        peer = PatientFactory()
        _visit(peer, shared)
        _visit(peer, liked)
    _visit(PatientFactory(), other)
    recs, cold = recommendations_for(patient=me)
    assert cold is False
    ids = [r.doctor.pk for r in recs]
    assert liked.pk in ids
    assert other.pk not in ids
    liked_rec = next(r for r in recs if r.doctor.pk == liked.pk)
    assert "Patients with a similar history booked this doctor." in liked_rec.reasons


def test_cold_start_child_gets_paediatrics_free_soon_and_is_told() -> None:
    paeds = DepartmentFactory(code="paediatrics")
    child_doc, adult_doc = DoctorFactory(), DoctorFactory()
    child_doc.doctor_profile.department = paeds
    child_doc.doctor_profile.save()
    SlotFactory(doctor=child_doc, start=timezone.now() + dt.timedelta(days=1))
    SlotFactory(doctor=adult_doc, start=timezone.now() + dt.timedelta(days=1))
    child = PatientFactory()
    child.patient_profile.date_of_birth = timezone.localdate() - dt.timedelta(days=365 * 6)
    child.patient_profile.save()
    recs, cold = recommendations_for(patient=child)
    assert cold is True
    assert recs[0].doctor.pk == child_doc.pk
    assert "Children's doctor (paediatrics)." in recs[0].reasons


def test_api_returns_reasons_and_refuses_doctors(client) -> None:  # type: ignore[no-untyped-def]
    doc = DoctorFactory()
    SlotFactory(doctor=doc, start=timezone.now() + dt.timedelta(days=3))
    patient = PatientFactory()
    client.force_login(patient)
    body = client.get(reverse("api-consult-recommendations")).json()
    assert body["cold_start"] is True
    assert body["results"][0]["reasons"] == ["Free in the next 7 days."]
    client.force_login(doc)
    assert client.get(reverse("api-consult-recommendations")).status_code == 403
