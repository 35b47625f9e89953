"""The OpenAPI schema generates without errors or warnings and the docs UI is served locally (no CDN)."""
from __future__ import annotations

import pytest
from django.urls import reverse
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


def test_schema_generates_without_errors_or_warnings():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert GENERATOR_STATS._error_cache == {}
    assert GENERATOR_STATS._warn_cache == {}
    assert "/api/me/" in schema["paths"]
    # every app exposes its API in the schema
    for prefix in ("/api/consult/", "/api/pharmacy/", "/api/portraits/", "/api/rarecases/"):
        assert any(path.startswith(prefix) for path in schema["paths"]), prefix


def test_api_docs_are_served_from_local_static(client, patient):
    client.force_login(patient)
    body = client.get(reverse("api-docs")).content.decode()
    assert "swagger-ui" in body
    assert "cdn" not in body.lower()
    assert "unpkg" not in body.lower()
