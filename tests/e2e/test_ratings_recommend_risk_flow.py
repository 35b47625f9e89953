"""In a real browser, in English and in Chinese: a patient rates a finished consultation, sees recommended doctors
with reasons on the doctors (booking) page, and sees the health-risk section with its inputs on their record."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from consult.models import Appointment, AppointmentStatus, Rating
from tests.consult.factories import AppointmentFactory, SlotFactory
from tests.factories import DoctorFactory, PatientFactory

TEXT = {
    "en": ("Rate this appointment", "Free in the next 7 days.", "Framingham general cardiovascular risk (10 years)",
           "total cholesterol (laboratory result)"),
    "zh-Hans": ("评价此次就诊", "未来 7 天内有号。", "Framingham 总体心血管病 10 年风险", "总胆固醇（化验结果）"),
}


@pytest.mark.parametrize("locale", ["en", "zh-Hans"])
def test_patient_rates_sees_recommendations_and_risk(new_page, live_server, login_as, locale):
    # Given a patient (born 1970) with a completed appointment, and a doctor with a free time this week
    patient = PatientFactory(full_name="Rating Patient")
    patient.patient_profile.date_of_birth = dt.date(1970, 5, 1)
    patient.patient_profile.save()
    doctor = DoctorFactory(full_name="Dr Rated")
    appointment = AppointmentFactory(patient=patient, slot=SlotFactory(
        doctor=doctor, start=timezone.now() - dt.timedelta(days=2)))
    Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.COMPLETED)
    SlotFactory(doctor=DoctorFactory(full_name="Dr Free"), start=timezone.now() + dt.timedelta(days=3))
    rate, free, framingham, missing = TEXT[locale]

    page = new_page(locale=locale)
    login_as(page, live_server, patient)
    # When they rate the finished appointment with 4 stars and a comment
    page.goto(f"/appointments/{appointment.pk}/")
    page.check("input[name=stars][value='4']")
    page.fill("textarea[name=comment]", "Explained everything")
    with page.expect_navigation():
        page.get_by_role("button", name=rate).click()
    rating = Rating.objects.get(appointment=appointment)
    assert (rating.stars, rating.comment, rating.moderation) == (4, "Explained everything", "pending")
    expect(page.get_by_test_id("rating")).to_contain_text("4/5")

    # Then the doctors page recommends doctors with reasons
    page.goto("/doctors/")
    expect(page.get_by_test_id("recommended")).to_contain_text(free)

    # And the record shows the risk section with the inputs it lacks named
    page.goto(f"/records/{patient.pk}/")
    expect(page.get_by_test_id("risk-framingham")).to_contain_text(framingham)
    expect(page.get_by_test_id("risk-framingham")).to_contain_text(missing)
