"""S800–S840 decision branches, the transactional outbox, signed delivery, retries with back-off,
per-peer status, usage reported back to the origin, and refresh notifications."""
from __future__ import annotations

import json
import urllib.error
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone
from sklearn.dummy import DummyRegressor
from sklearn.preprocessing import StandardScaler

from rarecases import crypto, signing
from rarecases.analysis.trend import Bundle
from rarecases.models import (
    Case,
    CaseReference,
    DeliveryAttempt,
    EventKind,
    OutboxMessage,
    RarecasesSettings,
    ShareDecision,
    TrendModel,
)
from rarecases.services import (
    case_event_record,
    case_follow,
    case_refresh_all,
    outbox_deliver,
    outbox_sweep,
    rare_case_confirm,
    rare_case_share,
    share_decide_all,
)
from rarecases.services import federation as fed
from rarecases.services.sharing import decide
from tests.factories import DoctorFactory

from .factories import encounter, peer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("first", "second", "outcome"), [
    (1.5, None, "first"),       # S800 → S900: the first prediction passes
    (1.0, 0.0, "first"),        # at the threshold counts as passing
    (0.2, 1.2, "second"),       # S810 → S820 → S830: the second (incremental) model's prediction passes
    (0.2, 0.3, "held"),         # neither: the return instruction, nothing queued
    (0.2, None, "held"),        # no incremental model yet
    (None, None, "held"),
])
def test_decide_branches(first, second, outcome) -> None:  # type: ignore[no-untyped-def]
    assert decide(first=first, second=second, threshold=1.0) == outcome


def _constant_model(version: int, kind: str, value: float) -> TrendModel:
    scaler = StandardScaler().fit(np.zeros((2, 7)))
    reg = DummyRegressor(strategy="constant", constant=value).fit(np.zeros((2, 7)), [value, value])
    blob = Bundle(model=reg, scaler=scaler, holdout_x=np.zeros((0, 7)), holdout_y=np.zeros(0),  # type: ignore[arg-type]
                  replay_x=np.zeros((0, 7)), replay_y=np.zeros(0)).dumps()
    return TrendModel.objects.create(version=version, kind=kind, blob=blob, params={"n_periods": 4})


@pytest.fixture
def no_network(monkeypatch):  # type: ignore[no-untyped-def]
    calls = []

    def fake(method, url, body, headers):  # type: ignore[no-untyped-def]
        calls.append((method, url, body, headers))
        raise urllib.error.URLError("connection refused")

    monkeypatch.setattr(fed, "_http", fake)
    return calls


@pytest.mark.parametrize(("first", "second", "outcome", "queued"), [
    (2.0, None, "first", 2), (0.5, 1.5, "second", 2), (0.5, 0.7, "held", 0)])
def test_share_decide_all_writes_the_decision_and_outbox_rows_together(
        no_network, first, second, outcome, queued) -> None:  # type: ignore[no-untyped-def]
    RarecasesSettings.objects.create(pk=1, prediction_threshold=1.0)
    peer(instance_id="platform-b", tags=["chapter:E"])
    peer(instance_id="platform-c", tags=["block:E70-E90"])
    peer(instance_id="platform-d", tags=["chapter:C"])  # unrelated
    _constant_model(1, "full", first)
    if second is not None:
        _constant_model(2, "incremental", second)
    case = rare_case_confirm(doctor=(e := encounter()).doctor, encounter=e)
    counts = share_decide_all()
    assert counts[outcome] == 1
    decision = ShareDecision.objects.get(case=case)
    assert (decision.outcome, decision.first_index, decision.second_index) == (outcome, first, second)
    rows = OutboxMessage.objects.filter(case=case)
    assert rows.count() == queued
    assert sorted(rows.values_list("peer__instance_id", flat=True)) == (
        ["platform-b", "platform-c"] if queued else [])
    assert sorted(decision.peers) == sorted(rows.values_list("peer__instance_id", flat=True))
    # A second run neither re-queues a shared case nor duplicates the decision.
    share_decide_all()
    assert OutboxMessage.objects.filter(case=case).count() == queued
    assert ShareDecision.objects.filter(case=case).count() == 1


def test_delivery_signs_retries_with_backoff_and_records_per_peer_status(
        monkeypatch, settings, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    settings.RARECASES_BACKOFF_BASE = 10
    settings.RARECASES_BACKOFF_MAX = 100
    b = peer(instance_id="platform-b", tags=["chapter:E"])
    answers = [urllib.error.URLError("refused"), (503, b"busy"), (201, b'{"status":"stored"}')]
    seen = []

    def fake(method, url, body, headers):  # type: ignore[no-untyped-def]
        seen.append((url, body, headers))
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(fed, "_http", fake)
    case = rare_case_confirm(doctor=(e := encounter()).doctor, encounter=e)
    with django_capture_on_commit_callbacks(execute=True):
        decision = rare_case_share(case=case, by=e.doctor)  # eager Celery: first attempt on commit
    assert decision.outcome == "manual"
    assert decision.peers == ["platform-b"]
    msg = OutboxMessage.objects.get(case=case, peer=b)
    assert (msg.status, msg.attempts) == ("pending", 1)
    assert 9 <= (msg.next_attempt_at - timezone.now()).total_seconds() <= 11  # base · 2^0 ± 10 %
    assert outbox_sweep(inline=True) == 0  # no peer has anything due yet
    OutboxMessage.objects.filter(pk=msg.pk).update(next_attempt_at=timezone.now())
    assert outbox_sweep(inline=True) == 1  # one peer with due rows: a batch was sent
    msg.refresh_from_db()
    assert (msg.status, msg.attempts, msg.last_error) == ("pending", 2, "busy")
    assert 18 <= (msg.next_attempt_at - timezone.now()).total_seconds() <= 22  # base · 2^1
    OutboxMessage.objects.filter(pk=msg.pk).update(next_attempt_at=timezone.now())
    assert outbox_deliver(message_id=msg.pk) == "delivered"
    assert outbox_deliver(message_id=msg.pk) == "skipped"  # idempotent
    assert list(DeliveryAttempt.objects.filter(message=msg).order_by("at").values_list("ok", "status_code")) == [
        (False, None), (False, 503), (True, 201)]
    url, body, headers = seen[-1]
    assert url == "http://127.0.0.1:9/federation/cases/"
    assert json.loads(body)["case_uuid"] == str(case.case_uuid)
    assert "Zhou" not in body.decode()
    assert e.patient.email not in body.decode()
    assert signing.verify(secret="s3cret-shared-between-a-and-b", method="POST", path="/federation/cases/",
                          body=body, headers=headers, window=300) is None


def test_rejected_payload_is_not_retried(monkeypatch, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    peer(instance_id="platform-b", tags=["chapter:E"])
    monkeypatch.setattr(fed, "_http", lambda *a: (422, b'{"detail":"identifier"}'))
    case = rare_case_confirm(doctor=(e := encounter()).doctor, encounter=e)
    with django_capture_on_commit_callbacks(execute=True):
        rare_case_share(case=case, by=e.doctor)
    msg = OutboxMessage.objects.get(case=case)
    assert (msg.status, msg.attempts) == ("rejected", 1)


def test_usage_of_a_received_case_is_reported_to_its_origin(no_network) -> None:  # type: ignore[no-untyped-def]
    origin = peer(instance_id="platform-a", tags=["all"])
    received = Case.objects.create(origin="platform-a", title="E70.0 PKU", age_band="0-4", sex="male", codes=[],
                                   received_from=origin, provenance={"path": ["platform-a", "platform-local"],
                                                                     "hops": 1})
    doctor = DoctorFactory()
    event = case_event_record(case=received, kind=EventKind.DOWNLOAD, actor=doctor)
    report = OutboxMessage.objects.get(kind="usage")
    assert report.peer == origin
    assert report.payload["event_uuid"] == str(event.event_uuid)
    assert (report.payload["kind"], report.payload["depth"], report.payload["origin"]) == ("download", 2, "platform-a")
    # Forwarding onward to another peer keeps the origin and reports the hop.
    c = peer(instance_id="platform-c", tags=["all"])
    rare_case_share(case=received, by=doctor, peers=[c, origin])
    onward = OutboxMessage.objects.get(kind="case")
    assert onward.peer == c
    assert onward.payload["origin"] == "platform-a"
    assert onward.payload["provenance"]["path"] == ["platform-a", "platform-local"]
    assert OutboxMessage.objects.filter(kind="usage", payload__kind="share_peer").count() == 1


def test_peer_secret_is_encrypted_at_rest_and_rotatable(settings) -> None:  # type: ignore[no-untyped-def]
    from cryptography.fernet import Fernet

    from rarecases.services import peer_rotate_keys

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.RARECASES_PEER_KEYS = old
    b = peer(instance_id="platform-b")
    assert "s3cret" not in b.secret_encrypted
    settings.RARECASES_PEER_KEYS = f"{new},{old}"
    assert peer_rotate_keys() == 1
    settings.RARECASES_PEER_KEYS = new  # the old key can now be dropped
    b.refresh_from_db()
    assert crypto.decrypt(b.secret_encrypted) == "s3cret-shared-between-a-and-b"


def test_refresh_finds_related_cases_and_notifies_followers_once() -> None:
    doctor = DoctorFactory()
    followed = rare_case_confirm(doctor=(e := encounter()).doctor, encounter=e)
    case_follow(user=doctor, case=followed)
    assert case_refresh_all() == {"followed": 1, "found": 0, "notified": 0}
    related = rare_case_confirm(doctor=(e2 := encounter(codes=("E75.2",))).doctor, encounter=e2)
    rare_case_confirm(doctor=(e3 := encounter(codes=("I10",))).doctor, encounter=e3)  # unrelated
    assert case_refresh_all() == {"followed": 1, "found": 1, "notified": 1}
    assert CaseReference.objects.get().related_case == related
    assert case_refresh_all() == {"followed": 1, "found": 0, "notified": 0}
    note = doctor.notifications.get(kind="rarecases.related")
    assert related.title in note.body
    CaseReference.objects.create(origin=followed.origin, case_uuid=followed.case_uuid, title="Review article",
                                 url="https://example.org/review", found_at=timezone.now() - timedelta(minutes=1))
    assert case_refresh_all()["notified"] == 1


def test_peer_profile_fetch_stores_it_and_adopts_its_tags(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from core.errors import ApplicationError
    from rarecases.services import peer_fetch_profile

    b = peer(instance_id="platform-b", tags=[])
    profile = {"instance_id": "platform-b", "name": "B", "feature_tags": ["chapter:G", "block:G10-G14"]}
    monkeypatch.setattr(fed, "_http", lambda m, url, body, h: (200, json.dumps(profile).encode()))
    peer_fetch_profile(peer=b)
    b.refresh_from_db()
    assert (b.profile, b.tags) == (profile, ["chapter:G", "block:G10-G14"])
    assert b.profile_fetched_at is not None
    monkeypatch.setattr(fed, "_http", lambda m, url, body, h: (503, b"down"))
    with pytest.raises(ApplicationError):
        peer_fetch_profile(peer=b)
