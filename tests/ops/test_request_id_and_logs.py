"""Request ids: on the response, on the audit rows the request writes (inside the hash chain), on the JSON log
lines; rows written without one hash exactly as before the field existed."""
from __future__ import annotations

import hashlib
import io
import json
import logging
import logging.config

import pytest

from accounts.audit import GENESIS, _digest
from accounts.models import AuditAction, AuditEvent
from accounts.services import audit_chain_verify, audit_record
from operations.logconfig import json_logging
from tests.factories import PASSWORD, PatientFactory

pytestmark = pytest.mark.django_db


def _login(client, email: str, **headers: str):  # type: ignore[no-untyped-def]
    return client.post("/accounts/login/", {"login": email, "password": PASSWORD}, **headers)


def test_the_audit_rows_of_a_request_carry_its_request_id(client):
    # Given a patient
    patient = PatientFactory()

    # When they log in twice: once with no id from upstream, once with the load balancer's id
    first = _login(client, patient.email)
    client.logout()
    second = _login(client, patient.email, HTTP_X_REQUEST_ID="lb-7f3a9c21-0001")

    # Then each login row holds the id its response announced, and the chain verifies
    rows = list(AuditEvent.objects.filter(action=AuditAction.LOGIN).order_by("seq"))
    assert [r.request_id for r in rows] == [first["X-Request-ID"], "lb-7f3a9c21-0001"]
    assert len(first["X-Request-ID"]) == 32
    assert second["X-Request-ID"] == "lb-7f3a9c21-0001"
    assert audit_chain_verify().ok


def test_a_malformed_upstream_request_id_is_replaced(client):
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="bad id\nwith a line break")
    assert response["X-Request-ID"] != "bad id\nwith a line break"
    assert len(response["X-Request-ID"]) == 32


def _digest_before_the_field(prev_hash: str, e: AuditEvent) -> str:
    """The digest as accounts.audit computed it before request_id existed (frozen here on purpose)."""
    payload = {"seq": e.seq, "at": e.at.isoformat(), "actor": e.actor_id, "actor_label": e.actor_label,
               "action": e.action, "object_type": e.object_type, "object_id": e.object_id, "subject": e.subject_id,
               "ip": e.ip, "path": e.path, "outcome": e.outcome, "detail": e.detail}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{prev_hash}|{canonical}".encode()).hexdigest()


def test_rows_without_a_request_id_hash_as_before_and_a_changed_request_id_breaks_the_chain(client):
    # Given a row written outside any request (as every row before the field existed) and one inside a request
    old = audit_record(actor=None, action=AuditAction.READ, object_type="x", object_id=1)
    _login(client, PatientFactory().email)
    new = AuditEvent.objects.get(action=AuditAction.LOGIN)

    # Then the first row's hash is the old formula's, so chains written before the field still verify
    assert old.request_id == ""
    assert old.hash == _digest_before_the_field(GENESIS, old)
    # and the second row's hash covers its request id: another id would not verify
    assert new.request_id
    assert new.hash == _digest(new.prev_hash, new) != _digest_before_the_field(new.prev_hash, new)
    new.request_id = "0" * 32
    assert _digest(new.prev_hash, new) != new.hash


def test_production_log_lines_are_json_with_the_request_id_user_id_and_route_only(client, settings):
    # Given production's logging (JSON) and the per-request line, captured
    settings.REQUEST_LOG = True
    stream = io.StringIO()
    config = json_logging("INFO")
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    patient = PatientFactory()
    client.force_login(patient)
    try:
        # When the patient opens a page with a search in its query string
        response = client.get("/me/appointments/?q=diabetes")
    finally:
        logging.config.dictConfig(settings.LOGGING)

    # Then the request's line is one JSON object with ids and the route, never the query or the person's name
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    request_line = next(line for line in lines if line["event"] == "request")
    assert request_line["request_id"] == response["X-Request-ID"]
    assert request_line["user_id"] == patient.pk
    assert request_line["route"] == "me/appointments/"
    assert (request_line["method"], request_line["status"]) == ("GET", response.status_code)
    assert {"timestamp", "level", "logger", "duration_ms"} <= set(request_line)
    text = stream.getvalue()
    assert "diabetes" not in text
    assert patient.full_name not in text
    assert patient.email not in text


def test_a_task_runs_with_the_request_id_of_the_request_that_queued_it():
    from types import SimpleNamespace

    from accounts.context import current_request_id
    from operations.request_id import _forget_request_id, _publish_with_request_id, _run_with_request_id

    # Given a request with its id queueing a task: the id travels in the message's headers
    token = current_request_id.set("req-0123456789abcdef")
    headers: dict = {}
    _publish_with_request_id(headers=headers)
    current_request_id.reset(token)
    assert headers == {"request_id": "req-0123456789abcdef"}

    # When a worker runs it (Celery puts the message's headers on task.request), the id is the current one
    task = SimpleNamespace(name="accounts.tasks.email_deliver",
                           request=SimpleNamespace(is_eager=False, request_id=headers["request_id"]))
    _run_with_request_id(task_id="t-1", task=task)
    assert current_request_id.get() == "req-0123456789abcdef"
    _forget_request_id(task_id="t-1", task=task)
    assert current_request_id.get() == ""
