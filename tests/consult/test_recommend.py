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


def _community(doctors, patients: int):  # type: ignore[no-untyped-def]
    made = []
    for _ in range(patients):
        p = PatientFactory()
        for d in doctors:
            _visit(p, d)
        made.append(p)
    return made


def test_the_trained_model_recommends_the_community_doctor_not_yet_seen() -> None:
    from consult.models import DoctorAffinity, RecommenderRun
    from consult.services.recommend_model import recommender_train

    a1, a2, a3, b1, b2, b3 = (DoctorFactory() for _ in range(6))
    _community([a1, a2, a3], 6)
    _community([b1, b2, b3], 6)
    me = PatientFactory()
    _visit(me, a1)
    _visit(me, a2)
    run = recommender_train()
    assert run.is_current
    assert (run.patients, run.doctors) == (13, 6)
    mine = {a.doctor_id: a.score for a in DoctorAffinity.objects.filter(run=run, patient=me)}
    # the doctor of my community I have not seen ranks first; doctors I have seen are not "discoveries"
    assert max(mine, key=mine.get) == a3.pk
    assert a1.pk not in mine
    assert a2.pk not in mine
    recs, cold = recommendations_for(patient=me)
    assert cold is False
    top_new = next(r for r in recs if r.doctor.pk not in (a1.pk, a2.pk))
    assert top_new.doctor.pk == a3.pk
    assert "Patients with a similar history booked this doctor." in top_new.reasons
    # retraining replaces the current run in one step: one current run, its rows only
    again = recommender_train()
    assert list(RecommenderRun.objects.filter(is_current=True)) == [again]
    assert not DoctorAffinity.objects.filter(run__is_current=True).exclude(run=again).exists()


def test_training_with_too_little_data_records_an_empty_run_and_the_fallback_still_works() -> None:
    from consult.services.recommend_model import recommender_train

    me = PatientFactory()
    _visit(me, DoctorFactory())
    run = recommender_train()
    assert run.affinities.count() == 0
    assert run.is_current
    assert recommendations_for(patient=me)[1] is False


def test_the_nightly_task_and_the_command() -> None:
    from io import StringIO

    from django.core.management import call_command

    from consult.tasks import recommender_train as task

    d1, d2 = DoctorFactory(), DoctorFactory()
    _community([d1, d2], 3)
    me = PatientFactory()
    _visit(me, d1)
    assert task.apply().get() == 1  # only `me` has a doctor of the community not seen yet
    out = StringIO()
    call_command("recommend_train", stdout=out)
    assert "1 recommendations stored" in out.getvalue()


def test_a_recent_triage_answer_sends_to_the_department_that_treats_it() -> None:
    from knowledge.models import TriageRecord

    cardio = DepartmentFactory(code="cardiology")
    heart_doc, other_doc = DoctorFactory(), DoctorFactory()
    heart_doc.doctor_profile.department = cardio
    heart_doc.doctor_profile.save()
    me = PatientFactory()
    _visit(me, other_doc)
    TriageRecord.objects.create(patient=me, urgency="urgent", departments=["cardiology", "internal-medicine"])
    recs, _cold = recommendations_for(patient=me)
    heart = next(r for r in recs if r.doctor.pk == heart_doc.pk)
    assert "Treats what you described." in heart.reasons
    assert recs[0].doctor.pk == heart_doc.pk
    # an emergency answer is not a booking suggestion
    TriageRecord.objects.all().delete()
    TriageRecord.objects.create(patient=me, urgency="emergency", departments=["cardiology"])
    recs, _cold = recommendations_for(patient=me)
    assert all("Treats what you described." not in r.reasons for r in recs)
