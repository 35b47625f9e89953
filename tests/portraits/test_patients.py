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
