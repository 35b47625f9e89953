"""API: same rules as the pages — scoping, refusals with clear errors, nothing changed on error."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from pharmacy.models import Order, OrderStatus
from pharmacy.services import cart_item_add, order_checkout
from tests.factories import PatientFactory
from tests.pharmacy.factories import ADDRESS, make_drug, make_prescription_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_patient(api_client, patient):
    api_client.force_authenticate(patient)
    return api_client


def test_catalogue_is_public_and_searchable(api_client):
    make_drug(generic_name_en="Loratadine", generic_name_zh="氯雷他定")
    r = api_client.get(reverse("api-pharmacy-drugs"), {"q": "氯雷"})
    assert r.status_code == 200
    assert [d["generic_name_en"] for d in r.json()["results"]] == ["Loratadine"]


def test_full_api_flow_otc_and_rx(as_patient, api_client, patient, doctor, pharmacist):
    otc = make_drug(price="9.90", stock=5)
    rx = make_drug(price="30.00", stock=5, rx=True)
    item = make_prescription_item(patient=patient, doctor=doctor, drug=rx, quantity=2)

    assert [i["id"] for i in as_patient.get(reverse("api-pharmacy-prescription-items")).json()] == [item.pk]
    r = as_patient.post(reverse("api-pharmacy-cart-items"), {"drug": otc.pk, "quantity": 2}, format="json")
    assert r.status_code == 201, r.json()
    r = as_patient.post(reverse("api-pharmacy-cart-items"),
                        {"drug": rx.pk, "quantity": 1, "prescription_item": item.pk}, format="json")
    assert r.status_code == 201
    assert r.json()["total"] == "49.80"
    r = as_patient.post(reverse("api-pharmacy-orders"), ADDRESS, format="json")
    assert r.status_code == 201, r.json()
    order_id = r.json()["id"]
    assert (r.json()["status"], r.json()["total"], r.json()["requires_review"]) == ("pending_payment", "49.80", True)
    assert as_patient.post(reverse("api-pharmacy-order-action", args=[order_id, "pay"])).status_code == 200

    api_client.force_authenticate(pharmacist)
    queue = api_client.get(reverse("api-pharmacy-queue"), {"queue": "review"}).json()["results"]
    assert [o["id"] for o in queue] == [order_id]
    reads = AuditEvent.objects.filter(action="read", actor=pharmacist, object_id=str(order_id), subject=patient)
    assert reads.count() == 0
    assert api_client.get(reverse("api-pharmacy-order", args=[order_id])).json()["lines"][1]["prescription_item_id"] \
        == item.pk
    assert reads.count() == 1  # a pharmacist reading a prescription order is an audited read
    for action, data in (("approve", {"note": "ok"}), ("dispense", {}), ("ship", {"tracking_note": "SF1"})):
        r = api_client.post(reverse("api-pharmacy-order-action", args=[order_id, action]), data, format="json")
        assert r.status_code == 200, (action, r.json())
    assert r.json()["status"] == "shipped"
    assert [e["to_status"] for e in r.json()["events"]] == [
        "pending_payment", "paid", "approved", "dispensed", "shipped"]


@pytest.mark.parametrize(("payload", "code"), [
    ({"quantity": -1}, 400), ({"quantity": 0}, 400), ({"quantity": 1.5}, 400), ({"quantity": "1.5"}, 400),
    ({"quantity": 1, "price": "0.01"}, 400), ({"quantity": 1, "unit_price": "0"}, 400),
])
def test_bad_cart_input_is_refused_and_nothing_changes(as_patient, state, payload, code):
    drug = make_drug()
    before = state()
    r = as_patient.post(reverse("api-pharmacy-cart-items"), {"drug": drug.pk, **payload}, format="json")
    assert r.status_code == code, r.json()
    assert r.json()["detail"] if "detail" in r.json() else r.json()
    assert state() == before


def test_client_price_on_checkout_is_refused(as_patient, patient, state):
    cart_item_add(patient=patient, drug_id=make_drug(price="10.00").pk, quantity=1)
    before = state()
    r = as_patient.post(reverse("api-pharmacy-orders"), {**ADDRESS, "total": "0.01"}, format="json")
    assert (r.status_code, r.json()["code"]) == (400, "price_not_allowed")
    assert state() == before


@pytest.mark.parametrize("case", ["other_patient", "expired", "too_many"])
def test_prescription_refusals(as_patient, patient, doctor, state, case):
    drug = make_drug(rx=True)
    owner = PatientFactory() if case == "other_patient" else patient
    item = make_prescription_item(patient=owner, doctor=doctor, drug=drug, quantity=2,
                                  **({"issued_days_ago": 40, "valid_days": 30} if case == "expired" else {}))
    before = state()
    r = as_patient.post(reverse("api-pharmacy-cart-items"),
                        {"drug": drug.pk, "quantity": 3 if case == "too_many" else 1, "prescription_item": item.pk},
                        format="json")
    if case == "other_patient":
        # Someone else's prescription is a refusal of the access policy: not found, one audit row.
        assert (r.status_code, r.json()["code"]) == (404, "not_found")
        assert AuditEvent.objects.filter(action="denied", actor=patient, object_type="prescription_item",
                                         object_id=str(item.pk)).count() == 1
    else:
        assert r.status_code == 400
        assert r.json()["code"] == ("rx_quantity" if case == "too_many" else "rx_not_found")
    assert state() == before


def test_tampered_order_id_is_404(as_patient, state):
    other = PatientFactory()
    cart_item_add(patient=other, drug_id=make_drug().pk, quantity=1)
    theirs = order_checkout(patient=other, **ADDRESS)
    before = state()
    assert as_patient.get(reverse("api-pharmacy-order", args=[theirs.pk])).status_code == 404
    assert as_patient.post(reverse("api-pharmacy-order-action", args=[theirs.pk, "pay"])).status_code == 404
    assert as_patient.post(reverse("api-pharmacy-order-action", args=[theirs.pk, "cancel"])).status_code == 404
    assert as_patient.get(reverse("api-pharmacy-orders")).json()["results"] == []
    assert state() == before
    assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT


def test_patient_cannot_use_pharmacist_endpoints(as_patient, patient):
    drug = make_drug(stock=1)
    assert as_patient.get(reverse("api-pharmacy-queue")).status_code == 403
    assert as_patient.post(reverse("api-pharmacy-restock", args=[drug.pk]), {"quantity": 5}).status_code == 403
    drug.refresh_from_db()
    assert drug.stock == 1


def test_out_of_stock_checkout_is_409(as_patient, patient):
    drug = make_drug(stock=1)
    cart_item_add(patient=patient, drug_id=drug.pk, quantity=1)
    other = PatientFactory()
    cart_item_add(patient=other, drug_id=drug.pk, quantity=1)
    order_checkout(patient=other, **ADDRESS)
    r = as_patient.post(reverse("api-pharmacy-orders"), ADDRESS, format="json")
    assert (r.status_code, r.json()["code"]) == (409, "out_of_stock")
    assert Decimal(Order.objects.get().total) == drug.price


def test_schema_lists_the_pharmacy_api():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = [p for p in schema["paths"] if p.startswith("/api/pharmacy/")]
    assert "/api/pharmacy/orders/{id}/{action}/" in paths
    assert "/api/pharmacy/cart/items/" in paths
    assert schema["paths"]["/api/pharmacy/orders/"]["post"]["operationId"] == "pharmacy_order_checkout"
