"""Prescription rules of internet diagnosis (docs/compliance.md): control classes (《互联网诊疗管理办法（试行）》
第十九条), the guardian of a child under 6 (第十九条), validity and quantity (《处方管理办法》第十八条、第十九条),
the electronic signature, pharmacist review before payment and dispensing. Each test fails when its rule breaks;
every refusal is checked in English and Chinese and for its one audit row."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone, translation

from accounts.models import AuditEvent, Notification, PatientProfile
from accounts.regulation import RuleRefused
from consult.models import ConsultationThread, Encounter, SlotKind
from core.errors import ApplicationError
from pharmacy.services import cart_item_add, order_approve, order_checkout, order_dispense, order_pay
from records.models import Prescription, PrescriptionItem, PrescriptionReview
from records.services.prescriptions import prescription_create
from records.services.review import prescription_correct, prescription_review
from records.services.rx_rules import Guardian, prescription_verify
from tests.consult.factories import AppointmentFactory, ICD10CodeFactory, SlotFactory
from tests.factories import PharmacistFactory
from tests.pharmacy.factories import ADDRESS, make_drug, make_prescription_item
from tests.records.factories import DrugFactory, EncounterFactory, item_data

pytestmark = [pytest.mark.django_db, pytest.mark.compliance]


def _denied(actor, reason):
    return AuditEvent.objects.filter(actor=actor, outcome="denied", detail__reason=reason).count()


def _refused_in_both_languages(call, *, code, en, zh):
    for language, text in (("en", en), ("zh-hans", zh)):
        with translation.override(language), pytest.raises(RuleRefused) as info:
            call()
        assert info.value.code == code
        assert text in str(info.value.message)


def _online_encounter(*, confirmed=True):
    appointment = AppointmentFactory(slot=SlotFactory(kind=SlotKind.ONLINE))
    encounter = Encounter.objects.create(appointment=appointment, patient=appointment.patient,
                                         doctor=appointment.doctor, occurred_at=timezone.now())
    from consult.services.care import care_refresh
    care_refresh(patient_id=appointment.patient_id, doctor_id=appointment.doctor_id)
    if confirmed:
        ICD10CodeFactory(code="F51.0", name_en="Insomnia", name_zh="失眠")
        ConsultationThread.objects.create(appointment=appointment, follow_up_code_id="F51.0",
                                          follow_up_confirmed_at=timezone.now())
    else:
        ConsultationThread.objects.create(appointment=appointment)
    return encounter


def test_a_psychotropic_is_refused_on_an_online_prescription_and_nothing_written():
    encounter = _online_encounter()
    diazepam = DrugFactory(generic_name_en="Diazepam", control_class="psychotropic_2")
    _refused_in_both_languages(
        lambda: prescription_create(doctor=encounter.doctor, encounter_id=encounter.pk, items=[item_data(diazepam)]),
        code="controlled_drug_online", en="cannot be prescribed online", zh="不得在线开具")
    assert Prescription.objects.count() == 0
    assert _denied(encounter.doctor, "controlled_drug_online") == 2
    # an ordinary drug on the same online follow-up is fine, and the prescription says what it follows up
    rx = prescription_create(doctor=encounter.doctor, encounter_id=encounter.pk, items=[item_data(DrugFactory())])
    assert (rx.is_online, rx.follow_up_code) == (True, "F51.0")


def test_an_online_prescription_needs_the_doctors_follow_up_confirmation():
    encounter = _online_encounter(confirmed=False)
    _refused_in_both_languages(
        lambda: prescription_create(doctor=encounter.doctor, encounter_id=encounter.pk,
                                    items=[item_data(DrugFactory())]),
        code="follow_up_not_confirmed", en="Confirm which in-person diagnosis", zh="复诊")
    assert Prescription.objects.count() == 0


def test_a_controlled_drug_cannot_be_bought_online(patient):
    morphine = make_drug(rx=False, control_class="narcotic", generic_name_en="Morphine sulfate")
    _refused_in_both_languages(lambda: cart_item_add(patient=patient, drug_id=morphine.pk),
                               code="controlled_drug_online_sale", en="not sold online", zh="不在网上销售")
    assert _denied(patient, "controlled_drug_online_sale") == 2
    from pharmacy.models import CartItem
    assert not CartItem.objects.filter(cart__patient=patient).exists()


def test_a_child_under_6_needs_the_guardians_identity_and_presence():
    encounter = EncounterFactory()
    PatientProfile.objects.update_or_create(user=encounter.patient, defaults={
        "date_of_birth": timezone.localdate() - dt.timedelta(days=365 * 4)})
    drug = DrugFactory()
    call = lambda: prescription_create(doctor=encounter.doctor, encounter_id=encounter.pk,  # noqa: E731
                                       items=[item_data(drug)],
                                       guardian=Guardian(name="李母", relation="母亲", id_number="11010519491231002X"))
    _refused_in_both_languages(call, code="child_needs_guardian", en="under 6", zh="监护人")
    assert Prescription.objects.count() == 0
    with pytest.raises(ApplicationError) as bad:  # a mistyped number: wrong GB 11643 check character
        prescription_create(doctor=encounter.doctor, encounter_id=encounter.pk, items=[item_data(drug)],
                            guardian=Guardian(name="李母", relation="母亲", id_number="110105194912310021",
                                              present=True))
    assert bad.value.code == "guardian_id_number"
    rx = prescription_create(doctor=encounter.doctor, encounter_id=encounter.pk, items=[item_data(drug)],
                             guardian=Guardian(name="李母", relation="母亲", id_number="11010519491231002X",
                                               present=True))
    assert (rx.guardian_name, rx.guardian_id_masked, rx.guardian_present) == ("李母", "110***********002X", True)
    with connection.cursor() as cursor:  # stored encrypted at rest, shown masked
        cursor.execute("SELECT guardian_id_number FROM records_prescription WHERE id = %s", [rx.pk])
        raw = cursor.fetchone()[0]
    assert raw.startswith("gAAAAA")
    assert "11010519491231002X" not in raw


def test_validity_is_the_day_written_and_at_most_3_days():
    encounter = EncounterFactory()
    drug = DrugFactory()
    _refused_in_both_languages(
        lambda: prescription_create(doctor=encounter.doctor, encounter_id=encounter.pk, items=[item_data(drug)],
                                    valid_days=4),
        code="validity_too_long", en="at most 3 days", zh="3天")
    one = prescription_create(doctor=encounter.doctor, encounter_id=encounter.pk, items=[item_data(drug)])
    end_of_today = timezone.make_aware(dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time.min))
    assert one.valid_until == end_of_today
    three = prescription_create(doctor=encounter.doctor, encounter_id=encounter.pk, items=[item_data(drug)],
                                valid_days=3)
    assert three.valid_until == end_of_today + dt.timedelta(days=2)


def test_quantity_is_at_most_7_days_or_12_weeks_for_a_chronic_long_prescription():
    encounter = EncounterFactory()
    drug = DrugFactory()
    _refused_in_both_languages(
        lambda: prescription_create(doctor=encounter.doctor, encounter_id=encounter.pk,
                                    items=[item_data(drug, duration_days=8)]),
        code="quantity_too_long", en="at most 7 days", zh="7天")
    _refused_in_both_languages(
        lambda: prescription_create(doctor=encounter.doctor, encounter_id=encounter.pk, chronic_long=True,
                                    items=[item_data(drug, duration_days=85)]),
        code="quantity_too_long", en="at most 84 days", zh="12周")
    assert Prescription.objects.count() == 0
    assert prescription_create(doctor=encounter.doctor, encounter_id=encounter.pk,
                               items=[item_data(drug, duration_days=7)]).items.get().duration_days == 7
    rx = prescription_create(doctor=encounter.doctor, encounter_id=encounter.pk, chronic_long=True,
                             items=[item_data(drug, duration_days=84)])
    assert rx.is_chronic_long


def test_a_changed_prescription_fails_signature_verification_and_cannot_be_approved():
    encounter = EncounterFactory()
    rx = prescription_create(doctor=encounter.doctor, encounter_id=encounter.pk, items=[item_data(DrugFactory())])
    assert prescription_verify(rx).valid
    assert len(rx.signature) == 64
    PrescriptionItem.objects.filter(prescription=rx).update(dose=Decimal("5000"))  # a change after signing
    rx.refresh_from_db()
    verification = prescription_verify(rx)
    assert (verification.valid, verification.reason) == (False, "content_changed")
    pharmacist = PharmacistFactory()
    _refused_in_both_languages(
        lambda: prescription_review(pharmacist=pharmacist, prescription_id=rx.pk, decision="approved"),
        code="signature_broken", en="changed after the doctor signed", zh="签名")
    rx.refresh_from_db()
    assert rx.review_status == "pending"
    # a signature made with another doctor's key does not verify either
    other = prescription_create(doctor=encounter.doctor, encounter_id=encounter.pk, items=[item_data(DrugFactory())])
    Prescription.objects.filter(pk=other.pk).update(doctor=EncounterFactory().doctor)
    other.refresh_from_db()
    assert prescription_verify(other).reason in ("content_changed", "bad_signature")
    assert not prescription_verify(other).valid


def test_an_unreviewed_prescription_cannot_be_put_in_the_cart_paid_or_dispensed(patient, doctor):
    drug = make_drug(rx=True)
    pending = make_prescription_item(patient=patient, doctor=doctor, drug=drug, review_status="pending")
    _refused_in_both_languages(
        lambda: cart_item_add(patient=patient, drug_id=drug.pk, prescription_item_id=pending.pk),
        code="prescription_not_reviewed", en="A pharmacist must approve", zh="药师")
    approved = make_prescription_item(patient=patient, doctor=doctor, drug=drug)
    cart_item_add(patient=patient, drug_id=drug.pk, prescription_item_id=approved.pk)
    order = order_checkout(patient=patient, **ADDRESS)
    # the approval is withdrawn behind the order's back (e.g. a legacy row): payment and dispensing refuse
    Prescription.objects.filter(pk=approved.prescription_id).update(review_status="pending")
    _refused_in_both_languages(lambda: order_pay(actor=patient, order_id=order.pk),
                               code="prescription_not_reviewed", en="cannot be paid for", zh="付款")
    order.refresh_from_db()
    assert order.status == "pending_payment"
    Prescription.objects.filter(pk=approved.prescription_id).update(review_status="approved")
    assert order_pay(actor=patient, order_id=order.pk).status == "paid"
    pharmacist = PharmacistFactory()
    order_approve(actor=pharmacist, order_id=order.pk)
    Prescription.objects.filter(pk=approved.prescription_id).update(review_status="pending")
    with pytest.raises(RuleRefused) as info:
        order_dispense(actor=pharmacist, order_id=order.pk)
    assert info.value.code == "prescription_not_reviewed"
    order.refresh_from_db()
    assert order.status == "approved"
    assert _denied(patient, "prescription_not_reviewed") == 4  # cart ×2, payment ×2
    assert _denied(pharmacist, "prescription_not_reviewed") == 1


def test_pharmacist_rejects_with_a_reason_the_doctor_corrects_the_pharmacist_approves():
    encounter = EncounterFactory()
    doctor, patient, pharmacist = encounter.doctor, encounter.patient, PharmacistFactory()
    drug = DrugFactory()
    rx = prescription_create(doctor=doctor, encounter_id=encounter.pk, items=[item_data(drug, dose=Decimal("5000"))])
    with pytest.raises(ApplicationError):
        prescription_review(pharmacist=pharmacist, prescription_id=rx.pk, decision="rejected", reason="")
    prescription_review(pharmacist=pharmacist, prescription_id=rx.pk, decision="rejected",
                        reason="Dose is ten times the usual adult dose.")
    rx.refresh_from_db()
    assert rx.review_status == "rejected"
    note = Notification.objects.get(user=doctor, kind="prescription", dedupe_key__startswith="rx-review:")
    assert note.body == "Dose is ten times the usual adult dose."
    fixed = prescription_correct(doctor=doctor, prescription_id=rx.pk, items=[item_data(drug, dose=Decimal("500"))])
    rx.refresh_from_db()
    assert (rx.status, fixed.replaces_id, fixed.review_status) == ("cancelled", rx.pk, "pending")
    assert prescription_verify(fixed).valid
    review = prescription_review(pharmacist=pharmacist, prescription_id=fixed.pk, decision="approved")
    assert review.content_hash == fixed.content_hash
    assert list(PrescriptionReview.objects.values_list("prescription_id", "decision")) == [
        (rx.pk, "rejected"), (fixed.pk, "approved")]
    assert Notification.objects.filter(user=patient, dedupe_key=f"rx-review:{review.pk}").exists()
