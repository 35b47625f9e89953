"""Content-Security-Policy (docs/security.md "Browser hardening"): every page carries the header, script-src has
no 'unsafe-inline' (nor 'unsafe-eval'), and our pages hold no inline script, inline event handler or style=""
attribute the policy would block. The pages are every parameterless GET route of the URL resolver, as an
anonymous visitor, a patient and a doctor, plus the pages that used to carry inline code."""
from __future__ import annotations

import re
from datetime import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from consult.models import WeeklySchedule
from tests.consult.factories import AppointmentFactory
from tests.factories import DoctorFactory, PatientFactory, give_totp

# The API documentation pages relax style-src (checked on their own below).
SKIP_PREFIXES = ("admin/", "i18n/", "static/", "api/schema/", "api/docs/", "api/redoc/")
SKIP_NAMES = {"account_logout"}


def parameterless_routes() -> list[str]:
    found: list[str] = []

    def walk(patterns, prefix: str) -> None:  # type: ignore[no-untyped-def]
        for p in patterns:
            route = str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + route)
            elif isinstance(p, URLPattern):
                full = prefix + route
                if "<" in full or "(" in full or "^" in full or full.startswith(SKIP_PREFIXES) \
                        or p.name in SKIP_NAMES:
                    continue
                found.append("/" + full)

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


def directives(header: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


class InlineCode(HTMLParser):
    """Collects what a strict CSP blocks in a page: inline scripts (not JSON data blocks), on* handler
    attributes, javascript: URLs, <style> blocks and style="" attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "style":
            self.found.append("inline <style>")
        if tag == "script" and not names.get("src") and names.get("type") not in ("application/json",
                                                                                  "application/ld+json"):
            self.found.append(f"inline <script> {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name == "style":
                self.found.append(f'<{tag} style="{value}">')
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:…>")


def assert_strict(response, url: str) -> None:  # type: ignore[no-untyped-def]
    header = response.get("Content-Security-Policy")
    assert header, f"{url}: no Content-Security-Policy header"
    policy = directives(header)
    script_src = policy.get("script-src", policy.get("default-src"))
    assert script_src is not None, f"{url}: no script-src"
    assert "'unsafe-inline'" not in script_src, f"{url}: {script_src}"
    assert "'unsafe-eval'" not in script_src, f"{url}: {script_src}"
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    if "text/html" in response.get("Content-Type", ""):
        parser = InlineCode()
        parser.feed(response.content.decode())
        assert parser.found == [], f"{url}: {parser.found}"
        assert "'unsafe-inline'" not in policy["style-src"], f"{url}: {policy['style-src']}"


ROUTES = parameterless_routes()


def test_the_route_sample_is_the_resolver_s():
    # The sample is read from the URL resolver: it holds the pages that used to carry inline code.
    assert "/doctor/schedule/" in ROUTES
    assert "/records/" in ROUTES
    assert "/accounts/login/" in ROUTES
    assert len(ROUTES) > 30


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["anonymous", "patient", "doctor"])
def test_every_parameterless_page_has_a_strict_csp(client, role):
    # Given a visitor of each kind
    if role == "patient":
        client.force_login(PatientFactory())
    elif role == "doctor":
        doctor = DoctorFactory()
        give_totp(doctor)
        client.force_login(doctor)
    checked = 0
    for url in ROUTES:
        # When they open each page (whatever it answers: a page, a redirect, a refusal)
        response = client.get(url)
        # Then the answer carries the strict policy, and an HTML page holds nothing it would block
        assert_strict(response, url)
        checked += 1
    assert checked == len(ROUTES)


@pytest.mark.django_db
def test_pages_that_had_inline_code_are_strict(client):
    # Given a doctor with an appointment (the encounter form held an inline script, the schedule an onsubmit,
    # the console a <style> block)
    appointment = AppointmentFactory()
    WeeklySchedule.objects.create(doctor=appointment.doctor, weekday=0, start_time=time(9), end_time=time(12))
    give_totp(appointment.doctor)
    client.force_login(appointment.doctor)
    for url in (f"/appointments/{appointment.pk}/encounter/", "/doctor/schedule/", "/doctor/console/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict(response, url)
    # Then the behaviour moved to static files that the pages load from our origin
    encounter = client.get(f"/appointments/{appointment.pk}/encounter/").content.decode()
    assert re.search(r'<script src="/static/consult/encounter_form\.js"', encounter)
    assert re.search(r'<script src="/static/js/site\.js" defer>', encounter)
    schedule = client.get("/doctor/schedule/").content.decode()
    assert re.search(r'<form method="post" class="inline" data-confirm="[^"]+">', schedule)


@pytest.mark.django_db
def test_the_api_documentation_relaxes_styles_only(client):
    for url in ("/api/docs/", "/api/redoc/"):
        response = client.get(url)
        policy = directives(response["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"], url
        assert "'unsafe-inline'" in policy["style-src"], url
        assert "<script>" not in response.content.decode(), url


def test_the_inline_code_detector_finds_what_it_looks_for():
    # The detector above must be able to fail: each kind of inline code is found.
    parser = InlineCode()
    parser.feed('<script>alert(1)</script><form onsubmit="x()"></form><div style="color:red"></div>'
                '<a href="javascript:x()">x</a><script type="application/json">{}</script><script src="/a.js"></script>'
                '<style>p{}</style><link rel="stylesheet" href="/a.css">')
    assert len(parser.found) == 5


def test_no_template_of_ours_holds_inline_code():
    # Every template of our apps and of templates/, read as written (so pages no test opens are covered too; a
    # template tag inside an attribute is blanked first).
    root = Path(__file__).resolve().parent.parent.parent
    templates = [p for p in root.glob("*/templates/**/*.html") if p.parts[len(root.parts)] not in (".venv", "var")]
    templates += list((root / "templates").glob("**/*.html"))
    assert len(templates) > 50
    found = {}
    for path in templates:
        parser = InlineCode()
        parser.feed(re.sub(r"\{%.*?%\}|\{\{.*?\}\}", "x", re.sub(r"\{#.*?#\}", "", path.read_text())))
        if parser.found:
            found[str(path.relative_to(root))] = parser.found
    assert found == {}
