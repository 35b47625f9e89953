"""Fees on the pages and the API: book → held unpaid → pay → booked; the console and the admin say paid/unpaid."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from consult.models import Appointment, AppointmentPayment
from tests.consult.factories import SlotFactory
from tests.factories import DoctorFactory, give_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def fee_doctor():  # type: ignore[no-untyped-def]
    doctor = DoctorFactory()
    doctor.doctor_profile.fee = Decimal("60.00")
    doctor.doctor_profile.save(update_fields=["fee"])
    give_totp(doctor)
    return doctor


def test_book_hold_and_pay_through_the_pages(client, patient, fee_doctor):
    slot = SlotFactory(doctor=fee_doctor, start=timezone.now() + timedelta(hours=3))
    client.force_login(patient)

    response = client.post(reverse("consult:book", args=[fee_doctor.pk]), {"slot": slot.pk, "reason": "Cough"})
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert appointment.status == "pending_payment"
    page = client.get(reverse("consult:appointment_detail", args=[appointment.pk])).content.decode()
    assert "CNY 60.00 · Unpaid" in page
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page).group(1)

    # A double submit of the same form: one payment
    for _ in range(2):
        assert client.post(reverse("consult:appointment_pay", args=[appointment.pk]),
                           {"idempotency_key": key}).status_code == 302
    appointment.refresh_from_db()
    assert (appointment.status, AppointmentPayment.objects.count()) == ("booked", 1)
    page = client.get(reverse("consult:appointment_detail", args=[appointment.pk])).content.decode()
    assert "CNY 60.00 · Paid" in page
    assert 'data-testid="pay"' not in page


def test_pay_page_of_someone_else_is_not_found(client, patient, fee_doctor):
    from tests.factories import PatientFactory

    other = PatientFactory()
    slot = SlotFactory(doctor=fee_doctor)
    client.force_login(other)
    client.post(reverse("consult:book", args=[fee_doctor.pk]), {"slot": slot.pk, "reason": "Cough"})
    appointment = Appointment.objects.get()
    client.force_login(patient)
    response = client.post(reverse("consult:appointment_pay", args=[appointment.pk]), {"idempotency_key": "a" * 32})
    assert response.status_code == 404
    assert AppointmentPayment.objects.count() == 0


def test_pay_api_with_an_idempotency_key_header(api_client, patient, fee_doctor):
    slot = SlotFactory(doctor=fee_doctor)
    api_client.force_authenticate(patient)
    booked = api_client.post(reverse("api-consult-appointments"), {"slot": slot.pk, "reason": "Cough"}, format="json")
    assert booked.status_code == 201
    assert (booked.json()["status"], booked.json()["fee"], booked.json()["paid_at"]) == (
        "pending_payment", "60.00", None)
    url = reverse("api-consult-appointment-pay", args=[booked.json()["id"]])
    first = api_client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="retry-key-1")
    again = api_client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="retry-key-1")
    other = api_client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="another-key")
    assert (first.status_code, again.status_code, other.status_code) == (200, 200, 409)
    assert first.json()["status"] == again.json()["status"] == "booked"
    assert AppointmentPayment.objects.count() == 1


def test_console_and_admin_show_paid_and_unpaid(client, patient, fee_doctor, admin_user):
    from consult.services.booking import appointment_book
    from consult.services.holds import appointment_pay

    day = timezone.localdate() + timedelta(days=2)
    start = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time())) + timedelta(hours=9)
    unpaid = appointment_book(booked_by=patient, patient=patient, reason="Cough",
                              slot_id=SlotFactory(doctor=fee_doctor, start=start).pk)
    from tests.factories import PatientFactory

    other = PatientFactory()
    paid = appointment_book(booked_by=other, patient=other, reason="Cough",
                            slot_id=SlotFactory(doctor=fee_doctor, start=start + timedelta(minutes=30)).pk)
    appointment_pay(user=other, appointment_id=paid.pk, idempotency_key="console-key")
    client.force_login(fee_doctor)
    console = client.get(reverse("consult:console"), {"day": day.isoformat()})
    assert console.status_code == 200
    html = console.content.decode()
    assert html.count("Unpaid") == 1
    assert html.count("· Paid") == 1
    give_totp(admin_user)
    client.force_login(admin_user)
    listing = client.get(reverse("admin:consult_appointment_changelist") + "?paid=unpaid")
    assert listing.status_code == 200
    listing = listing.content.decode()
    assert "Unpaid" in listing
    assert f"/{unpaid.pk}/change/" in listing
    assert f"/{paid.pk}/change/" not in listing
