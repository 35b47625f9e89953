"""A doctor's "find similar patients": local results at once, each MME peer asked over HTTP by a task (here our
own live server as the peer: the real /mme/match), time-outs and refusals recorded, other doctors' searches
refused (404 + one audit row), and "someone looked for a patient like yours" for the case's doctor only."""
from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from rarecases.models import MatchRequest, PeerQueryStatus, SimilarSearch, SimilarSearchPeer
from rarecases.services.cases import rare_case_confirm
from rarecases.services.mme import mme_import, mme_match, node_create, node_issue_token, node_set_token_out
from rarecases.services.similar import similar_search_start, similar_search_sweep
from tests.factories import DoctorFactory

from .factories import encounter
from .mme_fixtures import benchmark

WILSON = ["HP:0200032", "HP:0010837", "HP:0002910"]


@pytest.fixture
def doc(with_mfa):  # type: ignore[no-untyped-def]
    d = DoctorFactory()
    with_mfa(d)
    return d


def _case(doctor, terms=WILSON, genes=("ATP7B",), code="E70.0"):  # type: ignore[no-untyped-def]
    enc = encounter(doctor=doctor, codes=(code,))
    return rare_case_confirm(doctor=doctor, encounter=enc, phenotype_ids=list(terms), genes=list(genes))


@pytest.mark.django_db(transaction=True)
def test_find_similar_searches_locally_and_asks_the_peer_over_http(client, doc, live_server) -> None:  # type: ignore[no-untyped-def]
    mme_import(patients=benchmark("P0001059", "P0000079"))
    other = _case(DoctorFactory(), terms=[*WILSON, "HP:0001337"])
    mine = _case(doc)
    peer = node_create(name="Self as a peer", base_url=f"{live_server.url}/mme", timeout_seconds=10)
    node_set_token_out(node=peer, token=node_issue_token(node=peer))
    client.force_login(doc)
    r = client.post(f"/rarecases/cases/{mine.pk}/similar/", {"include_test": "on"})
    search = SimilarSearch.objects.get()
    assert r.status_code == 302
    assert r["Location"] == f"/rarecases/similar/{search.pk}/"
    assert [x["case_id"] for x in search.local_results][0] == other.pk  # the shared gene and terms
    assert mine.pk not in [x["case_id"] for x in search.local_results]
    row = SimilarSearchPeer.objects.get()
    assert row.status == PeerQueryStatus.DONE, row.error  # the task ran on commit (eager in tests)
    assert row.http_status == 200
    # The peer is this very server: it answers with its cases (the query's own case included, it is
    # stored there) and logs the request like any peer's.
    assert f"{other.origin}:{other.case_uuid}" in [x["patient"]["id"] for x in row.results]
    assert MatchRequest.objects.get().is_test is True
    page = client.get(r["Location"])
    text = page.content.decode()
    assert page.status_code == 200
    assert other.title in text
    assert "ATP7B" in text
    assert "Self as a peer" in text
    assert "hx-trigger" not in text  # nothing is waiting any more: the page stops polling


@pytest.mark.django_db
def test_a_silent_or_closed_peer_is_recorded_as_failed(doc, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection in the backlog, never answers
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    try:
        for name, port in (("silent", silent.getsockname()[1]), ("closed", closed_port)):
            node = node_create(name=name, base_url=f"http://127.0.0.1:{port}/mme", timeout_seconds=0.5)
            node_set_token_out(node=node, token="a-token-for-this-peer-0123")
        with django_capture_on_commit_callbacks(execute=True):
            similar_search_start(doctor=doc, case=_case(doc))
    finally:
        silent.close()
    rows = {r.node.name: r for r in SimilarSearchPeer.objects.select_related("node")}
    assert rows["silent"].status == rows["closed"].status == PeerQueryStatus.FAILED
    assert "timed out" in rows["silent"].error
    assert "refused" in rows["closed"].error.lower()
    assert rows["silent"].duration_ms < 5000


@pytest.mark.django_db
def test_a_peer_answer_that_breaks_the_schema_is_not_kept(doc, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Misbehaving(BaseHTTPRequestHandler):  # a matchmaker that answers 200 with a score above 1
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            body = json.dumps({"results": [{"score": {"patient": 7}, "patient": {"id": "x"}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
            return

    server = HTTPServer(("127.0.0.1", 0), Misbehaving)
    threading.Thread(target=server.handle_request, daemon=True).start()
    try:
        node = node_create(name="Misbehaving", base_url=f"http://127.0.0.1:{server.server_port}/mme", timeout_seconds=5)
        node_set_token_out(node=node, token="a-token-for-this-peer-0123")
        with django_capture_on_commit_callbacks(execute=True):
            similar_search_start(doctor=doc, case=_case(doc))
    finally:
        server.server_close()
    row = SimilarSearchPeer.objects.get()
    assert row.status == PeerQueryStatus.FAILED
    assert row.http_status == 200
    assert "does not follow the MME schema" in row.error
    assert row.results == []


@pytest.mark.django_db
def test_a_case_without_terms_or_genes_cannot_be_searched(client, doc) -> None:  # type: ignore[no-untyped-def]
    case = _case(doc, terms=(), genes=())
    client.force_login(doc)
    r = client.post(f"/rarecases/cases/{case.pk}/similar/", follow=True)
    assert "Add HPO phenotype terms" in r.content.decode()
    assert SimilarSearch.objects.count() == 0


@pytest.mark.django_db
def test_another_doctors_search_is_404_and_audited_once(client, doc) -> None:  # type: ignore[no-untyped-def]
    search = similar_search_start(doctor=doc, case=_case(doc))
    intruder = DoctorFactory()
    from tests.factories import give_totp

    give_totp(intruder)
    client.force_login(intruder)
    before = AuditEvent.objects.filter(outcome="denied").count()
    assert client.get(f"/rarecases/similar/{search.pk}/").status_code == 404
    assert client.get(f"/rarecases/similar/{search.pk + 999}/").status_code == 404
    assert AuditEvent.objects.filter(outcome="denied").count() == before + 2
    client.force_login(doc)
    assert client.get(f"/rarecases/similar/{search.pk}/").status_code == 200


@pytest.mark.django_db
def test_incoming_requests_are_listed_for_the_cases_doctor_only(client, doc, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    case = _case(doc)
    node = node_create(name="GeneMatcher test node")
    patient = {"id": "q1", "contact": {"name": "Dr Far Away", "href": "mailto:far@example.org"},
               "features": [{"id": t} for t in WILSON]}
    for i in range(3):
        mme_match(node=node, request_body={"patient": {**patient, "id": f"q{i}"}})
    mme_match(node=node, request_body={"patient": {**patient, "test": True}})  # not listed
    client.force_login(doc)
    with django_assert_max_num_queries(12):
        page = client.get("/rarecases/mme/incoming/")
    text = page.content.decode()
    assert text.count("GeneMatcher test node") == 3
    assert "Dr Far Away" in text
    assert case.title in text
    assert "Someone looked for a patient like yours" in client.get(f"/rarecases/cases/{case.pk}/").content.decode()
    colleague = DoctorFactory()
    from tests.factories import give_totp

    give_totp(colleague)
    client.force_login(colleague)
    assert "GeneMatcher test node" not in client.get("/rarecases/mme/incoming/").content.decode()
    assert "Someone looked for a patient like yours" not in client.get(f"/rarecases/cases/{case.pk}/").content.decode()


@pytest.mark.django_db
def test_the_sweep_asks_again_when_a_task_was_lost(doc) -> None:  # type: ignore[no-untyped-def]
    node = node_create(name="closed", base_url="http://127.0.0.1:9/mme", timeout_seconds=0.5)
    node_set_token_out(node=node, token="a-token-for-this-peer-0123")
    search = similar_search_start(doctor=doc, case=_case(doc))  # on_commit never runs here: the task is "lost"
    row = SimilarSearchPeer.objects.get()
    assert row.status == PeerQueryStatus.PENDING
    assert similar_search_sweep() == 0  # too recent to be called lost
    SimilarSearch.objects.filter(pk=search.pk).update(created_at=timezone.now() - timedelta(minutes=1))
    assert similar_search_sweep() == 1
    row.refresh_from_db()
    assert row.status == PeerQueryStatus.FAILED
    assert row.attempts == 1
    assert similar_search_sweep() == 0


@pytest.mark.django_db
def test_the_new_pages_are_for_doctors_only(client, patient) -> None:  # type: ignore[no-untyped-def]
    client.force_login(patient)
    before = AuditEvent.objects.filter(outcome="denied").count()
    for url in ("/rarecases/mme/incoming/", "/rarecases/hpo/?hpo_q=seizure", "/rarecases/similar/1/"):
        assert client.get(url).status_code == 403
    assert client.post("/rarecases/cases/1/similar/").status_code == 403
    assert AuditEvent.objects.filter(outcome="denied").count() == before + 4


@pytest.mark.django_db
def test_the_hpo_picker_fragment(client, doc) -> None:  # type: ignore[no-untyped-def]
    client.force_login(doc)
    r = client.get("/rarecases/hpo/?hpo_q=癫痫", HTTP_HX_REQUEST="true")
    text = r.content.decode()
    assert 'value="HP:0001250"' in text
    assert "癫痫发作" in text
    assert "No HPO term found" in client.get("/rarecases/hpo/?hpo_q=zzzzqqq").content.decode()


@pytest.mark.django_db
def test_api_start_read_and_incoming(api_client, doc) -> None:  # type: ignore[no-untyped-def]
    other = _case(DoctorFactory())
    mine = _case(doc)
    api_client.force_authenticate(doc)
    r = api_client.post(f"/api/rarecases/cases/{mine.pk}/similar/", {"include_test": False}, format="json")
    assert r.status_code == 201
    body = r.json()
    assert [x["case_id"] for x in body["local"]] == [other.pk]
    assert body["local"][0]["why"]["genes"] == ["ATP7B"]
    assert body["peers"] == []
    assert body["waiting"] is False
    assert api_client.get(f"/api/rarecases/similar/{body['id']}/").json()["local"] == body["local"]
    api_client.force_authenticate(DoctorFactory())
    assert api_client.get(f"/api/rarecases/similar/{body['id']}/").status_code == 404
    assert api_client.get("/api/rarecases/mme/incoming/").json()["results"] == []


@pytest.mark.django_db
def test_a_peers_javascript_contact_never_becomes_a_link(client, doc) -> None:  # type: ignore[no-untyped-def]
    _case(doc)
    node = node_create(name="Hostile peer")
    mme_match(node=node, request_body={"patient": {
        "id": "q", "contact": {"name": "Mallory", "href": "javascript:alert(1)"},
        "features": [{"id": t} for t in WILSON]}})
    client.force_login(doc)
    text = client.get("/rarecases/mme/incoming/").content.decode()
    assert "Mallory" in text
    assert 'href="javascript:' not in text
