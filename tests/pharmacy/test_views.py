"""Pages: catalogue search, drug page, cart and checkout, order pages, pharmacist console, scoping, languages."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEvent
from pharmacy.models import CartItem, Order, OrderStatus
from pharmacy.services import cart_item_add, order_checkout, order_pay
from tests.factories import PASSWORD, PatientFactory
from tests.pharmacy.factories import ADDRESS, make_allergy, make_drug, make_prescription_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient)
    return client


@pytest.fixture
def pharmacist_client(client, pharmacist):
    client.force_login(pharmacist)
    return client


def test_catalogue_searches_both_languages_and_filters(client):
    make_drug(generic_name_en="Ibuprofen", generic_name_zh="布洛芬", brand_name_en="Fenbid", brand_name_zh="芬必得",
              category="analgesics", stock=5)
    make_drug(generic_name_en="Amoxicillin", generic_name_zh="阿莫西林", rx=True, category="antibiotics", stock=0)
    url = reverse("pharmacy:catalogue")
    for query, expected in (("布洛芬", "Ibuprofen"), ("fenbid", "Ibuprofen"), ("芬必得", "Ibuprofen"),
                            ("amoxi", "Amoxicillin")):
        body = client.get(url, {"q": query}).content.decode()
        assert expected in body, query
    assert "Amoxicillin" not in client.get(url, {"rx": "otc"}).content.decode()
    assert "Ibuprofen" not in client.get(url, {"rx": "rx"}).content.decode()
    assert "Amoxicillin" not in client.get(url, {"in_stock": "on"}).content.decode()
    assert "Ibuprofen" not in client.get(url, {"category": "antibiotics"}).content.decode()
    assert "Ibuprofen" in client.get(url, {"category": "analgesics"}).content.decode()


def test_catalogue_query_count_does_not_grow_with_rows(client):
    for _ in range(3):
        make_drug()
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("pharmacy:catalogue"))
    for _ in range(15):
        make_drug()
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("pharmacy:catalogue"))
    assert len(many) == len(few)


def test_catalogue_in_chinese(client):
    make_drug(generic_name_en="Ibuprofen", generic_name_zh="布洛芬", strength="300 mg")
    body = client.get(reverse("pharmacy:catalogue"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "布洛芬 300 mg" in body
    assert "网上药房" in body  # "Online pharmacy"


def test_patient_adds_to_cart_and_checks_out_on_the_pages(patient_client, patient):
    drug = make_drug(price="12.50", stock=10)
    r = patient_client.post(reverse("pharmacy:cart_add"), {"drug": drug.pk, "quantity": "2", "price": "0.01"})
    assert r.status_code == 302
    body = patient_client.get(reverse("pharmacy:cart")).content.decode()
    assert "¥25.00" in body  # the posted price was ignored: the total is the catalogue's

    r = patient_client.post(reverse("pharmacy:cart"), ADDRESS)
    order = Order.objects.get()
    assert r.status_code == 302
    assert r.url == reverse("pharmacy:order_detail", args=[order.pk])
    assert order.total == Decimal("25.00")
    patient_client.post(reverse("pharmacy:order_action", args=[order.pk, "pay"]))
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_bad_quantity_on_the_page_shows_an_error_and_changes_nothing(patient_client):
    drug = make_drug(stock=10)
    for bad in ("-1", "1.5", "0", "x"):
        r = patient_client.post(reverse("pharmacy:cart_add"), {"drug": drug.pk, "quantity": bad}, follow=True)
        assert r.status_code == 200
        assert any("quantity" in str(m).lower() for m in r.context["messages"]), bad
    assert not CartItem.objects.exists()


def test_drug_page_offers_only_the_patients_own_valid_prescriptions(patient_client, patient, doctor):
    drug = make_drug(rx=True)
    own = make_prescription_item(patient=patient, doctor=doctor, drug=drug, quantity=2)
    make_prescription_item(patient=patient, doctor=doctor, drug=drug, issued_days_ago=60, valid_days=30)  # expired
    theirs = make_prescription_item(patient=PatientFactory(), doctor=doctor, drug=drug)
    body = patient_client.get(reverse("pharmacy:drug_detail", args=[drug.pk])).content.decode()
    assert f'value="{own.pk}"' in body
    assert f'value="{theirs.pk}"' not in body
    select = body.split('<select id="rx-item"', 1)[1].split("</select>", 1)[0]
    assert select.count("<option") == 1


def test_another_patients_order_page_is_404_and_audited(patient_client, patient):
    other = PatientFactory()
    cart_item_add(patient=other, drug_id=make_drug().pk, quantity=1)
    theirs = order_checkout(patient=other, **ADDRESS)
    denied = AuditEvent.objects.filter(action="denied", actor=patient).count()
    assert patient_client.get(reverse("pharmacy:order_detail", args=[theirs.pk])).status_code == 404
    r = patient_client.post(reverse("pharmacy:order_action", args=[theirs.pk, "cancel"]))
    theirs.refresh_from_db()
    assert theirs.status == OrderStatus.PENDING_PAYMENT
    assert AuditEvent.objects.filter(action="denied", actor=patient).count() == denied + 2
    assert r.status_code == 404  # someone else's order: the 404 page, never a hint that it exists


def test_patient_cannot_open_the_console_or_do_pharmacist_actions(patient_client, patient):
    assert patient_client.get(reverse("pharmacy:console")).status_code == 403
    cart_item_add(patient=patient, drug_id=make_drug().pk, quantity=1)
    order = order_checkout(patient=patient, **ADDRESS)
    order_pay(actor=patient, order_id=order.pk)
    assert patient_client.post(reverse("pharmacy:order_action", args=[order.pk, "dispense"])).status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_console_review_page_shows_prescription_and_allergies_then_approves(pharmacist_client, patient, doctor,
                                                                            pharmacist):
    drug = make_drug(rx=True, generic_name_en="Amoxicillin")
    item = make_prescription_item(patient=patient, doctor=doctor, drug=drug, quantity=1)
    make_allergy(patient=patient, substance="sulfonamides", recorded_by=doctor)
    cart_item_add(patient=patient, drug_id=drug.pk, quantity=1, prescription_item_id=item.pk)
    order = order_checkout(patient=patient, **ADDRESS)
    order_pay(actor=patient, order_id=order.pk)

    queue = pharmacist_client.get(reverse("pharmacy:console"), {"queue": "review"}).content.decode()
    assert order.number in queue
    page = pharmacist_client.get(reverse("pharmacy:order_detail", args=[order.pk])).content.decode()
    assert f"Rx #{item.prescription_id}" in page
    assert "sulfonamides" in page
    assert AuditEvent.objects.filter(action="read", actor=pharmacist, object_id=str(order.pk)).exists()

    pharmacist_client.post(reverse("pharmacy:order_action", args=[order.pk, "approve"]), {"reason": "ok"})
    order.refresh_from_db()
    assert order.status == OrderStatus.APPROVED


def test_console_query_count_is_flat(pharmacist_client):
    def place(n: int) -> None:
        for _ in range(n):
            p = PatientFactory()
            cart_item_add(patient=p, drug_id=make_drug().pk, quantity=1)
            order_pay(actor=p, order_id=order_checkout(patient=p, **ADDRESS).pk)

    place(2)
    pharmacist_client.get(reverse("pharmacy:console"))   # warm-up: the session's first refresh and MFA check
    with CaptureQueriesContext(connection) as few:
        pharmacist_client.get(reverse("pharmacy:console"), {"queue": "dispense"})
    place(6)
    with CaptureQueriesContext(connection) as many:
        pharmacist_client.get(reverse("pharmacy:console"), {"queue": "dispense"})
    assert len(many) == len(few)


def test_order_list_query_count_is_flat(patient_client, patient):
    def place(n: int) -> None:
        for _ in range(n):
            cart_item_add(patient=patient, drug_id=make_drug().pk, quantity=1)
            order_checkout(patient=patient, **ADDRESS)

    place(1)
    patient_client.get(reverse("pharmacy:order_list"))   # warm-up: the session's first refresh
    with CaptureQueriesContext(connection) as few:
        patient_client.get(reverse("pharmacy:order_list"))
    place(5)
    with CaptureQueriesContext(connection) as many:
        patient_client.get(reverse("pharmacy:order_list"))
    assert len(many) == len(few)


def test_restock_page(pharmacist_client):
    drug = make_drug(stock=0)
    pharmacist_client.post(reverse("pharmacy:restock", args=[drug.pk]), {"quantity": "12", "note": "delivery"})
    drug.refresh_from_db()
    assert drug.stock == 12
    assert "delivery" in pharmacist_client.get(reverse("pharmacy:stock_ledger", args=[drug.pk])).content.decode()


def test_pages_render_in_both_languages(patient, pharmacist, client):
    drug = make_drug()
    cart_item_add(patient=patient, drug_id=drug.pk, quantity=1)
    order = order_checkout(patient=patient, **ADDRESS)
    order_pay(actor=patient, order_id=order.pk)  # paid: in the pharmacists' queue, so the pharmacist may open it
    assert PASSWORD
    for user, names in ((patient, [("pharmacy:catalogue", []), ("pharmacy:drug_detail", [drug.pk]),
                                   ("pharmacy:cart", []), ("pharmacy:order_list", []),
                                   ("pharmacy:order_detail", [order.pk])]),
                        (pharmacist, [("pharmacy:console", []), ("pharmacy:stock", []),
                                      ("pharmacy:stock_ledger", [drug.pk]), ("pharmacy:order_detail", [order.pk])])):
        client.force_login(user)
        for lang in ("en", "zh-hans"):
            for name, args in names:
                r = client.get(reverse(name, args=args), HTTP_ACCEPT_LANGUAGE=lang)
                assert r.status_code == 200, (name, lang)


def test_htmx_search_returns_only_the_rows(client):
    make_drug(generic_name_en="Cetirizine")
    r = client.get(reverse("pharmacy:catalogue"), {"q": "cetiri"}, HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert "Cetirizine" in body
    assert "<html" not in body
