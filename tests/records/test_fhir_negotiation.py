"""What a FHIR client expects of /fhir/: content negotiation (Accept and `_format`), every error an OperationOutcome,
a CapabilityStatement at /fhir/metadata, and the real `$everything` path in the OpenAPI schema."""
from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome

from accounts.models import AuditEvent
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

FHIR_JSON = "application/fhir+json; charset=utf-8"


def everything(patient) -> str:  # type: ignore[no-untyped-def]
    return f"/fhir/Patient/{patient.pk}/$everything"


def outcome(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    """The response is an OperationOutcome (fhir.resources validates it) with one error issue of `code`."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == FHIR_JSON
    body = json.loads(response.content)
    OperationOutcome.model_validate(body)
    assert body["resourceType"] == "OperationOutcome"
    assert [(i["severity"], i["code"]) for i in body["issue"]] == [("error", code)]
    assert body["issue"][0]["diagnostics"]
    return body


@pytest.mark.parametrize("accept", [
    "application/fhir+json", "application/json", "*/*", "", "application/fhir+json; fhirVersion=4.0",
    "application/xml;q=0.9, application/fhir+json", "text/html, application/json;q=0.8",
])
def test_json_accept_headers_answer_fhir_json(client, accept):
    # Given a patient asking for their own bundle with what FHIR clients send as Accept
    patient = PatientFactory()
    client.force_login(patient)
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = client.get(everything(patient), **headers)
    # Then the answer is the Bundle, as application/fhir+json
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == FHIR_JSON
    assert json.loads(response.content)["resourceType"] == "Bundle"


@pytest.mark.parametrize("fmt", ["json", "application/json", "application/fhir+json", "application/fhir json",
                                 "application/json+fhir"])
def test_json_format_parameters_answer_fhir_json(client, fmt):
    patient = PatientFactory()
    client.force_login(patient)
    # `_format` wins over the Accept header (FHIR R4 §3.1.0.1.10); an unencoded "+" arrives as a space
    response = client.get(everything(patient), {"_format": fmt}, HTTP_ACCEPT="application/xml")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == FHIR_JSON
    assert json.loads(response.content)["resourceType"] == "Bundle"


@pytest.mark.parametrize(("query", "accept"), [
    ({}, "application/fhir+xml"), ({}, "application/xml"), ({}, "text/html"),
    ({}, "application/fhir+json;q=0"), ({"_format": "xml"}, "application/fhir+json"),
    ({"_format": "application/fhir+xml"}, ""), ({"_format": "ttl"}, ""),
])
def test_other_formats_are_406_as_an_operation_outcome(client, query, accept):
    patient = PatientFactory()
    client.force_login(patient)
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = client.get(everything(patient), query, **headers)
    outcome(response, 406, "not-supported")
    # and nothing was exported
    assert not AuditEvent.objects.filter(action="export").exists()


def test_someone_elses_bundle_is_a_404_operation_outcome_and_audited(client):
    victim, stranger = PatientFactory(), PatientFactory()
    client.force_login(stranger)
    body = outcome(client.get(everything(victim), HTTP_ACCEPT="application/fhir+json"), 404, "not-found")
    assert str(victim.pk) not in body["issue"][0]["diagnostics"]
    denied = AuditEvent.objects.get(action="denied", object_type="fhir_bundle")
    assert (denied.actor, denied.subject) == (stranger, victim)


def test_anonymous_is_refused_with_an_operation_outcome(client):
    patient = PatientFactory()
    response = client.get(everything(patient), HTTP_ACCEPT="application/fhir+json")
    outcome(response, 403, "forbidden")


def test_a_bad_token_is_refused_with_an_operation_outcome(api_client):
    patient = PatientFactory()
    response = api_client.get(everything(patient), HTTP_AUTHORIZATION="Token not-a-token",
                              HTTP_ACCEPT="application/fhir+json")
    assert outcome(response, 403, "forbidden")["issue"][0]["diagnostics"] == "Invalid token."


def test_errors_before_any_fhir_view_are_operation_outcomes_too(client):
    patient = PatientFactory()
    client.force_login(patient)
    # an unknown resource type, an id that is not a number (the URL resolver's 404) …
    outcome(client.get("/fhir/Observation/1"), 404, "not-found")
    outcome(client.get("/fhir/Patient/abc/$everything"), 404, "not-found")
    # … a method the endpoint does not take …
    response = client.post(everything(patient), {}, content_type="application/fhir+json")
    outcome(response, 405, "not-supported")
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    # … and the input boundary's refusal of a query string (a NUL byte)
    outcome(client.get(everything(patient), {"download": "a\x00b"}), 400, "invalid")


def test_metadata_is_a_public_capability_statement_of_what_we_support(client):
    # Given nobody logged in
    response = client.get("/fhir/metadata", HTTP_ACCEPT="application/fhir+json")
    # Then the CapabilityStatement validates and names exactly the one operation the server has
    assert response.status_code == 200
    assert response["Content-Type"] == FHIR_JSON
    body = json.loads(response.content)
    CapabilityStatement.model_validate(body)
    assert body["fhirVersion"] == "4.0.1"
    assert body["kind"] == "instance"
    assert set(body["format"]) == {"application/fhir+json", "json"}
    (rest,) = body["rest"]
    assert rest["mode"] == "server"
    assert [(r["type"], [op["name"] for op in r["operation"]], r.get("interaction", []))
            for r in rest["resource"]] == [("Patient", ["everything"], [])]
    assert body["implementation"]["url"] == "http://testserver/fhir"
    # and it negotiates like the rest
    outcome(client.get("/fhir/metadata", {"_format": "xml"}), 406, "not-supported")


def test_every_operation_the_capability_statement_names_exists(client):
    # The statement must not claim what the server does not do: each operation answers (here: a 404 for a
    # patient that does not exist, from the operation's own view, not the URL resolver).
    client.force_login(PatientFactory())
    body = json.loads(client.get("/fhir/metadata").content)
    for resource in body["rest"][0]["resource"]:
        for operation in resource["operation"]:
            response = client.get(f"/fhir/{resource['type']}/999999999/${operation['name']}")
            assert response.status_code == 404
            assert AuditEvent.objects.filter(action="denied", object_type="fhir_bundle").exists()


def test_the_schema_documents_the_real_everything_path(client):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    fhir_paths = sorted(p for p in schema["paths"] if p.startswith("/fhir/"))
    assert fhir_paths == ["/fhir/Patient/{patient_id}/$everything", "/fhir/metadata"]
    responses = schema["paths"]["/fhir/Patient/{patient_id}/$everything"]["get"]["responses"]
    assert list(responses["200"]["content"]) == ["application/fhir+json"]
    assert responses["404"]["content"]["application/fhir+json"]["schema"] == {
        "$ref": "#/components/schemas/OperationOutcome"}
    # and the documented path is the one that answers
    patient = PatientFactory()
    client.force_login(patient)
    path = "/fhir/Patient/{patient_id}/$everything".replace("{patient_id}", str(patient.pk))
    assert client.get(path).status_code == 200
