"""End to end, in a real browser, with the rules of internet diagnosis on (issue 20, docs/compliance.md): a first
online booking is refused with in-person times offered; after an in-person visit with a diagnosis, the online
follow-up books; the (qualified, two-factor) doctor confirms the follow-up and prescribes; the pharmacist
rejects once with a reason; the doctor corrects; the pharmacist approves; the patient pays."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from consult.models import Appointment, SlotKind
from consult.services.encounters import encounter_record
from pharmacy.models import Order
from records.models import Prescription, PrescriptionReview
from tests.compliance_helpers import qualify_for_online
from tests.consult.factories import ICD10CodeFactory, SlotFactory
from tests.factories import DoctorFactory, PatientFactory, PharmacistFactory
from tests.pharmacy.factories import make_drug

pytestmark = pytest.mark.compliance


def _prescribe(desk, *, drug, dose: str) -> None:
    desk.select_option("select[name=item-0-drug]", str(drug.pk))
    desk.fill("input[name=item-0-dose]", dose)
    desk.select_option("select[name=item-0-dose_unit]", "puff")
    desk.select_option("select[name=item-0-frequency]", "twice_daily")
    desk.fill("input[name=item-0-duration_days]", "7")
    desk.fill("input[name=item-0-quantity]", "1")
    with desk.expect_navigation():
        desk.get_by_test_id("prescribe-submit").click()


def test_first_online_visit_refused_then_follow_up_prescribed_reviewed_corrected_approved_paid(
        new_page, live_server, login_as):
    patient, pharmacist = PatientFactory(), PharmacistFactory()
    doctor = qualify_for_online(DoctorFactory())
    ICD10CodeFactory(code="J45.9", name_en="Asthma, unspecified", name_zh="哮喘")
    start = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(days=1)
    online = SlotFactory(doctor=doctor, kind=SlotKind.ONLINE, start=start)
    in_person = SlotFactory(doctor=doctor, kind=SlotKind.IN_PERSON, start=start + dt.timedelta(hours=1))
    later_online = SlotFactory(doctor=doctor, kind=SlotKind.ONLINE, start=start + dt.timedelta(hours=2))
    salbutamol = make_drug(rx=True, generic_name_en="Salbutamol", generic_name_zh="沙丁胺醇", strength="100 µg",
                           form="inhaler", price="30.00", ingredients=["salbutamol"])

    # A first online booking is refused, with the reason and the in-person times offered
    home = new_page()
    login_as(home, live_server, patient)
    home.goto(f"/doctors/{doctor.pk}/")
    home.check(f"input[name=slot][value='{online.pk}']")
    home.fill("input[name=reason]", "Wheezing at night")
    with home.expect_navigation():
        home.get_by_role("button", name="Book").click()
    expect(home.get_by_text("Online consultations are for follow-up visits only")).to_be_visible()
    expect(home.locator(f"input[name=slot][value='{in_person.pk}']")).to_be_visible()
    assert not Appointment.objects.filter(patient=patient).exists()

    # The patient books the in-person visit offered; the doctor sees them and diagnoses asthma there
    home.check(f"input[name=slot][value='{in_person.pk}']")
    home.fill("input[name=reason]", "Wheezing at night")
    with home.expect_navigation():
        home.get_by_role("button", name="Book").click()
    visit = Appointment.objects.get(patient=patient, kind=SlotKind.IN_PERSON)
    encounter_record(doctor=doctor, appointment_id=visit.pk, notes={"assessment": "Asthma"}, diagnoses=["J45.9"])

    # Now the online follow-up goes through
    home.goto(f"/doctors/{doctor.pk}/")
    home.check(f"input[name=slot][value='{later_online.pk}']")
    home.fill("input[name=reason]", "Asthma follow-up")
    with home.expect_navigation():
        home.get_by_role("button", name="Book").click()
    follow_up = Appointment.objects.get(patient=patient, kind=SlotKind.ONLINE)

    # The doctor (two-factor log-in) confirms "follow-up of J45.9" and prescribes in the online encounter
    desk = new_page()
    login_as(desk, live_server, doctor)
    desk.goto(f"/appointments/{follow_up.pk}/consultation/")
    desk.select_option("select[name=code]", "J45.9")
    with desk.expect_navigation():
        desk.get_by_role("button", name="Confirm follow-up").click()
    expect(desk.get_by_test_id("follow-up-of")).to_contain_text("J45.9")
    online_encounter = encounter_record(doctor=doctor, appointment_id=follow_up.pk,
                                        notes={"assessment": "Asthma, partly controlled"}, diagnoses=["J45.9"])
    desk.goto(f"/encounters/{online_encounter.pk}/prescribe/")
    expect(desk.get_by_test_id("rx-rules")).to_contain_text("at most 7 days")
    _prescribe(desk, drug=salbutamol, dose="20")
    first = Prescription.objects.get(patient=patient)
    assert (first.is_online, first.follow_up_code, first.review_status) == (True, "J45.9", "pending")
    expect(desk.get_by_test_id("rx-signature")).to_contain_text("Signature valid")

    # The pharmacist rejects it once, with a reason
    bench = new_page()
    login_as(bench, live_server, pharmacist)
    bench.goto("/pharmacy/review/prescriptions/")
    bench.get_by_role("link", name=f"#{first.pk}").click()
    expect(bench.get_by_test_id("rx-signature")).to_contain_text("Signature valid")
    bench.get_by_test_id("review-reason").fill("20 puffs twice daily is ten times the usual dose.")
    with bench.expect_navigation():
        bench.get_by_test_id("review-reject").click()

    # The doctor reads the reason on the prescription and corrects it
    desk.goto(f"/prescriptions/{first.pk}/")
    expect(desk.get_by_test_id("rx-review-entry")).to_contain_text("ten times the usual dose")
    desk.get_by_test_id("rx-correct").click()
    expect(desk.get_by_test_id("rx-corrects")).to_contain_text(f"#{first.pk}")
    _prescribe(desk, drug=salbutamol, dose="2")
    second = Prescription.objects.get(patient=patient, replaces=first)
    first.refresh_from_db()
    assert first.status == "cancelled"

    # The pharmacist approves the correction
    bench.goto("/pharmacy/review/prescriptions/")
    bench.get_by_role("link", name=f"#{second.pk}").click()
    with bench.expect_navigation():
        bench.get_by_test_id("review-approve").click()
    assert list(PrescriptionReview.objects.order_by("id").values_list("prescription_id", "decision")) == [
        (first.pk, "rejected"), (second.pk, "approved")]

    # The patient orders against the approved prescription and pays
    home.goto(f"/pharmacy/drugs/{salbutamol.pk}/")
    expect(home.locator("#rx-item option")).to_have_count(1)
    with home.expect_navigation():
        home.get_by_role("button", name="Add to cart").click()
    home.fill("input[name=phone]", "+86 000 0000 0000")
    home.fill("textarea[name=address]", "1 Test Road, Hangzhou")
    with home.expect_navigation():
        home.get_by_role("button", name="Place order").click()
    with home.expect_navigation():
        home.get_by_role("button", name="Pay (cash on delivery)").click()
    expect(home.get_by_test_id("order-status")).to_have_text("Paid")
    order = Order.objects.get(patient=patient)
    assert order.lines.get().prescription_item_id == second.items.get().pk
