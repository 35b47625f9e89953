"""Matchmaker Exchange between two REAL instances (their own gunicorn, Celery worker and database): a doctor on
A asks for patients like A's case, A's worker POSTs to B's /mme/match with A's token, B answers with its
case and logs the request for that case's doctor; a wrong token gets 401 and B logs nothing as a match."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from rarecases import federation_launch as F

from .conftest import api, manage, status, wait_for

pytestmark = pytest.mark.federation

# Wilson disease on both sides, described with overlapping but not identical HPO terms.
B_TERMS = "HP:0200032,HP:0010837,HP:0002910,HP:0001337,HP:0001260"
A_TERMS = "HP:0200032,HP:0010837,HP:0001332"


def _mme_post(inst: F.Instance, token: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(f"{inst.url}/mme/match", data=json.dumps(body).encode(), method="POST", headers={
        "X-Auth-Token": token, "Content-Type": "application/vnd.ga4gh.matchmaker.v1.1+json"})
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:  # noqa: S310 - loopback test instance
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_a_doctor_on_a_finds_bs_case_through_mme_and_b_logs_it(federation) -> None:  # type: ignore[no-untyped-def]
    a, b, _c = federation
    before = status(b)["mme"]
    [b_uuid] = json.loads(manage(b, "rarecases_synth", "--cases", "1", "--code", "E83.0", "--phenotypes", B_TERMS,
                                 "--genes", "ATP7B").strip().splitlines()[-1])["cases"]
    [a_uuid] = json.loads(manage(a, "rarecases_synth", "--cases", "1", "--code", "E83.0", "--phenotypes", A_TERMS,
                                 "--genes", "ATP7B").strip().splitlines()[-1])["cases"]
    [a_case] = [c for c in api(a, "/api/rarecases/cases/?code=E83.0")["results"] if c["case_uuid"] == a_uuid]
    search = api(a, f"/api/rarecases/cases/{a_case['id']}/similar/", method="POST", body={})
    assert {p["node"] for p in search["peers"]} == {F.NAMES["b"], F.NAMES["c"]}

    def answered() -> bool:
        return not api(a, f"/api/rarecases/similar/{search['id']}/")["waiting"]

    wait_for(answered, timeout=60, what="A's worker to hear from B and C")
    result = api(a, f"/api/rarecases/similar/{search['id']}/")
    by_node = {p["node"]: p for p in result["peers"]}
    from_b = by_node[F.NAMES["b"]]
    assert from_b["status"] == "done", from_b
    ids = [r["patient"]["id"] for r in from_b["results"]]
    assert ids[0] == f"platform-b:{b_uuid}"
    top = from_b["results"][0]
    assert 0 < top["score"]["patient"] <= 1
    assert top["_why"]["sharedGenes"] == ["ATP7B"]
    assert "HP:0200032" in [f["shared"] for f in top["_why"]["sharedFeatures"]]
    assert top["patient"]["contact"]["href"].startswith(b.url)
    # B logged exactly this one request, with B's case among the results, for B's doctor to see.
    after = status(b)["mme"]
    assert after["requests"] == before["requests"] + 1
    assert after["results_sent"] >= before["results_sent"] + 1
    incoming = api(b, "/api/rarecases/mme/incoming/")["results"]
    assert incoming[0]["peer"] == F.NAMES["a"]
    assert incoming[0]["their_contact"]["name"]


def test_a_wrong_token_gets_401_and_nothing_is_logged_as_a_match(federation) -> None:  # type: ignore[no-untyped-def]
    a, b, _c = federation
    before = status(b)["mme"]
    body = {"patient": {"id": "x", "contact": {"name": "Someone", "href": "mailto:x@example.org"},
                        "features": [{"id": "HP:0200032"}]}}
    wrong = F.mme_token(a, b)[:-4] + "0000"
    code, answer = _mme_post(b, wrong, body)
    assert code == 401
    assert answer["message"]
    code, _answer = _mme_post(b, F.mme_token(b, a), body)  # B's own token towards A is not valid at B
    assert code == 401
    assert status(b)["mme"] == before
    code, _answer = _mme_post(b, F.mme_token(a, b), body)  # the right token is accepted
    assert code == 200
    assert status(b)["mme"]["requests"] == before["requests"] + 1
