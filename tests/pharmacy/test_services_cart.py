"""Cart rules: quantities, prescription gating at add time, scoping."""
from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.policy import AccessRefused
from core.errors import ApplicationError, NotFound, PermissionDeniedError
from pharmacy.models import CartItem
from pharmacy.selectors import cart_get
from pharmacy.services import cart_item_add, cart_item_remove, cart_item_update
from tests.factories import PatientFactory
from tests.pharmacy.factories import make_drug, make_prescription_item

pytestmark = pytest.mark.django_db


def test_add_accumulates_update_and_remove(patient):
    drug = make_drug(price="12.50", stock=20)
    item = cart_item_add(patient=patient, drug_id=drug.pk, quantity=2)
    cart_item_add(patient=patient, drug_id=drug.pk, quantity="3")
    item.refresh_from_db()
    assert (item.quantity, item.prescription_item_id) == (5, None)
    assert cart_get(patient=patient).total == Decimal("62.50")

    cart_item_update(patient=patient, item_id=item.pk, quantity=1)
    assert cart_get(patient=patient).total == Decimal("12.50")

    cart_item_remove(patient=patient, item_id=item.pk)
    assert not CartItem.objects.exists()


@pytest.mark.parametrize("bad", [-1, 0, 1.5, "1.5", "abc", True, 100, None, "", "-2"])
def test_bad_quantities_are_refused_and_nothing_changes(patient, state, bad):
    drug = make_drug(stock=200)
    line = cart_item_add(patient=patient, drug_id=drug.pk, quantity=1)
    before = state()
    with pytest.raises(ApplicationError) as exc:
        cart_item_add(patient=patient, drug_id=drug.pk, quantity=bad)
    assert exc.value.code == "quantity"
    with pytest.raises(ApplicationError):
        cart_item_update(patient=patient, item_id=line.pk, quantity=bad)
    assert state() == before


def test_more_than_in_stock_is_refused(patient, state):
    drug = make_drug(stock=2)
    before = state()
    with pytest.raises(ApplicationError, match="Only 2"):
        cart_item_add(patient=patient, drug_id=drug.pk, quantity=3)
    assert state() == before


def test_another_patients_cart_line_is_not_found(patient, state):
    other = PatientFactory()
    drug = make_drug()
    theirs = cart_item_add(patient=other, drug_id=drug.pk, quantity=1)
    before = state()
    with pytest.raises(NotFound):
        cart_item_update(patient=patient, item_id=theirs.pk, quantity=5)
    with pytest.raises(NotFound):
        cart_item_remove(patient=patient, item_id=theirs.pk)
    assert state() == before


def test_only_patients_have_carts(doctor):
    with pytest.raises(PermissionDeniedError):
        cart_item_add(patient=doctor, drug_id=make_drug().pk, quantity=1)


def test_unknown_or_inactive_drug_is_not_found(patient):
    drug = make_drug(is_active=False)
    with pytest.raises(NotFound):
        cart_item_add(patient=patient, drug_id=drug.pk)
    with pytest.raises(NotFound):
        cart_item_add(patient=patient, drug_id="1; DROP TABLE")


class TestPrescriptionGatingAtAdd:
    def test_rx_drug_needs_a_prescription_item(self, patient, state):
        drug = make_drug(rx=True)
        before = state()
        with pytest.raises(ApplicationError) as exc:
            cart_item_add(patient=patient, drug_id=drug.pk, quantity=1)
        assert exc.value.code == "rx_required"
        assert state() == before

    def test_own_valid_prescription_is_accepted(self, patient, doctor):
        drug = make_drug(rx=True)
        item = make_prescription_item(patient=patient, doctor=doctor, drug=drug, quantity=3)
        line = cart_item_add(patient=patient, drug_id=drug.pk, quantity=3, prescription_item_id=item.pk)
        assert (line.quantity, line.prescription_item_id) == (3, item.pk)

    def test_another_patients_prescription_is_refused(self, patient, doctor, state):
        drug = make_drug(rx=True)
        theirs = make_prescription_item(patient=PatientFactory(), doctor=doctor, drug=drug)
        before = state()
        with pytest.raises(AccessRefused):
            cart_item_add(patient=patient, drug_id=drug.pk, quantity=1, prescription_item_id=theirs.pk)
        assert state() == before

    def test_expired_prescription_is_refused(self, patient, doctor, state):
        drug = make_drug(rx=True)
        expired = make_prescription_item(patient=patient, doctor=doctor, drug=drug, issued_days_ago=40, valid_days=30)
        before = state()
        with pytest.raises(ApplicationError) as exc:
            cart_item_add(patient=patient, drug_id=drug.pk, quantity=1, prescription_item_id=expired.pk)
        assert exc.value.code == "rx_not_found"
        assert state() == before

    def test_more_than_prescribed_is_refused(self, patient, doctor, state):
        drug = make_drug(rx=True)
        item = make_prescription_item(patient=patient, doctor=doctor, drug=drug, quantity=2)
        before = state()
        with pytest.raises(ApplicationError) as exc:
            cart_item_add(patient=patient, drug_id=drug.pk, quantity=3, prescription_item_id=item.pk)
        assert exc.value.code == "rx_quantity"
        assert state() == before

    def test_prescription_for_another_drug_is_refused(self, patient, doctor):
        drug, other_drug = make_drug(rx=True), make_drug(rx=True)
        item = make_prescription_item(patient=patient, doctor=doctor, drug=other_drug)
        with pytest.raises(ApplicationError) as exc:
            cart_item_add(patient=patient, drug_id=drug.pk, quantity=1, prescription_item_id=item.pk)
        assert exc.value.code == "rx_drug"
