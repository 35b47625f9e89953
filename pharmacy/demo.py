"""pharmacy demo data: orders of the demo patient in several states (synthetic, idempotent).

Runs after consult's demo (seed_demo order), so the demo patient's prescriptions exist; every order goes through
the services, so stock, ledger, events and notifications are exactly what real use would produce.
"""
from __future__ import annotations

from accounts.models import User
from records.selectors.records import allergy_conflicts

from .models import Drug, Order
from .selectors import prescription_items_fillable_for
from .services import (
    cart_clear,
    cart_item_add,
    order_approve,
    order_cancel,
    order_checkout,
    order_deliver,
    order_dispense,
    order_pay,
    order_ship,
)

PATIENT = "patient@demo.medplatform.test"
PHARMACIST = "pharmacist@demo.medplatform.test"
ADDRESS = {"recipient_name": "Demo Patient 示例患者", "phone": "+86 000 0000 0001",
           "address": "Demo Road 1, Xihu District, Hangzhou 杭州市西湖区示例路1号"}
OTC_PICKS = ["Loratadine", "Vitamin C", "Oral rehydration salts III", "Calcium carbonate and vitamin D3",
             "Sodium hyaluronate eye drops", "Montmorillonite powder"]


def _otc(patient: User, count: int) -> list[Drug]:
    picks = []
    for name in OTC_PICKS:
        drug = Drug.objects.filter(generic_name_en=name, is_prescription_only=False, stock__gte=5).first()
        if drug and not allergy_conflicts(patient=patient, drug=drug):
            picks.append(drug)
        if len(picks) == count:
            break
    return picks


def _order(patient: User, drugs: list[tuple[Drug, int, int | None]]) -> Order:
    cart_clear(patient=patient)
    for drug, quantity, rx_item in drugs:
        cart_item_add(patient=patient, drug_id=drug.pk, quantity=quantity, prescription_item_id=rx_item)
    return order_checkout(patient=patient, **ADDRESS)


def seed(stdout=None) -> None:  # type: ignore[no-untyped-def]
    patient = User.objects.filter(email=PATIENT).first()
    pharmacist = User.objects.filter(email=PHARMACIST).first()
    if patient is None or pharmacist is None or Order.objects.filter(patient=patient).exists():
        return  # already seeded (or accounts demo missing): run twice → no change
    otc = _otc(patient, 4)
    if len(otc) < 4:
        return
    delivered = _order(patient, [(otc[0], 1, None), (otc[1], 2, None)])
    order_pay(actor=patient, order_id=delivered.pk)
    order_dispense(actor=pharmacist, order_id=delivered.pk)
    order_ship(actor=pharmacist, order_id=delivered.pk, tracking_note="SF Express SF1000000001 (demo)")
    order_deliver(actor=patient, order_id=delivered.pk)

    shipped = _order(patient, [(otc[2], 1, None)])
    order_pay(actor=patient, order_id=shipped.pk)
    order_dispense(actor=pharmacist, order_id=shipped.pk)
    order_ship(actor=pharmacist, order_id=shipped.pk, tracking_note="EMS EA000000001CN (demo)")

    cancelled = _order(patient, [(otc[3], 1, None)])
    order_cancel(actor=patient, order_id=cancelled.pk, reason="Ordered by mistake (demo)")

    pending = _order(patient, [(otc[1], 1, None)])
    created = 4
    # Prescription orders against the demo prescriptions (consult's demo): one awaiting review, one approved.
    # The demo pharmacist has reviewed two of the demo prescriptions (issue 20: no prescription item can be
    # bought before a pharmacist approved it); a later one waits in the prescription review queue.
    from records.models import Prescription, PrescriptionStatus, ReviewStatus
    from records.services.review import prescription_review

    for rx in (Prescription.objects.filter(patient=patient, status=PrescriptionStatus.ACTIVE,
                                           review_status=ReviewStatus.PENDING)
               .order_by("issued_at", "pk")[:2]):
        prescription_review(pharmacist=pharmacist, prescription_id=rx.pk, decision=ReviewStatus.APPROVED)
    items = [i for i in prescription_items_fillable_for(patient=patient) if i.drug.stock >= 1
             and i.prescription.review_status == ReviewStatus.APPROVED]
    if items:
        review = _order(patient, [(items[0].drug, 1, items[0].pk)])
        order_pay(actor=patient, order_id=review.pk)
        created += 1
    if len(items) > 1:
        approved = _order(patient, [(items[1].drug, 1, items[1].pk), (otc[0], 1, None)])
        order_pay(actor=patient, order_id=approved.pk)
        order_approve(actor=pharmacist, order_id=approved.pk, note="Dose and interactions checked (demo)")
        created += 1
    cart_clear(patient=patient)
    if stdout is not None:
        stdout.write(f"pharmacy: {created} demo orders (pending payment #{pending.pk} and more)")
