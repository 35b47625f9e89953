"""Federation across three real instances: related peers only, a peer down while 200 cases are shared
(each arrives exactly once after it is back), corrupted/replayed requests store nothing, and usage on B
shows in A's propagation index."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid

import pytest

from rarecases import federation_launch as F
from rarecases import signing

from .conftest import api, manage, received_from, status, wait_for

pytestmark = pytest.mark.federation


def _outbox(inst: F.Instance, peer: str) -> dict:
    return status(inst)["outbox"].get(peer, {})


def test_01_case_reaches_related_peers_and_not_an_unrelated_one(federation) -> None:  # type: ignore[no-untyped-def]
    a, b, c = federation
    manage(a, "rarecases_synth", "--cases", "1", "--code", "E70.0", "--share")  # chapter E: B and C
    wait_for(lambda: received_from(b, "platform-a") == 1 and received_from(c, "platform-a") == 1,
             what="the E70.0 case on B and C")
    manage(a, "rarecases_synth", "--cases", "1", "--code", "G12.2", "--share")  # chapter G: B only
    wait_for(lambda: received_from(b, "platform-a") == 2, what="the G12.2 case on B")
    wait_for(lambda: _outbox(a, "platform-b") == {"case:delivered": 2}, what="A to record both deliveries")
    assert _outbox(a, "platform-c") == {"case:delivered": 1}  # the G12.2 case was never queued for C
    assert received_from(c, "platform-a") == 1
    found = api(b, "/api/rarecases/cases/?code=G12")["results"]
    assert [(r["origin"], r["source"], r["codes"][0]["code"]) for r in found] == [("platform-a", "platform-a", "G12.2")]
    assert api(c, "/api/rarecases/cases/?code=G12")["results"] == []


def test_02_corrupted_or_replayed_request_stores_nothing(federation) -> None:  # type: ignore[no-untyped-def]
    a, b, _c = federation
    key_id, secret = F.pair_key(a, b)
    before = received_from(b, "platform-a")
    payload = {
        "schema": "rarecases.case/1", "origin": "platform-a", "case_uuid": str(uuid.uuid4()), "version": 1,
        "title": "E70.0 Classical phenylketonuria", "age_band": "5-9", "sex": "male", "region": "Zhejiang",
        "codes": [{"code": "E70.0", "name_en": "Classical phenylketonuria", "name_zh": "", "block": "E70-E90"}],
        "category": "E70-E90", "chapter": "E", "orpha": [], "phenotypes": [], "findings": "Phe 900 umol/L.",
        "treatment": "Diet.", "outcome": "", "tags": ["chapter:E"], "created_at": "2026-11-01T00:00:00+00:00",
        "provenance": {"path": ["platform-a"]},
    }
    body = json.dumps(payload).encode()
    headers = signing.sign(secret=secret, key_id=key_id, method="POST", path="/federation/cases/", body=body)

    def send(raw: bytes) -> int:
        req = urllib.request.Request(f"{b.url}/federation/cases/", data=raw, method="POST",
                                     headers={**headers, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
                return resp.status
        except urllib.error.HTTPError as exc:
            return exc.code

    assert send(body.replace(b"900", b"990")) == 401  # corrupted in transit
    assert received_from(b, "platform-a") == before
    assert send(body) == 201
    assert send(body) == 401  # the same signed request replayed
    assert received_from(b, "platform-a") == before + 1


def test_03_usage_on_b_shows_in_as_propagation_index(federation) -> None:  # type: ignore[no-untyped-def]
    a, b, _c = federation
    manage(a, "rarecases_synth", "--cases", "1", "--code", "G71.0", "--share")  # chapter G: B only
    wait_for(lambda: api(b, "/api/rarecases/cases/?code=G71")["count"] == 1, what="the G71.0 case on B")
    [on_a] = api(a, "/api/rarecases/cases/?code=G71")["results"]
    before = api(a, f"/api/rarecases/cases/{on_a['id']}/")["stats"]
    [on_b] = api(b, "/api/rarecases/cases/?code=G71")["results"]
    assert on_b["case_uuid"] == on_a["case_uuid"]
    api(b, f"/api/rarecases/cases/{on_b['id']}/download/")

    def reported() -> bool:
        return api(a, f"/api/rarecases/cases/{on_a['id']}/")["stats"]["counts"].get("remote_use", 0) == 1

    wait_for(reported, timeout=60, what="B's download reported to A")
    after = api(a, f"/api/rarecases/cases/{on_a['id']}/")
    # remote_use weighs 2 at depth 2 (A → B → B's doctor): 2·(1+2) = +6; platform-b was already a reached
    # node (the share itself), so the distinct-node term does not change.
    assert after["stats"]["propagation_index"] == pytest.approx(before["propagation_index"] + 6)
    assert {"source_node", "target_node", "kind", "n"} <= set(after["propagation"]["edges"][0])
    assert any(e["kind"] == "remote_use" and e["target_node"] == "platform-b" for e in after["propagation"]["edges"])


def test_04_peer_down_while_200_cases_are_shared_then_each_arrives_exactly_once(federation) -> None:  # type: ignore[no-untyped-def]
    a, b, _c = federation
    before = received_from(b, "platform-a")
    delivered_before = _outbox(a, "platform-b").get("case:delivered", 0)
    F.stop_web(b)
    try:
        manage(a, "rarecases_synth", "--cases", "200", "--code", "G12.2", "--share", timeout=600)  # B only
        time.sleep(3)  # let A's worker try (and fail) against the stopped peer
        pending = _outbox(a, "platform-b").get("case:pending", 0)
        assert pending == 200
    finally:
        F.start_web(b)
        F.wait_ready(b)
    wait_for(lambda: _outbox(a, "platform-b").get("case:pending", 0) == 0, timeout=150,
             what="A's outbox to B to drain")
    assert _outbox(a, "platform-b") == {"case:delivered": delivered_before + 200}
    st = status(b)["cases"]
    assert st["received_by_origin"]["platform-a"] == before + 200
    assert st["received_distinct"] == sum(st["received_by_origin"].values())  # each exactly once
