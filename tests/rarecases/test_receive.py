"""The receiving side: signature, freshness, replay, tamper (401, nothing stored); schema and
de-identification refusals; de-duplication by (origin, case UUID, version); usage reports."""
from __future__ import annotations

import json
import time
import uuid

import pytest

from rarecases import signing
from rarecases.models import Case, CaseEvent, EventKind, SeenNonce
from rarecases.services.federation import CASE_SCHEMA, USAGE_SCHEMA, platform_profile

from .factories import peer

pytestmark = pytest.mark.django_db
SECRET = "s3cret-shared-between-a-and-b"


def payload(**over):  # type: ignore[no-untyped-def]
    data = {
        "schema": CASE_SCHEMA, "origin": "platform-b", "case_uuid": str(uuid.uuid4()), "version": 1,
        "title": "E70.0 Classical phenylketonuria", "age_band": "30-34", "sex": "female", "region": "Zhejiang",
        "codes": [{"code": "E70.0", "name_en": "Classical phenylketonuria", "name_zh": "经典型苯丙酮尿症",
                   "block": "E70-E90"}],
        "category": "E70-E90", "chapter": "E", "orpha": [{"id": "ORPHA:716", "name": "Phenylketonuria"}],
        "phenotypes": [{"id": "HP:0001250", "name": "Seizure"}], "findings": "Phe 1200 umol/L.",
        "treatment": "Diet.", "outcome": "", "tags": ["chapter:E"], "created_at": "2026-11-01T10:00:00+00:00",
        "provenance": {"path": ["platform-b"]},
    }
    data.update(over)
    return data


def post(client, path, data, *, secret=SECRET, key_id="k-platform-b", now=None, nonce=None, body=None):  # type: ignore[no-untyped-def]
    raw = body if body is not None else json.dumps(data).encode()
    headers = signing.sign(secret=secret, key_id=key_id, method="POST", path=path, body=json.dumps(data).encode(),
                           now=now, nonce=nonce)
    return client.post(path, data=raw, content_type="application/json",
                       headers={k: v for k, v in headers.items()})


@pytest.fixture
def sender():  # type: ignore[no-untyped-def]
    platform_profile()
    return peer(instance_id="platform-b")


def test_profile_is_public(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/federation/profile/")
    assert resp.status_code == 200
    assert resp.json()["instance_id"] == "platform-local"
    assert CASE_SCHEMA in resp.json()["schemas"]


def test_signed_case_is_stored_with_provenance_and_deduplicated(client, sender) -> None:  # type: ignore[no-untyped-def]
    data = payload()
    resp = post(client, "/federation/cases/", data)
    assert resp.status_code == 201, resp.content
    assert resp.json()["status"] == "stored"
    case = Case.objects.get()
    assert (case.origin, str(case.case_uuid), case.version, case.received_from_id) == (
        "platform-b", data["case_uuid"], 1, sender.pk)
    assert case.provenance == {"path": ["platform-b", "platform-local"], "received_from": "platform-b", "hops": 1}
    # Redelivery (new nonce, same case version) → acknowledged as duplicate, nothing new stored.
    again = post(client, "/federation/cases/", data)
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert Case.objects.count() == 1
    # A new version becomes current; the old one stays for provenance.
    v2 = post(client, "/federation/cases/", {**data, "version": 2, "outcome": "Stable."})
    assert v2.status_code == 201
    assert list(Case.objects.order_by("version").values_list("version", "is_current")) == [(1, False), (2, True)]


@pytest.mark.parametrize("attack", ["wrong_secret", "unknown_key", "stale", "future", "tampered_body", "no_headers"])
def test_unauthenticated_requests_get_401_and_store_nothing(client, sender, attack) -> None:  # type: ignore[no-untyped-def]
    data = payload()
    if attack == "wrong_secret":
        resp = post(client, "/federation/cases/", data, secret="not-the-shared-secret-xx")
    elif attack == "unknown_key":
        resp = post(client, "/federation/cases/", data, key_id="k-nobody")
    elif attack == "stale":
        resp = post(client, "/federation/cases/", data, now=time.time() - 301)
    elif attack == "future":
        resp = post(client, "/federation/cases/", data, now=time.time() + 301)
    elif attack == "tampered_body":
        tampered = json.dumps({**data, "findings": "Phe 1300 umol/L."}).encode()
        resp = post(client, "/federation/cases/", data, body=tampered)
    else:
        resp = client.post("/federation/cases/", data=json.dumps(data), content_type="application/json")
    assert resp.status_code == 401
    assert Case.objects.count() == 0
    assert SeenNonce.objects.count() == 0


def test_replayed_request_is_refused(client, sender) -> None:  # type: ignore[no-untyped-def]
    data = payload()
    first = post(client, "/federation/cases/", data, nonce="nonce-0123456789")
    Case.objects.all().delete()  # even with the case gone, the same signed request must not store it again
    replay = post(client, "/federation/cases/", data, nonce="nonce-0123456789", now=int(first.wsgi_request.headers[
        signing.HEADER_TS]))
    assert (first.status_code, replay.status_code) == (201, 401)
    assert Case.objects.count() == 0


def test_disabled_peer_is_refused(client, sender) -> None:  # type: ignore[no-untyped-def]
    sender.enabled = False
    sender.save()
    assert post(client, "/federation/cases/", payload()).status_code == 401
    assert Case.objects.count() == 0


@pytest.mark.parametrize(("over", "status"), [
    ({"schema": "other/1"}, 400),
    ({"codes": []}, 400),
    ({"age_band": "37"}, 400),
    ({"findings": "Patient phone 13812345678"}, 422),
    ({"outcome": "DOB 1990-03-07"}, 422),
    ({"title": "Mrs. Chen with PKU"}, 422),
    ({"origin": "platform-local"}, 400),
])
def test_invalid_or_identifying_payload_is_refused_and_nothing_stored(client, sender, over, status) -> None:  # type: ignore[no-untyped-def]
    resp = post(client, "/federation/cases/", payload(**over))
    assert resp.status_code == status, resp.content
    assert Case.objects.count() == 0
    assert SeenNonce.objects.count() == 0  # rolled back with the refused payload


def test_usage_report_counts_once_for_a_local_case(client, sender) -> None:  # type: ignore[no-untyped-def]
    case = Case.objects.create(origin="platform-local", title="t", age_band="0-4", sex="male", codes=[])
    report = {"schema": USAGE_SCHEMA, "origin": "platform-local", "case_uuid": str(case.case_uuid), "version": 1,
              "event_uuid": str(uuid.uuid4()), "kind": "cite", "at": "2026-11-20T10:00:00+00:00",
              "source_node": "platform-b/user:4", "target_node": "platform-b", "depth": 2}
    assert post(client, "/federation/usage/", report).status_code == 201
    assert post(client, "/federation/usage/", report).status_code == 200
    event = CaseEvent.objects.get(case=case)
    assert (event.kind, event.peer_id, event.depth) == (EventKind.REMOTE_USE, sender.pk, 2)
    other = {**report, "event_uuid": str(uuid.uuid4()), "case_uuid": str(uuid.uuid4())}
    assert post(client, "/federation/usage/", other).status_code == 400
    assert CaseEvent.objects.count() == 1


def test_batch_stores_each_case_once_and_refuses_only_the_bad_one(client, sender) -> None:  # type: ignore[no-untyped-def]
    from accounts.models import AuditEvent
    from rarecases.services.federation import BATCH_SCHEMA

    good, dup = payload(), payload()
    post(client, "/federation/cases/", dup)
    batch = {"schema": BATCH_SCHEMA, "cases": [good, payload(findings="call 13812345678"), dup, {"schema": "x"}]}
    resp = post(client, "/federation/cases/", batch)
    assert resp.status_code == 200
    assert [r["status"] for r in resp.json()["results"]] == ["stored", "refused", "duplicate", "refused"]
    assert sorted(str(u) for u in Case.objects.values_list("case_uuid", flat=True)) == sorted(
        [good["case_uuid"], dup["case_uuid"]])
    assert AuditEvent.objects.filter(object_id="batch:1").count() == 1
    # A tampered batch stores nothing at all.
    other = {"schema": BATCH_SCHEMA, "cases": [payload()]}
    assert post(client, "/federation/cases/", other, body=json.dumps({**other, "x": 1}).encode()).status_code == 401
    assert Case.objects.count() == 2
