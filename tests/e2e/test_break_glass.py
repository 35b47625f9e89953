"""In a real browser, in English and in Chinese: a doctor without a care relation opens a patient's record through
break-glass with a reason; the record opens read-only with a warning; the patient then sees that access, with the
reason, on their "who accessed my data" page."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import AuditEvent
from records.services.records import allergy_add
from tests.factories import DoctorFactory, PatientFactory

HEADINGS = {"en": ("Emergency access to a record", "Emergency accesses"), "zh-Hans": ("紧急访问健康档案", "紧急访问记录")}


@pytest.mark.parametrize("locale", ["en", "zh-Hans"])
def test_break_glass_with_a_reason_is_shown_to_the_patient(new_page, live_server, login_as, locale):
    # Given a patient with a recorded allergy and a doctor who has never seen them
    patient = PatientFactory(full_name="Glass Patient")
    doctor = DoctorFactory(full_name="Dr Emergency")
    allergy_add(actor=patient, patient=patient, substance="latex", reaction="anaphylaxis", severity="severe")
    reason = "Unconscious on arrival in the emergency room, no relatives"

    # When the doctor finds no record, then opens it through emergency access with a reason
    desk = new_page(locale=locale)
    login_as(desk, live_server, doctor)
    assert desk.goto(f"/records/{patient.pk}/").status == 404
    desk.goto("/records/")
    desk.get_by_test_id("emergency-access-link").click()
    expect(desk.locator("h1")).to_have_text(HEADINGS[locale][0])
    desk.fill("input[name=patient]", str(patient.pk))
    desk.fill("textarea[name=reason]", reason)
    desk.check("input[name=confirm]")
    with desk.expect_navigation():
        desk.locator("form:has(textarea[name=reason]) button[type=submit]").click()

    # Then the record opens read-only, with the warning, and the allergy is there
    assert desk.url.endswith(f"/records/{patient.pk}/")
    expect(desk.get_by_test_id("break-glass-banner")).to_be_visible()
    expect(desk.get_by_test_id("allergies")).to_contain_text("latex")
    expect(desk.locator("form[action$='/allergies/']")).to_have_count(0)
    assert AuditEvent.objects.filter(action="break_glass", actor=doctor, subject=patient).count() == 1

    # And the patient sees who opened the record, when, and why
    home = new_page(locale=locale)
    login_as(home, live_server, patient)
    home.goto("/me/access-log/")
    section = home.locator("#emergency-accesses")
    expect(section.locator("h2")).to_have_text(HEADINGS[locale][1])
    expect(section.locator("tr.break-glass")).to_contain_text("Dr Emergency")
    expect(section.locator("tr.break-glass")).to_contain_text(reason)
