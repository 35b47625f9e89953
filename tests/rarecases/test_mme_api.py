"""Conformance of /mme/match, /mme/heartbeat and /mme/metrics with ga4gh/mme-apis v1.1 (search-api.md,
heartbeat-api.md, metrics-api.md, join-protocol.md): every status code of the error table with a JSON
"message", media-type negotiation, request and response against the MME JSON schema, test queries."""
from __future__ import annotations

import json

import pytest

from accounts.models import AuditEvent, Notification
from rarecases import mme_protocol
from rarecases.models import MatchRequest, MatchRequestResult, RarecasesSettings
from rarecases.services.cases import rare_case_confirm
from rarecases.services.mme import mme_import

from .factories import encounter
from .mme_fixtures import MME_V1_0, MME_V1_1, benchmark, peer, query

pytestmark = pytest.mark.django_db

GPX4 = ("P0001058", "P0001059")
SNRPB = ("P0001024", "P0001025", "P0001026")
OTHERS = ("P0000079", "P0000083", "P0001057")


@pytest.fixture
def imported():  # type: ignore[no-untyped-def]
    # GPX4[0] is the query patient of several tests: stored elsewhere, not here.
    return mme_import(patients=benchmark(GPX4[1], *SNRPB, *OTHERS))


@pytest.fixture
def token():  # type: ignore[no-untyped-def]
    _node, tok = peer()
    return tok


def post(client, body, *, token: str | None, ctype: str = MME_V1_1, accept: str | None = None, raw: bytes | None = None):  # type: ignore[no-untyped-def]
    headers = {"HTTP_X_AUTH_TOKEN": token} if token is not None else {}
    if accept is not None:
        headers["HTTP_ACCEPT"] = accept
    data = raw if raw is not None else json.dumps(body)
    return client.generic("POST", "/mme/match", data=data, content_type=ctype, **headers)


def test_401_without_or_with_a_wrong_token_json_message_one_audit_row_nothing_logged(client, imported, token) -> None:  # type: ignore[no-untyped-def]
    body = query(benchmark(GPX4[0])[0], test=True)
    before = AuditEvent.objects.filter(outcome="denied").count()
    for tok in (None, "", "not-the-token", token[:-1] + ("0" if token[-1] != "0" else "1")):
        r = post(client, body, token=tok)
        assert r.status_code == 401
        assert r.json()["message"]
    assert AuditEvent.objects.filter(outcome="denied").count() == before + 4
    assert MatchRequest.objects.count() == 0
    assert MatchRequestResult.objects.count() == 0
    assert post(client, body, token=token).status_code == 200
    assert MatchRequest.objects.count() == 1


def test_405_for_get_with_allow_header(client, token) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/mme/match", HTTP_X_AUTH_TOKEN=token)
    assert r.status_code == 405
    assert r["Allow"] == "POST"
    assert "POST" in r.json()["message"]


def test_400_for_a_body_that_is_not_json(client, token) -> None:  # type: ignore[no-untyped-def]
    r = post(client, None, token=token, raw=b"{patient: nope")
    assert r.status_code == 400
    assert r.json()["message"]
    assert MatchRequest.objects.count() == 0


@pytest.mark.parametrize("ctype", ["text/plain", "application/xml", "application/x-www-form-urlencoded"])
def test_415_for_a_wrong_content_type(client, token, ctype) -> None:  # type: ignore[no-untyped-def]
    r = post(client, query(benchmark(GPX4[0])[0]), token=token, ctype=ctype)
    assert r.status_code == 415
    assert r.json()["message"]


def test_415_without_content_type(client, token) -> None:  # type: ignore[no-untyped-def]
    r = client.generic("POST", "/mme/match", data=b"{}", content_type="", HTTP_X_AUTH_TOKEN=token)
    assert r.status_code == 415


@pytest.mark.parametrize(("ctype", "accept"), [
    ("application/vnd.ga4gh.matchmaker.v2.0+json", None),
    ("application/vnd.ga4gh.matchmaker.v0.9+json", None),
    (MME_V1_1, "application/vnd.ga4gh.matchmaker.v2.0+json"),
])
def test_406_for_an_unsupported_version_lists_supported_versions(client, token, ctype, accept) -> None:  # type: ignore[no-untyped-def]
    r = post(client, query(benchmark(GPX4[0])[0]), token=token, ctype=ctype, accept=accept)
    assert r.status_code == 406
    assert r.json()["message"] == "unsupported API version"
    assert r.json()["supportedVersions"] == ["1.0", "1.1"]
    assert r["Content-Type"] == MME_V1_1  # the latest version we support (search-api.md, Versioning)


@pytest.mark.parametrize("mutate", [
    lambda p: p.pop("contact"),
    lambda p: p.pop("id"),
    lambda p: p["contact"].pop("href"),
    lambda p: (p.pop("features"), p.pop("genomicFeatures")),
    lambda p: p.update(features=[], genomicFeatures=[]),
    lambda p: p["features"].append({"id": "HP:123"}),
    lambda p: p["features"][0].update(observed="maybe"),
    lambda p: p.update(sex="female"),
    lambda p: p["disorders"].append({"id": "OMIM:12345"}),
    lambda p: p["genomicFeatures"][0].update(gene={}),
    lambda p: p["genomicFeatures"][0]["variant"].pop("assembly"),
])
def test_422_for_a_patient_that_fails_the_schema(client, token, mutate) -> None:  # type: ignore[no-untyped-def]
    body = query(benchmark(GPX4[0])[0])
    mutate(body["patient"])
    r = post(client, body, token=token)
    assert r.status_code == 422
    assert r.json()["message"]
    assert r.json()["errors"]
    assert MatchRequest.objects.count() == 0


def test_422_without_patient(client, token) -> None:  # type: ignore[no-untyped-def]
    r = post(client, {"query": {}}, token=token)
    assert r.status_code == 422


@pytest.mark.parametrize(("ctype", "answer"), [(MME_V1_0, MME_V1_0), (MME_V1_1, MME_V1_1),
                                               ("application/json", MME_V1_1),
                                               (MME_V1_0 + "; charset=UTF-8", MME_V1_0)])
def test_accepted_media_types_and_the_answer_names_its_version(client, imported, token, ctype, answer) -> None:  # type: ignore[no-untyped-def]
    r = post(client, query(benchmark(GPX4[0])[0], test=True), token=token, ctype=ctype)
    assert r.status_code == 200
    assert r["Content-Type"] == answer
    assert mme_protocol.errors("response", r.json()) == []


def test_request_and_response_follow_the_schema_and_the_same_gene_partner_comes_first(client, imported, token) -> None:  # type: ignore[no-untyped-def]
    body = query(benchmark(GPX4[0])[0], test=True)
    assert mme_protocol.errors("request", body) == []
    r = post(client, body, token=token)
    data = r.json()
    assert mme_protocol.errors("response", data) == []
    scores = [x["score"]["patient"] for x in data["results"]]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 1 for s in scores)
    assert 1 <= len(scores) <= 5
    top = data["results"][0]
    assert top["patient"]["id"] == GPX4[1]
    assert top["patient"]["contact"] == benchmark(GPX4[1])[0]["contact"]
    assert top["_why"]["sharedGenes"] == ["GPX4"]
    assert top["score"]["_genotype"] == 0.75
    assert top["_why"]["sharedFeatures"]


def test_max_results_and_threshold_are_settings(client, imported, token) -> None:  # type: ignore[no-untyped-def]
    RarecasesSettings.objects.update_or_create(pk=1, defaults={"mme_max_results": 2, "mme_threshold": 0.0})
    r = post(client, query(benchmark(SNRPB[0])[0], test=True), token=token)
    assert len(r.json()["results"]) == 2
    RarecasesSettings.objects.filter(pk=1).update(mme_threshold=0.999)
    r = post(client, query(benchmark(GPX4[0])[0], test=True, genes=False), token=token)
    assert r.json()["results"] == []  # no match rather than a vague one


def test_test_patients_answer_test_queries_only(client, imported, token) -> None:  # type: ignore[no-untyped-def]
    # The benchmark patients are marked "test": true (search-api.md, Testing).
    assert post(client, query(benchmark(GPX4[0])[0], test=False), token=token).json()["results"] == []
    found = post(client, query(benchmark(GPX4[0])[0], test=True), token=token).json()["results"]
    assert found
    assert all(x["patient"]["test"] is True for x in found)


def test_a_real_query_notifies_the_cases_doctor_once_a_test_query_nobody_and_is_not_counted(client, token) -> None:  # type: ignore[no-untyped-def]
    enc = encounter()
    case = rare_case_confirm(doctor=enc.doctor, encounter=enc, phenotype_ids=["HP:0004923", "HP:0000964", "HP:0001249"],
                             genes=["PAH"])
    patient = {"id": "remote-1", "contact": {"name": "Dr Remote", "href": "mailto:remote@example.org"},
               "features": [{"id": "HP:0004923"}, {"id": "HP:0001249"}], "genomicFeatures": [{"gene": {"id": "PAH"}}]}
    for test in (True, False):
        r = post(client, {"patient": {**patient, "test": test}}, token=token)
        assert [x["patient"]["id"] for x in r.json()["results"]] == [f"{case.origin}:{case.case_uuid}"]
        assert r.json()["results"][0]["patient"]["contact"]["href"]
    assert MatchRequest.objects.count() == 2
    assert list(MatchRequest.objects.values_list("is_test", flat=True).order_by("pk")) == [True, False]
    notes = Notification.objects.filter(user=enc.doctor, kind="rarecases.mme_match")
    assert notes.count() == 1
    m = client.get("/mme/metrics", HTTP_X_AUTH_TOKEN=token).json()["metrics"]
    assert m["numberOfRequestsReceived"] == 1
    assert m["numberOfPotentialMatchesSent"] == 1
    assert m["numberOfUniqueGenesMatched"] == 1


def test_heartbeat_shape_and_token(client, token) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/mme/heartbeat", HTTP_X_AUTH_TOKEN=token)
    assert r.status_code == 200
    body = r.json()
    assert mme_protocol.errors("heartbeat", body) == []
    assert body["heartbeat"]["accept"] == [MME_V1_0, MME_V1_1]
    assert body["heartbeat"]["production"] is False  # RARECASES_MME_PRODUCTION is not set in tests
    assert client.get("/mme/heartbeat").status_code == 401
    assert client.get("/mme/heartbeat", HTTP_X_AUTH_TOKEN="wrong").json()["message"]
    assert client.post("/mme/heartbeat", HTTP_X_AUTH_TOKEN=token).status_code == 405


def test_metrics_shape_and_counts(client, imported, token) -> None:  # type: ignore[no-untyped-def]
    enc = encounter()
    rare_case_confirm(doctor=enc.doctor, encounter=enc, phenotype_ids=["HP:0004923"], genes=["PAH", "ENSG00000171759"])
    r = client.get("/mme/metrics", HTTP_X_AUTH_TOKEN=token)
    assert r.status_code == 200
    body = r.json()
    assert mme_protocol.errors("metrics", body) == []
    m = body["metrics"]
    # Test patients (the benchmark) are not "available for matching" by non-test queries: only the local case.
    assert m["numberOfCases"] == 1
    assert m["numberOfGenes"] == 2
    assert m["numberOfUniqueGenes"] == 2
    assert m["numberOfFeatures"] == 1
    assert m["numberOfFeatureSets"] == 1
    assert m["numberOfSubmitters"] == 1
    assert m["numberOfRequestsReceived"] == 0
    assert client.get("/mme/metrics").status_code == 401


def test_413_for_a_body_over_one_mebibyte(client, token) -> None:  # type: ignore[no-untyped-def]
    r = post(client, None, token=token, raw=b" " * (1024 * 1024 + 1))
    assert r.status_code == 413
    assert r.json()["message"]
