"""End to end across two platforms: platform A is a REAL separate instance (gunicorn + Celery worker, own
database); this test's live_server is platform B. A doctor on A confirms a rare case from an encounter,
sees the de-identified preview and shares it; a doctor on B finds it by ICD-10 code and cites it in a
consultation; the citation is reported back to A."""
from __future__ import annotations

import json
import time
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from consult.models import Appointment, Slot
from rarecases import federation_launch as F
from rarecases.models import Case, CaseCitation, OutboxMessage, PlatformProfile
from rarecases.services.federation import peer_create, platform_profile
from tests.factories import DoctorFactory, PatientFactory

SECRET = "e2e-shared-secret-between-a-and-b"


@pytest.fixture
def platform_a(tmp_path):  # type: ignore[no-untyped-def]
    # Its own database name (…_e2e_a), so it can never collide with the federation tests' instances.
    [a] = F.plan(n=1, base_port=F.free_base_port(1, 18401), root=tmp_path / "fed", db_suffix="e2e")
    try:
        F.create_databases([a])
        F.start_web(a)
        F.start_worker(a, concurrency=2)
        F.wait_ready(a)
        yield a
    finally:
        F.stop_all([a])
        F.drop_databases([a])


def _admin_post(inst: F.Instance, path: str, body: dict) -> dict:
    req = urllib.request.Request(f"{inst.url}{path}", data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Token {inst.tokens['admin_token']}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 - loopback
        return json.loads(resp.read())


def _doctor_get(inst: F.Instance, path: str) -> dict:
    req = urllib.request.Request(f"{inst.url}{path}", headers={"Authorization": f"Token {inst.tokens['doctor_token']}"})
    with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - loopback
        return json.loads(resp.read())


def test_confirm_on_a_preview_share_then_find_and_cite_on_b(platform_a, new_page, live_server, login_as):  # type: ignore[no-untyped-def]
    a = platform_a
    # Given B (this live server) and A know each other with a shared key, and A has a rare-code encounter
    profile = platform_profile()
    PlatformProfile.objects.filter(pk=profile.pk).update(instance_id="platform-b", name="Platform B")
    peer_create(name="Platform A", instance_id="platform-a", url=a.url, key_id="fed-a-b", secret=SECRET, tags=["all"])
    _admin_post(a, "/api/rarecases/setup/", {
        "instance_id": "platform-a", "name": "Platform A", "feature_tags": ["chapter:E"],
        "peers": [{"name": "Platform B", "instance_id": "platform-b", "url": live_server.url, "key_id": "fed-a-b",
                   "secret": SECRET, "tags": ["chapter:E"]}]})
    out = F._run(["rarecases_synth", "--cases", "1", "--code", "E70.0", "--encounters-only"], a).stdout
    [encounter_id] = json.loads(out.strip().splitlines()[-1])["encounters"]

    # When the doctor on A reviews the candidate: the preview shows exactly what leaves, without identifiers
    pa = new_page()
    pa.goto(f"{a.url}/accounts/login/")
    pa.fill("input[name=login]", "doctor@fed.medplatform.test")
    pa.fill("input[name=password]", "demo-pass-2026")
    with pa.expect_navigation():
        pa.locator("form:has(input[name=password]) [type=submit]").first.click()
    pa.goto(f"{a.url}/rarecases/encounters/{encounter_id}/confirm/")
    preview = pa.get_by_test_id("preview-json")
    expect(preview).to_contain_text('"code": "E70.0"')
    expect(preview).to_contain_text('"age_band"')
    assert "Synthetic Patient" not in preview.inner_text()
    assert "@fed.medplatform.test" not in preview.inner_text()
    # ... an identifier typed into the findings is refused, then removed, and the case confirmed and shared
    pa.fill("#id_findings", "Phe 1200 umol/L; call mother on 13812345678")
    with pa.expect_navigation():
        pa.get_by_test_id("confirm-case").click()
    expect(pa.get_by_test_id("deid-problems")).to_contain_text("phone")
    expect(pa.get_by_test_id("confirm-case")).to_be_disabled()
    pa.fill("#id_findings", "Phe 1200 umol/L; musty odour.")
    with pa.expect_navigation():
        pa.get_by_role("button", name="Update preview").click()
    expect(pa.get_by_test_id("preview-json")).to_contain_text("musty odour")
    with pa.expect_navigation():
        pa.get_by_test_id("confirm-case").click()
    expect(pa.get_by_test_id("case-title")).to_contain_text("E70.0")
    with pa.expect_navigation():
        pa.get_by_test_id("share").click()
    expect(pa.get_by_text("Queued for: platform-b")).to_be_visible()

    # Then the case arrives on B through A's worker (signed, verified, stored once)
    deadline = time.time() + 90
    while time.time() < deadline and not Case.objects.filter(origin="platform-a").exists():
        time.sleep(0.5)
    case = Case.objects.get(origin="platform-a")
    assert case.findings == "Phe 1200 umol/L; musty odour."

    # When a doctor on B finds it by ICD-10 code and cites it in a consultation
    doctor = DoctorFactory(full_name="Dr Test Bai")
    patient = PatientFactory()
    start = timezone.now() - timedelta(hours=1)
    slot = Slot.objects.create(doctor=doctor, start=start, end=start + timedelta(minutes=20))
    appointment = Appointment.objects.create(slot=slot, patient=patient, booked_by=patient, doctor=doctor,
                                             start=start, end=slot.end, kind="online", status="completed")
    pb = new_page()
    login_as(pb, live_server, doctor)
    pb.goto("/rarecases/?code=E70.0")
    with pb.expect_navigation():
        pb.get_by_test_id("case-link").first.click()
    pb.select_option("#id_appointment", str(appointment.pk))
    with pb.expect_navigation():
        pb.get_by_test_id("cite").click()
    expect(pb.get_by_text("The case is cited in the consultation.")).to_be_visible()
    assert CaseCitation.objects.filter(case=case, appointment=appointment).count() == 1

    # And the citation is reported back to A, where it counts in the case's propagation
    assert OutboxMessage.objects.filter(kind="usage", payload__kind="cite").count() == 1
    deadline = time.time() + 60
    counts: dict = {}
    while time.time() < deadline:
        [on_a] = _doctor_get(a, "/api/rarecases/cases/?code=E70.0")["results"]
        counts = _doctor_get(a, f"/api/rarecases/cases/{on_a['id']}/")["stats"]["counts"]
        if counts.get("remote_use"):
            break
        time.sleep(1)
    assert counts.get("remote_use") == 1
