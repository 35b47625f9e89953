"""The rules of internet diagnosis at the pharmacy (docs/compliance.md), each refusal audited through
`accounts.regulation.refuse_rule` before the caller's write transaction:

- specially controlled drugs (narcotic, psychotropic I/II, medical toxic, radioactive, other) are not sold
  online (《互联网诊疗管理办法（试行）》第十九条; every order of this pharmacy is an online purchase);
- a prescription is reviewed and approved by a pharmacist before its drugs are paid for or dispensed.
"""
from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from accounts.models import User
from accounts.regulation import refuse_rule
from records.selectors.prescriptions import prescription_items_not_approved

from ..models import CartItem, Drug, Order


def controlled_drug_sale_check(*, actor: User, drugs: list[Drug], object_type: str = "cart",
                               object_id: Any = "") -> None:
    controlled = [d for d in drugs if d.control_class]
    if controlled:
        refuse_rule(actor=actor, rule="controlled_drug_online", reason="controlled_drug_online_sale",
                    object_type=object_type, object_id=object_id, subject=actor,
                    message=_("%(drugs)s: specially controlled drugs (narcotic, psychotropic, medical toxic, "
                              "radioactive and others) are not sold online. Please get them at a hospital "
                              "pharmacy in person.") % {"drugs": ", ".join(d.name for d in controlled)},
                    extra={"drugs": [d.pk for d in controlled]})


def reviewed_prescriptions_check(*, actor: User, item_ids: list[int], object_type: str, object_id: Any = "",
                                 subject: Any = None) -> None:
    waiting = prescription_items_not_approved([i for i in item_ids if i])
    if waiting:
        refuse_rule(actor=actor, rule="pharmacist_review_first", reason="prescription_not_reviewed",
                    object_type=object_type, object_id=object_id, subject=subject,
                    message=_("A pharmacist must approve the prescription first (%(drugs)s): it cannot be paid for "
                              "or dispensed before.") % {"drugs": ", ".join(i.drug.name for i in waiting)},
                    extra={"prescriptions": sorted({i.prescription_id for i in waiting})})


def cart_add_rules(*, patient: User, drug_id: Any, prescription_item_id: Any) -> None:
    drug = Drug.objects.filter(pk=drug_id).first() if str(drug_id).isdigit() else None
    if drug is not None:
        controlled_drug_sale_check(actor=patient, drugs=[drug])
    if str(prescription_item_id or "").isdigit():
        reviewed_prescriptions_check(actor=patient, item_ids=[int(prescription_item_id)], object_type="cart",
                                     subject=patient)


def checkout_rules(*, patient: User) -> None:
    items = list(CartItem.objects.filter(cart__patient=patient).select_related("drug"))
    controlled_drug_sale_check(actor=patient, drugs=[i.drug for i in items])
    reviewed_prescriptions_check(actor=patient, item_ids=[i.prescription_item_id for i in items
                                                           if i.prescription_item_id],
                                 object_type="cart", subject=patient)


def order_rules(*, actor: User, order_id: Any) -> None:
    """Before payment and dispensing: every prescription the order fills is approved."""
    order = Order.objects.filter(pk=order_id).first() if str(order_id).isdigit() else None
    if order is None:
        return
    item_ids = list(order.lines.filter(prescription_item_id__isnull=False).values_list("prescription_item_id",
                                                                                        flat=True))
    reviewed_prescriptions_check(actor=actor, item_ids=item_ids, object_type="order", object_id=order.pk,
                                 subject=order.patient)
