"""End to end, in a real browser, in English and in Chinese: a patient types symptoms on "Which department should
I see?", sees the departments and the bookable doctors of the first one (loaded by htmx), books one of them;
the doctor then sees the triage answer in the encounter page. An emergency text shows the emergency advice and
nothing to book."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from consult.models import Appointment
from knowledge.models import TriageRecord
from tests.consult.factories import DepartmentFactory, SlotFactory
from tests.factories import DoctorFactory, PatientFactory

CASES = {
    "en": ("Heartburn and acid reflux after meals for two weeks", "Gastroenterology", "I vomited blood this morning",
           "120"),
    "zh-hans": ("饭后烧心反酸两周了", "消化内科", "今天早上吐血了", "120"),
}


@pytest.mark.parametrize("locale", ["en", "zh-hans"])
def test_symptoms_to_department_to_booking_and_emergency(new_page, live_server, login_as, locale):
    text, department_name, emergency_text, number = CASES[locale]
    # Given a gastroenterologist with a free slot, and a dermatologist (another department) with one
    gastro = DoctorFactory(full_name="Dr Test Gao")
    gastro.doctor_profile.department = DepartmentFactory(code="gastroenterology", name_en="Gastroenterology",
                                                         name_zh="消化内科")
    gastro.doctor_profile.save()
    slot = SlotFactory(doctor=gastro)
    derm = DoctorFactory(full_name="Dr Test Fu")
    derm.doctor_profile.department = DepartmentFactory(code="dermatology", name_en="Dermatology", name_zh="皮肤科")
    derm.doctor_profile.save()
    SlotFactory(doctor=derm)
    patient = PatientFactory(full_name="Test Patient Qian")

    # When the patient opens triage from the doctors directory and types the symptoms
    me = new_page(locale=locale)
    login_as(me, live_server, patient)
    me.goto("/doctors/")
    me.get_by_test_id("triage-link").click()
    me.fill("#id_text", text)
    me.fill("#id_age", "35")
    me.select_option("#id_sex", "female")
    with me.expect_navigation():
        me.locator("#triage-form button[type=submit]").click()

    # Then the department and its bookable doctor are shown (not the other department's)
    answer = me.locator("#triage-answer")
    expect(answer).to_have_attribute("data-urgency", "routine")
    expect(answer.locator("li[data-code=gastroenterology]")).to_contain_text(department_name)
    doctors = me.get_by_test_id("triage-doctor")
    expect(doctors.first).to_contain_text("Dr Test Gao")
    expect(me.locator("#triage-doctors")).not_to_contain_text("Dr Test Fu")

    # When the patient books that doctor
    doctors.first.get_by_role("link").click()
    me.locator(f"input[name=slot][value='{slot.pk}']").check()
    me.fill("input[name=reason]", text)
    with me.expect_navigation():
        me.locator("form[action$='/book/'] button[type=submit]").click()
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.doctor == gastro
    assert TriageRecord.objects.get(patient=patient).departments[0] == "gastroenterology"

    # Then the doctor sees the patient's triage answer in the encounter page
    doc = new_page(locale=locale)
    login_as(doc, live_server, gastro)
    doc.goto(f"/appointments/{appointment.pk}/encounter/")
    expect(doc.get_by_test_id("triage-records")).to_contain_text(department_name)

    # When an emergency is typed, the emergency advice is shown and nothing can be booked
    me.goto("/triage/")
    me.fill("#id_text", emergency_text)
    me.fill("#id_age", "50")
    me.select_option("#id_sex", "male")
    with me.expect_navigation():
        me.locator("#triage-form button[type=submit]").click()
    expect(me.locator("#triage-answer")).to_have_attribute("data-urgency", "emergency")
    expect(me.locator("#triage-answer h2")).to_contain_text(number)
    expect(me.locator("#triage-doctors")).to_have_count(0)
    expect(me.get_by_test_id("triage-doctor")).to_have_count(0)
