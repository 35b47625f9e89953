"""Fuzz of every JSON endpoint of the OpenAPI schema (/api/schema/, drf-spectacular): hypothesis strategies built
from each operation's request body and query parameters, plus issue 24's table as explicit examples for every
body field and query parameter, sent as a patient and as a doctor. No answer may be a 5xx, and every 4xx must be
JSON with a `detail`.

Bounded for CI (about a minute): FUZZ_EXAMPLES hypothesis examples per operation and role (default 6,
derandomized so CI is repeatable; raise it and set FUZZ_RANDOM=1 locally to explore). The figures (requests
tried, 5xx, 4xx without detail) are printed at the end (`pytest -s` or the captured output).
"""
from __future__ import annotations

import json
import os
import re
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from records.models import Allergy
from tests.consult.factories import AppointmentFactory, SlotFactory
from tests.factories import DoctorFactory, PatientFactory, give_totp
from tests.records.factories import DrugFactory, EncounterFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"
HUGE = 2**64

# Issue 24's table (and its neighbours), as values for any field or parameter.
NASTY_STRINGS = ["\x00", "a\x00b", "\ud800", "x\udfffy", "\x1b[31mred\x1b[0m", "\u202eevil", "1e309", "-1e309", "NaN",
                 "Infinity", "9999-12-31", "0000-00-00", "2026-02-30", "１２３", "２０２６－０１－３１", "25:61",
                 str(HUGE), str(-HUGE), "-1", "", " ", "x" * 5000, "%00", "../../etc/passwd", "' OR 1=1 --",
                 "<script>alert(1)</script>", "🙂" * 50]
NASTY_VALUES: list[Any] = [*NASTY_STRINGS, HUGE, -HUGE, 2**63, 1e308, -0.0, 1.5, True, None, [], {}, [[[]]],
                           {"a": {"b": {"c": 1}}}, ["\ud800"], 0]
# Query parameters views read without declaring them in the schema.
EXTRA_QUERY = ["q", "page", "offset", "limit", "after", "kind", "when", "day", "group", "state", "queue", "download"]


def _resolve(schema: dict, spec: dict) -> dict:
    while "$ref" in spec:
        spec = schema["components"]["schemas"][spec["$ref"].rsplit("/", 1)[1]]
    if "allOf" in spec:
        merged: dict = {}
        for part in spec["allOf"]:
            merged.update(_resolve(schema, part))
        return merged
    return spec


def _nasty() -> st.SearchStrategy:
    return st.sampled_from(NASTY_VALUES)


def strategy_for(schema: dict, spec: dict, depth: int = 0) -> st.SearchStrategy:
    """Values that follow `spec` (JSON Schema of OpenAPI 3), with a chance of a nasty value at every leaf."""
    spec = _resolve(schema, spec)
    if "oneOf" in spec or "anyOf" in spec:
        return st.one_of([strategy_for(schema, s, depth) for s in spec.get("oneOf", spec.get("anyOf"))])
    kind = spec.get("type")
    if "enum" in spec:
        base: st.SearchStrategy = st.sampled_from([v for v in spec["enum"] if v is not None] or [""])
    elif kind == "object" or "properties" in spec:
        props = spec.get("properties", {})
        required = [k for k in spec.get("required", []) if k in props]
        optional = {k: strategy_for(schema, v, depth + 1) for k, v in props.items()
                    if k not in required and not v.get("readOnly")}
        base = st.fixed_dictionaries({k: strategy_for(schema, props[k], depth + 1) for k in required},
                                     optional=optional)
        if not props and depth < 2:
            base = st.dictionaries(st.text(max_size=8), st.one_of(st.text(max_size=20), st.integers()), max_size=3)
    elif kind == "array":
        base = st.lists(strategy_for(schema, spec.get("items", {}), depth + 1), max_size=3)
    elif kind == "integer":
        lo, hi = spec.get("minimum"), spec.get("maximum")
        base = st.integers(min_value=lo, max_value=hi) if depth < 5 else st.integers(0, 10)
    elif kind == "number":
        base = st.one_of(st.floats(allow_nan=False, allow_infinity=False),
                         st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str))
    elif kind == "boolean":
        base = st.booleans()
    elif kind == "string":
        fmt = spec.get("format")
        if fmt == "date":
            base = st.dates().map(lambda d: d.isoformat())
        elif fmt == "date-time":
            base = st.datetimes(timezones=st.just(timezone.get_current_timezone())).map(lambda d: d.isoformat())
        elif fmt == "time":
            base = st.times().map(lambda t: t.strftime("%H:%M"))
        elif fmt == "email":
            base = st.emails()
        elif fmt == "uuid":
            base = st.uuids().map(str)
        else:
            base = st.text(max_size=min(int(spec.get("maxLength", 40)), 40))
    else:
        base = st.one_of(st.text(max_size=10), st.integers(), st.none())
    return st.one_of(base, base, base, _nasty())


class Fuzz:
    def __init__(self, schema: dict, ids: dict[str, list[int]]) -> None:
        self.schema = schema
        self.ids = ids
        self.tried = 0
        self.statuses: Counter[int] = Counter()
        self.failures: list[str] = []

    def path_strategy(self, path: str) -> st.SearchStrategy:
        names = re.findall(r"{(\w+)}", path)
        parts = {n: st.sampled_from(["pay", "cancel", "approve", "reject", "dispense", "ship", "refund", "deliver",
                                     "nope"]) if n == "action" else st.sampled_from(self.ids.get(n, self.ids["*"]))
                 for n in names}
        return st.fixed_dictionaries(parts)

    def send(self, client: Any, method: str, path: str, params: dict, *, body: Any = None, raw: str | None = None,
             query: dict | None = None, who: str) -> None:
        url = path
        for name, value in params.items():
            url = url.replace("{" + name + "}", str(value))
        if query:
            url += "?" + _qs(query)
        if method in ("post", "put", "patch"):
            data = raw if raw is not None else json.dumps(body)
            response = getattr(client, method)(url, data=data, content_type="application/json")
        else:
            response = getattr(client, method)(url)
        self.tried += 1
        self.statuses[response.status_code] += 1
        where = f"{who} {method.upper()} {url} body={str(body if raw is None else raw[:40])[:200]!r} query={query!r}"
        if response.status_code >= 500:
            self.failures.append(f"{response.status_code} {where}")
        elif response.status_code >= 400:
            try:
                detail = response.json().get("detail")
            except (ValueError, AttributeError):
                detail = None
            if not isinstance(detail, str) or not detail:
                self.failures.append(f"{response.status_code} without a JSON detail: {where} → {response.content[:200]!r}")


def _qs(query: dict) -> str:
    """The query string a client sends: UTF-8 bytes percent-encoded (a lone surrogate as the bytes a lenient
    encoder writes, which Django decodes to U+FFFD)."""
    from urllib.parse import quote

    def enc(v: Any) -> str:
        text = v if isinstance(v, str) else json.dumps(v)
        return quote(text.encode("utf-8", "surrogatepass"), safe="")

    return "&".join(f"{enc(k)}={enc(v)}" for k, v in query.items())


def _operations(schema: dict) -> list[tuple[str, str, dict]]:
    out = []
    for path, ops in schema["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, op in ops.items():
            content = op.get("requestBody", {}).get("content", {})
            if method in ("post", "put", "patch") and content and "application/json" not in content:
                continue  # an upload endpoint (multipart only): not a JSON endpoint
            out.append((path, method, op))
    return out


def _fuzz_one(fuzz: Fuzz, client: Any, method: str, path: str, who: str, path_st: st.SearchStrategy,
              body_st: st.SearchStrategy, query_st: st.SearchStrategy) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=not RANDOM, database=None,
              suppress_health_check=list(HealthCheck))
    @given(params=path_st, body=body_st, query=query_st)
    def run(params: dict, body: Any, query: dict) -> None:
        fuzz.send(client, method, path, params, body=body if method in ("post", "put", "patch") else None,
                  query=query, who=who)

    run()


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    from rest_framework.test import APIClient

    patient, doctor = PatientFactory(), DoctorFactory()
    give_totp(doctor)
    slot = SlotFactory(doctor=doctor, start=timezone.now() + timedelta(days=3))
    SlotFactory(doctor=doctor, start=timezone.now() + timedelta(days=4))
    appointment = AppointmentFactory(slot=slot, patient=patient)
    encounter = EncounterFactory(patient=patient, doctor=doctor)
    drug = DrugFactory(is_prescription_only=False)
    allergy = Allergy.objects.create(patient=patient, substance="penicillin", recorded_by=patient)
    ids = {"patient_id": [patient.pk], "appointment_id": [appointment.pk], "encounter_id": [encounter.pk],
           "doctor_id": [doctor.pk], "id": [drug.pk], "pk": [drug.pk], "allergy_id": [allergy.pk],
           "*": [1, appointment.pk, 2**63 - 1]}
    ids = {k: [*v, 0, 2**63 - 1] for k, v in ids.items()}
    clients = {}
    for who, user in (("patient", patient), ("doctor", doctor)):
        client = APIClient(raise_request_exception=False)
        client.force_authenticate(user)
        clients[who] = client
    return clients, ids


def test_fuzz_every_json_endpoint_as_a_patient_and_a_doctor(world, capsys):
    from drf_spectacular.generators import SchemaGenerator

    clients, ids = world
    schema = SchemaGenerator().get_schema(request=None, public=True)
    fuzz = Fuzz(schema, ids)
    operations = _operations(schema)
    assert len(operations) > 60

    for path, method, op in operations:
        body_spec = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        query_names = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
        query_specs = {p["name"]: p.get("schema", {}) for p in op.get("parameters", []) if p["in"] == "query"}
        if method == "get":
            query_names = list(dict.fromkeys([*query_names, *EXTRA_QUERY]))
        body_st = strategy_for(schema, body_spec) if body_spec else st.just(None)
        query_st = st.fixed_dictionaries({}, optional={
            n: strategy_for(schema, query_specs.get(n, {"type": "string"})) for n in query_names})
        for who, client in clients.items():
            path_st = fuzz.path_strategy(path)

            # explicit examples: the table's values in each body field and query parameter, and the deep JSON
            params = {n: ids.get(n, ids["*"])[0] if n != "action" else "pay" for n in re.findall(r"{(\w+)}", path)}
            if method in ("post", "put", "patch"):
                fuzz.send(client, method, path, params, raw="[" * 100_000, who=who)
                props = _resolve(schema, body_spec).get("properties", {}) if body_spec else {}
                for name in props:
                    for value in ("\ud800", "\x00", "1e309", "9999-12-31", HUGE, "１２３", "\x1b[2J"):
                        fuzz.send(client, method, path, params, body={name: value}, who=who)
            for name in query_names:
                for value in ("\x00", str(HUGE), "9999-12-31", "１２３", "-1"):
                    fuzz.send(client, method, path, params, query={name: value}, who=who)
            fuzz.send(client, method, path, {n: HUGE for n in params}, body={}, who=who)

            _fuzz_one(fuzz, client, method, path, who, path_st, body_st, query_st)

    with capsys.disabled():
        print(f"\nfuzz: {len(operations)} operations × 2 roles, {fuzz.tried} requests, "
              f"{sum(n for s, n in fuzz.statuses.items() if s >= 500)} × 5xx, statuses {dict(sorted(fuzz.statuses.items()))}")
    assert fuzz.failures == []
