"""End to end, in a real browser: a patient orders an OTC drug and a prescription-only drug against their
prescription; the pharmacist approves and dispenses; the patient sees the status change and the new reminders."""
from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from playwright.sync_api import expect

from pharmacy.models import Order, OrderStatus
from records.models import DoseReminder
from tests.factories import DoctorFactory, PatientFactory, PharmacistFactory
from tests.pharmacy.factories import make_drug, make_prescription_item


def _medication_url() -> str:
    for name in ("records-medication", "records:medication"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    raise AssertionError("consult's medication page is not routed")


def test_patient_orders_otc_and_rx_pharmacist_approves_and_dispenses(new_page, live_server, login_as):
    # Given a patient with a prescription for 2 packs of an Rx drug, and an OTC drug in stock
    patient, doctor, pharmacist = PatientFactory(), DoctorFactory(), PharmacistFactory()
    otc = make_drug(generic_name_en="Loratadine", generic_name_zh="氯雷他定", strength="10 mg", price="25.80", stock=20,
                    ingredients=["loratadine"])
    rx = make_drug(generic_name_en="Amoxicillin", generic_name_zh="阿莫西林", strength="500 mg", price="18.50", stock=20,
                   rx=True, ingredients=["amoxicillin"])
    item = make_prescription_item(patient=patient, doctor=doctor, drug=rx, quantity=2, frequency="three_daily",
                                  duration_days=5)

    # When the patient finds the OTC drug by its Chinese name and adds it to the cart
    shop = new_page()
    login_as(shop, live_server, patient)
    shop.goto("/pharmacy/?q=氯雷他定")
    shop.get_by_role("link", name="Loratadine 10 mg").click()
    with shop.expect_navigation():
        shop.get_by_role("button", name="Add to cart").click()
    # ... and the Rx drug against their prescription (the only one offered)
    shop.goto(f"/pharmacy/drugs/{rx.pk}/")
    expect(shop.locator("#rx-item option")).to_have_count(1)
    shop.fill("#qty", "2")
    with shop.expect_navigation():
        shop.get_by_role("button", name="Add to cart").click()
    expect(shop.get_by_test_id("cart-total")).to_have_text("¥62.80")  # 25.80 + 2 × 18.50, computed by the server

    # ... checks out and pays cash on delivery
    shop.fill("input[name=phone]", "+86 000 0000 0000")
    shop.fill("textarea[name=address]", "1 Test Road, Hangzhou")
    with shop.expect_navigation():
        shop.get_by_role("button", name="Place order").click()
    with shop.expect_navigation():
        shop.get_by_role("button", name="Pay (cash on delivery)").click()
    expect(shop.get_by_test_id("order-status")).to_have_text("Paid")
    order = Order.objects.get(patient=patient)
    assert order.requires_review is True

    # Then the pharmacist sees it in the review queue, with the prescription, approves and dispenses it
    console = new_page()
    login_as(console, live_server, pharmacist)
    console.goto("/pharmacy/console/?queue=review")
    console.get_by_role("link", name=order.number).click()
    expect(console.get_by_text(f"Rx #{item.prescription_id}")).to_be_visible()
    with console.expect_navigation():
        console.get_by_role("button", name="Approve").click()
    with console.expect_navigation():
        console.get_by_role("button", name="Dispense").click()
    expect(console.get_by_test_id("order-status")).to_have_text("Dispensed")

    # And the patient's open order page updates itself (htmx polling) to "Dispensed"
    expect(shop.get_by_test_id("order-status")).to_have_text("Dispensed", timeout=20_000)
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPENSED
    assert list(order.events.values_list("to_status", "actor")) == [
        ("pending_payment", patient.pk), ("paid", patient.pk), ("approved", pharmacist.pk),
        ("dispensed", pharmacist.pk)]

    # ... and finds the new medication reminders on their medication page
    doses = DoseReminder.objects.filter(item=item)
    assert doses.count() > 0
    shop.goto(_medication_url())
    expect(shop.get_by_text("Amoxicillin 500 mg").first).to_be_visible()
    otc.refresh_from_db()
    rx.refresh_from_db()
    assert (otc.stock, rx.stock) == (19, 18)
