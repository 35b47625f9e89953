"""End to end, in a real browser: a doctor prescribes a drug the patient is allergic to, sees the block, overrides
with a reason; the patient sees the prescription, receives a due reminder, marks it taken and sees adherence change."""
from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Notification
from records.models import DoseReminder, Prescription
from records.services.records import allergy_add
from records.services.reminders import reminders_send_due
from tests.factories import DoctorFactory, PatientFactory
from tests.records.factories import DrugFactory, EncounterFactory

REASON = "Childhood rash only; negative skin test in 2024, first dose observed"


def test_allergy_override_prescription_reminder_taken_adherence(new_page, live_server, login_as):
    # Given a patient allergic to penicillin, seen by a doctor today, and amoxicillin in the catalogue
    patient, doctor = PatientFactory(time_zone="Asia/Shanghai"), DoctorFactory()
    encounter = EncounterFactory(patient=patient, doctor=doctor)
    allergy_add(actor=doctor, patient=patient, substance="penicillin", reaction="hives", severity="severe")
    drug = DrugFactory(generic_name_en="Amoxicillin", strength="500 mg", active_ingredients=["amoxicillin"])

    # When the doctor prescribes amoxicillin in the encounter
    desk = new_page()
    login_as(desk, live_server, doctor)
    desk.goto(f"/encounters/{encounter.pk}/prescribe/")
    expect(desk.get_by_test_id("prescribe-allergies")).to_contain_text("penicillin")
    desk.select_option("select[name=item-0-drug]", str(drug.pk))
    desk.fill("input[name=item-0-dose]", "500")
    desk.select_option("select[name=item-0-dose_unit]", "mg")
    desk.select_option("select[name=item-0-frequency]", "twice_daily")
    desk.fill("input[name=item-0-times]", "08:00, 20:00")
    desk.fill("input[name=item-0-duration_days]", "5")
    desk.fill("input[name=item-0-quantity]", "1")
    with desk.expect_navigation():
        desk.get_by_test_id("prescribe-submit").click()

    # Then it is blocked, naming the allergy, and nothing is written
    expect(desk.get_by_test_id("allergy-block")).to_contain_text("penicillin")
    assert Prescription.objects.count() == 0

    # When the doctor overrides with a written reason (the rest of the form is kept)
    desk.get_by_test_id("override-reason-0").fill(REASON)
    with desk.expect_navigation():
        desk.get_by_test_id("prescribe-submit").click()
    expect(desk.get_by_test_id("override")).to_contain_text(REASON)
    rx = Prescription.objects.get(patient=patient)
    assert rx.items.get().allergy_override_reason == REASON

    # Then the patient sees the prescription
    home = new_page()
    login_as(home, live_server, patient)
    home.goto("/prescriptions/")
    expect(home.get_by_test_id("prescriptions")).to_contain_text("Amoxicillin")
    home.goto("/medication/")
    expect(home.get_by_test_id("adherence")).to_contain_text("—")

    # When a dose falls due and the periodic task runs (twice: a second beat sends nothing more)
    dose = DoseReminder.objects.filter(item__prescription=rx).order_by("scheduled_at").first()
    dose.scheduled_at = timezone.now() - dt.timedelta(minutes=5)
    dose.save(update_fields=["scheduled_at"])
    assert reminders_send_due() == 1
    assert reminders_send_due() == 0
    assert Notification.objects.filter(user=patient, kind="dose_reminder").count() == 1

    # Then the patient opens the reminder from their notifications and marks the dose taken
    home.goto(reverse("notifications"))
    expect(home.get_by_text("Time for your medicine: Amoxicillin 500 mg")).to_be_visible()
    home.locator(f"a[href='/medication/doses/{dose.pk}/']").first.click()
    expect(home.get_by_test_id("dose-status")).to_have_text("Reminded")
    with home.expect_navigation():
        home.get_by_test_id(f"dose-taken-{dose.pk}").click()

    # And adherence shows the taken dose
    expect(home.get_by_test_id("adherence")).to_contain_text("100%")
    dose.refresh_from_db()
    assert dose.status == "taken"
