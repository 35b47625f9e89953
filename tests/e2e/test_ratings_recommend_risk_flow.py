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
           "smoking status", "Answer the risk questions", "Save answers", "Band"),
    "zh-Hans": ("评价此次就诊", "未来 7 天内有号。", "Framingham 总体心血管病 10 年风险", "吸烟情况", "回答风险问题",
                "保存回答", "分级"),
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
    # and laboratory results and blood pressure on the record (no smoking answer yet)
    from records.services.records import observation_record

    patient.patient_profile.sex = "male"
    patient.patient_profile.save()
    for kind, value, value2 in (("blood_pressure", "136", "84"), ("total_cholesterol", "5.4", None),
                                ("hdl_cholesterol", "1.2", None)):
        observation_record(actor=patient, patient=patient, kind=kind, value=value, value2=value2)
    rate, free, framingham, missing, questions, save, band = TEXT[locale]

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

    # And the record shows the risk section with the input it lacks named
    page.goto(f"/records/{patient.pk}/")
    expect(page.get_by_test_id("risk-framingham")).to_contain_text(framingham)
    expect(page.get_by_test_id("risk-missing").first).to_contain_text(missing)
    # When they answer the smoking question, the 10-year risk appears with its band and the inputs used
    page.get_by_text(questions).click()
    page.select_option("select[name=smoking]", "never")
    with page.expect_navigation():
        page.get_by_role("button", name=save).click()
    section = page.get_by_test_id("risk-framingham")
    expect(section.get_by_test_id("risk-value")).to_contain_text("%")
    expect(section).to_contain_text(band)
    expect(section.get_by_test_id("risk-inputs")).to_contain_text("5.40 mmol/L")
