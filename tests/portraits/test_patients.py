"""Patient portraits: the same pipeline over consenting patients' platform data (read-only)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Consent, ConsentKind
from portraits.models import Result, RunStatus
from portraits.patients import patient_features
from portraits.selectors import runs_visible_to
from portraits.services import portrait_run_execute, portrait_run_start
from records.models import Observation
from records.models.records import ObservationKind, ObservationSource
from tests.factories import CounsellorFactory, PatientFactory

pytestmark = pytest.mark.django_db


def _observations(patient, abnormal: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(abnormal):
        Observation.objects.create(patient=patient, kind=ObservationKind.HEART_RATE, value=150, unit="bpm",
                                   effective_at=timezone.now() - dt.timedelta(days=i), source=ObservationSource.PATIENT,
                                   is_out_of_range=True, recorded_by=patient)


def test_patient_portraits_use_only_consenting_patients():
    consenting = []
    for i in range(20):
        p = PatientFactory()
        Consent.objects.create(user=p, kind=ConsentKind.PORTRAITS)
        _observations(p, i % 5)
        consenting.append(p)
    refuser = PatientFactory()
    _observations(refuser, 3)
    frame = patient_features()
    assert sorted(frame.index) == sorted(p.id for p in consenting)
    assert frame.loc[consenting[4].id, "abnormal_observations"] == 4.0

    run = portrait_run_execute(run_id=portrait_run_start(user=None, period="", kind="patients", enqueue=False).id)
    assert run.status == RunStatus.DONE, run.error
    assert Result.objects.filter(run=run).count() == 20
    assert not Result.objects.filter(run=run, patient=refuser).exists()
    worst = Result.objects.get(run=run, patient=consenting[4])
    best = Result.objects.get(run=run, patient=consenting[0])
    assert worst.scores["health"] < best.scores["health"]
    assert best.labels["health"] == "healthy"
    # Counsellors never see patient runs.
    assert not runs_visible_to(CounsellorFactory()).filter(id=run.id).exists()


def _portrait_world():  # type: ignore[no-untyped-def]
    """Twenty consenting patients with varied records, one finished patients run; a doctor with a care relation to
    the first patient, one without."""
    from consult.services.care import care_contact_record
    from tests.factories import DoctorFactory

    patients = []
    for i in range(20):
        p = PatientFactory()
        Consent.objects.create(user=p, kind=ConsentKind.PORTRAITS)
        _observations(p, i % 5)
        patients.append(p)
    run = portrait_run_start(user=None, period="all", kind="patients", enqueue=False)
    portrait_run_execute(run_id=run.id)
    treating, stranger = DoctorFactory(), DoctorFactory()
    care_contact_record(patient_id=patients[0].pk, doctor_id=treating.pk, at=timezone.now())
    return patients, treating, stranger


def test_the_new_features_are_computed() -> None:
    from records.models import RiskAssessment

    p = PatientFactory()
    Consent.objects.create(user=p, kind=ConsentKind.PORTRAITS)
    for days in (1, 2, 40):
        Observation.objects.create(patient=p, kind=ObservationKind.HEART_RATE, value=70, unit="bpm",
                                   effective_at=timezone.now() - dt.timedelta(days=days),
                                   source=ObservationSource.PATIENT, recorded_by=p)
    RiskAssessment.objects.create(patient=p, key="framingham", value="21.0 %", band="high", inputs_key="x")
    RiskAssessment.objects.create(patient=p, key="findrisc", value="5 / 26", band="low", inputs_key="y")
    from tests.consult.factories import AppointmentFactory, SlotFactory

    for months_ago in (1, 1, 3):  # two visits in one month, one in another: 2 of the last 12 months
        AppointmentFactory(patient=p, slot=SlotFactory(start=timezone.now() - dt.timedelta(days=30 * months_ago,
                                                                                           hours=len(str(months_ago)))))
    frame = patient_features()
    assert frame.loc[p.id, "measurements_per_month"] == 1.0  # 3 own measurements in the last 90 days / 3
    assert frame.loc[p.id, "risk_level"] == 3.0  # the worse band (high) counts
    assert frame.loc[p.id, "visit_regularity"] <= 2 / 12


def test_the_patient_and_a_treating_doctor_see_the_portrait_and_a_stranger_is_refused(client, with_mfa) -> None:  # type: ignore[no-untyped-def]
    from django.urls import reverse

    from accounts.models import AuditEvent

    patients, treating, stranger = _portrait_world()
    with_mfa(treating)
    with_mfa(stranger)
    url = reverse("portraits:patient", args=[patients[0].pk])
    client.force_login(patients[0])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="radar"' in html
    assert "not a diagnosis" in html
    zh = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "行为画像" in zh
    client.force_login(treating)
    assert client.get(url).status_code == 200
    client.force_login(stranger)
    before = AuditEvent.objects.filter(actor=stranger, outcome="denied").count()
    assert client.get(url).status_code == 404
    assert AuditEvent.objects.filter(actor=stranger, outcome="denied").count() == before + 1
    # someone without consent: the page says why there is no portrait
    other = PatientFactory()
    client.force_login(other)
    page = client.get(reverse("portraits:patient", args=[other.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="portrait-empty"' in page


def test_the_weekly_task_queues_a_patients_run() -> None:
    from portraits.models import Run
    from portraits.tasks import portrait_patients_weekly_task

    run_id = portrait_patients_weekly_task.apply().get()
    assert Run.objects.get(pk=run_id).kind == "patients"
