"""End to end, in a real browser, in English and in Chinese: a visitor finds a cardiologist from the front door,
signs up, picks a day and a time in the slot picker, pays the fee with the default provider and sees the
appointment booked; a paid appointment cancelled before the refund cut-off is refunded in full; an unpaid hold is
released after its time and the patient on the waitlist books it."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from consult.models import Appointment, AppointmentPayment, AppointmentRefund
from tests.consult.factories import DepartmentFactory, SlotFactory
from tests.e2e.conftest import mail_link
from tests.factories import DoctorFactory, PatientFactory

PASSWORD = "a-Long-passphrase-42"
TEXT = {
    "en": {"book": "Book", "status_held": "Awaiting payment", "status_booked": "Booked", "pay": "Pay CNY 60.00",
           "paid": "CNY 60.00 · Paid", "cancel": "Cancel", "cancel_button": "Cancel the appointment",
           "cancelled": "Cancelled", "refund": "Cancelled before the refund cut-off: full refund · CNY 60.00",
           "confirm": "Confirm", "afternoon": "Afternoon 1", "book_it": "Book it"},
    "zh-CN": {"book": "预约", "status_held": "待付款", "status_booked": "已预约", "pay": "支付 60.00 元",
              "paid": "60.00 元 · 已付款", "cancel": "取消", "cancel_button": "取消预约", "cancelled": "已取消",
              "refund": "在退款截止时间前取消：全额退款 · 60.00 元", "confirm": "确认", "afternoon": "下午 1", "book_it": "立即预约"},
}


def _cardiologist():  # type: ignore[no-untyped-def]
    cardio = DepartmentFactory(code="cardiology", name_en="Cardiology", name_zh="心内科")
    DoctorFactory(full_name="Dr Skin Other").doctor_profile  # noqa: B018 - another doctor, no department
    doctor = DoctorFactory(full_name="Dr Heart Wang")
    doctor.doctor_profile.department = cardio
    doctor.doctor_profile.fee = Decimal("60.00")
    doctor.doctor_profile.specialties = "Hypertension, arrhythmia"
    doctor.doctor_profile.save()
    return doctor


def _at(day, hour: int) -> datetime:  # type: ignore[no-untyped-def]
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_visitor_finds_a_cardiologist_signs_up_picks_a_time_and_pays(new_page, live_server, login_as, locale):
    t = TEXT[locale]
    # Given a cardiologist (fee CNY 60) with a morning slot in 2 days and a morning and an afternoon one in 3 days
    doctor = _cardiologist()
    d2, d3 = timezone.localdate() + timedelta(days=2), timezone.localdate() + timedelta(days=3)
    SlotFactory(doctor=doctor, start=_at(d2, 9), end=_at(d2, 9) + timedelta(minutes=20))
    SlotFactory(doctor=doctor, start=_at(d3, 10), end=_at(d3, 10) + timedelta(minutes=20))
    chosen = SlotFactory(doctor=doctor, start=_at(d3, 15), end=_at(d3, 15) + timedelta(minutes=20))
    page = new_page(locale=locale)

    # When a visitor opens the front door and finds the cardiologist under the department
    page.goto("/")
    expect(page.get_by_test_id("front-title")).to_be_visible()
    department = page.get_by_test_id("front-department").filter(has_text="心内科" if locale != "en" else "Cardiology")
    with page.expect_navigation():
        department.get_by_role("link", name="Dr Heart Wang").click()
    doctor_url = page.url

    # ... signs up, confirms the e-mail and logs in
    page.goto("/accounts/signup/")
    email = f"visitor-{locale.lower()}@example.test"
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    with page.expect_navigation():
        page.locator("form:has(input[name=password2]) [type=submit]").first.click()
    page.goto(mail_link(mail.outbox[-1]))
    with page.expect_navigation():
        page.locator("form[method=post] [type=submit]", has_text=t["confirm"]).first.click()
    from accounts.models import User

    login_as(page, live_server, User.objects.get(email=email), PASSWORD)

    # ... picks the day in the strip (htmx swaps the times in), then the afternoon time
    page.goto(doctor_url)
    strip = page.get_by_test_id("day-strip")
    day_link = strip.locator(f"a[data-day='{d3.isoformat()}']")
    expect(day_link).to_contain_text(t["afternoon"])
    day_link.click()
    expect(day_link).to_have_attribute("aria-current", "date")
    expect(page.locator(f"input[name=slot][value='{chosen.pk}']")).to_be_visible()
    page.locator(f"input[name=slot][value='{chosen.pk}']").check()
    page.fill("input[name=reason]", "Palpitations")
    with page.expect_navigation():
        page.get_by_role("button", name=t["book"], exact=True).click()

    # Then the time is held unpaid; paying with the default (offline) provider books it
    expect(page.get_by_test_id("status")).to_have_text(t["status_held"])
    with page.expect_navigation():
        page.get_by_role("button", name=t["pay"]).click()
    expect(page.get_by_test_id("status")).to_have_text(t["status_booked"])
    expect(page.get_by_test_id("payment")).to_have_text(t["paid"])
    appointment = Appointment.objects.get(patient__email=email)
    assert (appointment.slot_id, appointment.status, appointment.fee) == (chosen.pk, "booked", Decimal("60.00"))
    assert list(AppointmentPayment.objects.values_list("provider", "amount")) == [("offline", Decimal("60.00"))]


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_cancellation_before_the_cutoff_is_refunded(new_page, live_server, login_as, locale):
    from consult.services.booking import appointment_book
    from consult.services.holds import appointment_pay

    t = TEXT[locale]
    # Given a paid appointment three days ahead (the refund cut-off is 24 hours)
    doctor = _cardiologist()
    patient = PatientFactory(full_name="Test Patient Zhao")
    day = timezone.localdate() + timedelta(days=3)
    slot = SlotFactory(doctor=doctor, start=_at(day, 10), end=_at(day, 10) + timedelta(minutes=20))
    appointment = appointment_book(booked_by=patient, patient=patient, slot_id=slot.pk, reason="Chest pain")
    appointment_pay(user=patient, appointment_id=appointment.pk, idempotency_key="e2e-refund-key")
    page = new_page(locale=locale)
    login_as(page, live_server, patient)

    # When the patient cancels it on the appointment page
    page.goto(f"/appointments/{appointment.pk}/")
    page.locator("summary", has_text=t["cancel"]).last.click()
    with page.expect_navigation():
        page.get_by_role("button", name=t["cancel_button"]).click()

    # Then it is cancelled and the full fee is refunded, as a recorded event shown on the page
    expect(page.get_by_test_id("status")).to_have_text(t["cancelled"])
    expect(page.get_by_test_id("refund")).to_contain_text(t["refund"])
    assert list(AppointmentRefund.objects.values_list("appointment", "rule", "amount")) == [
        (appointment.pk, "before_cutoff", Decimal("60.00"))]
    assert AppointmentPayment.objects.get().status == "refunded"


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_unpaid_hold_is_released_and_offered_to_the_waitlist(new_page, live_server, login_as, locale):
    from consult.services.booking import appointment_book
    from consult.services.holds import appointment_holds_release
    from consult.services.waitlist import waitlist_join

    t = TEXT[locale]
    # Given a slot held unpaid by one patient, and another patient on the doctor's waitlist
    doctor = _cardiologist()
    day = timezone.localdate() + timedelta(days=3)
    slot = SlotFactory(doctor=doctor, start=_at(day, 10), end=_at(day, 10) + timedelta(minutes=20))
    holder, waiting = PatientFactory(), PatientFactory(full_name="Test Patient Qian")
    held = appointment_book(booked_by=holder, patient=holder, slot_id=slot.pk, reason="Chest pain")
    waitlist_join(user=waiting, patient=waiting, doctor_id=doctor.pk, reason="Any time this week")

    # When the periodic release runs after the hold's end
    assert appointment_holds_release(now=held.hold_expires_at) == 1

    # Then the waiting patient sees the offer, books the slot and pays for it
    page = new_page(locale=locale)
    login_as(page, live_server, waiting)
    page.goto("/me/waitlist/")
    with page.expect_navigation():
        page.get_by_role("button", name=t["book_it"]).click()
    expect(page.get_by_test_id("status")).to_have_text(t["status_held"])
    with page.expect_navigation():
        page.get_by_role("button", name=t["pay"]).click()
    expect(page.get_by_test_id("status")).to_have_text(t["status_booked"])
    held.refresh_from_db()
    assert (held.status, held.cancel_reason) == ("cancelled", "payment_timeout")
    assert Appointment.objects.get(slot=slot, status="booked").patient == waiting
