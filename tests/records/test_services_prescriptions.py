"""Prescriptions: writing with the allergy check, fills for the pharmacy, fillable items."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import AuditEvent, Notification
from core.errors import ApplicationError, NotFound
from records.models import DoseReminder, Prescription, PrescriptionFill, PrescriptionItem, ReminderPlan
from records.selectors.prescriptions import prescription_items_fillable
from records.selectors.records import allergy_conflicts
from records.services.prescriptions import (
    prescription_cancel,
    prescription_create,
    prescription_item_fill,
    prescription_item_unfill,
)
from records.services.records import allergy_add
from tests.factories import DoctorFactory, PatientFactory

from .factories import DrugFactory, EncounterFactory, item_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def encounter():  # type: ignore[no-untyped-def]
    return EncounterFactory()


def test_prescription_create_writes_items_reminders_and_notifies(encounter):
    drug = DrugFactory()
    rx = prescription_create(doctor=encounter.doctor, encounter_id=encounter.pk, items=[item_data(drug)])
    item = rx.items.get()
    assert (rx.patient, rx.doctor, rx.status) == (encounter.patient, encounter.doctor, "active")
    assert item.dose_unit == "mg"
    assert item.times_of_day == ["08:00", "20:00"]
    assert item.quantity_filled == 0
    # 5 days × twice daily, all in the future (the course starts tomorrow)
    assert DoseReminder.objects.filter(item=item, status="scheduled").count() == 10
    assert ReminderPlan.objects.get(item=item).time_zone == encounter.patient.time_zone
    assert Notification.objects.filter(user=encounter.patient, dedupe_key=f"rx:{rx.pk}").count() == 1
    assert AuditEvent.objects.filter(action="create", object_type="prescription", object_id=str(rx.pk)).count() == 1


def test_allergy_blocks_prescription_and_nothing_is_written(encounter):
    drug = DrugFactory(generic_name_en="Amoxicillin", active_ingredients=["amoxicillin"])
    allergy_add(actor=encounter.doctor, patient=encounter.patient, substance="Amoxicillin", reaction="hives",
                severity="severe")
    with pytest.raises(ApplicationError) as exc:
        prescription_create(doctor=encounter.doctor, encounter_id=encounter.pk, items=[item_data(drug)])
    assert exc.value.code == "allergy_conflict"
    assert exc.value.extra["conflicts"][0]["allergies"][0]["substance"] == "amoxicillin"
    assert Prescription.objects.count() == 0
    assert PrescriptionItem.objects.count() == 0
    assert DoseReminder.objects.count() == 0
    assert AuditEvent.objects.filter(object_type="prescription", outcome="blocked").count() == 1


def test_allergy_override_needs_a_reason_and_keeps_it(encounter):
    drug = DrugFactory(generic_name_en="Amoxicillin", active_ingredients=["amoxicillin", "clavulanic acid"])
    allergy_add(actor=encounter.doctor, patient=encounter.patient, substance="amoxicillin", reaction="rash")
    with pytest.raises(ApplicationError):
        prescription_create(doctor=encounter.doctor, encounter_id=encounter.pk,
                            items=[item_data(drug, allergy_override_reason="ok")])
    assert Prescription.objects.count() == 0
    reason = "Mild rash only in 2019; benefits outweigh risk, patient informed"
    rx = prescription_create(doctor=encounter.doctor, encounter_id=encounter.pk,
                             items=[item_data(drug, allergy_override_reason=reason)])
    item = rx.items.get()
    assert item.allergy_override_reason == reason
    assert item.allergy_conflicts == ["amoxicillin"]
    assert item.allergy_overridden_by == encounter.doctor
    audit = AuditEvent.objects.get(action="create", object_type="prescription", object_id=str(rx.pk))
    assert audit.detail["overrides"][0]["reason"] == reason


def test_allergy_conflicts_matching():
    patient = PatientFactory()
    allergy_add(actor=patient, patient=patient, substance="Penicillin")
    allergy_add(actor=patient, patient=patient, substance="acetylsalicylic acid")
    assert [a.substance for a in allergy_conflicts(patient=patient, drug=DrugFactory(active_ingredients=["penicillin v"]))] == ["penicillin"]
    # class membership: a penicillin allergy also blocks amoxicillin (ALLERGY_CLASSES)
    assert [a.substance for a in allergy_conflicts(patient=patient, drug=DrugFactory(active_ingredients=["amoxicillin", "clavulanic acid"]))] == ["penicillin"]
    assert allergy_conflicts(patient=patient, drug=DrugFactory(active_ingredients=["penicillamine"])) == []
    assert len(allergy_conflicts(patient=patient, drug=DrugFactory(active_ingredients=["Acetylsalicylic  Acid"]))) == 1
    assert allergy_conflicts(patient=patient, drug=DrugFactory(active_ingredients=["paracetamol"])) == []


def test_prescription_for_another_doctors_encounter_is_refused_and_audited(encounter):
    other = DoctorFactory()
    with pytest.raises(NotFound):
        prescription_create(doctor=other, encounter_id=encounter.pk, items=[item_data(DrugFactory())])
    assert Prescription.objects.count() == 0
    denied = AuditEvent.objects.get(action="denied", object_type="encounter")
    assert denied.subject == encounter.patient


@pytest.mark.parametrize("bad", [{"dose_unit": ""}, {"dose": 0}, {"quantity": 0}, {"frequency": "every_n_hours"},
                                 {"times_of_day": ["25:00"]}, {"frequency": "hourly"}])
def test_invalid_items_are_refused(encounter, bad):
    with pytest.raises(ApplicationError):
        prescription_create(doctor=encounter.doctor, encounter_id=encounter.pk, items=[item_data(DrugFactory(), **bad)])
    assert Prescription.objects.count() == 0
    assert PrescriptionItem.objects.count() == 0


def _rx(encounter, **over):  # type: ignore[no-untyped-def]
    return prescription_create(doctor=encounter.doctor, encounter_id=encounter.pk,
                               items=[item_data(DrugFactory(), quantity=3, **over)])


def test_fill_and_unfill_are_idempotent_per_reference(encounter):
    item = _rx(encounter).items.get()
    patient = encounter.patient
    assert list(prescription_items_fillable(patient=patient)) == [item]
    with pytest.raises(ApplicationError) as unreviewed:  # issue 20: a pharmacist approves before any fill
        prescription_item_fill(item_id=item.pk, patient=patient, quantity=2, reference="order-1")
    assert unreviewed.value.code == "rx_not_reviewed"
    from records.services.review import prescription_review
    from tests.factories import PharmacistFactory
    prescription_review(pharmacist=PharmacistFactory(), prescription_id=item.prescription_id, decision="approved")
    prescription_item_fill(item_id=item.pk, patient=patient, quantity=2, reference="order-1")
    prescription_item_fill(item_id=item.pk, patient=patient, quantity=2, reference="order-1")
    item.refresh_from_db()
    assert item.quantity_filled == 2
    assert PrescriptionFill.objects.count() == 1
    with pytest.raises(ApplicationError) as exc:
        prescription_item_fill(item_id=item.pk, patient=patient, quantity=2, reference="order-2")
    assert exc.value.code == "rx_quantity"
    prescription_item_fill(item_id=item.pk, patient=patient, quantity=1, reference="order-3")
    assert list(prescription_items_fillable(patient=patient)) == []
    prescription_item_unfill(item_id=item.pk, reference="order-1")
    prescription_item_unfill(item_id=item.pk, reference="order-1")
    prescription_item_unfill(item_id=item.pk, reference="never-filled")
    item.refresh_from_db()
    assert item.quantity_filled == 1
    assert list(prescription_items_fillable(patient=patient)) == [item]


def test_fill_refused_for_other_patient_expired_or_cancelled(encounter):
    rx = _rx(encounter)
    item = rx.items.get()
    with pytest.raises(NotFound):
        prescription_item_fill(item_id=item.pk, patient=PatientFactory(), quantity=1, reference="x")
    Prescription.objects.filter(pk=rx.pk).update(valid_until=timezone.now() - dt.timedelta(seconds=1),
                                                 issued_at=timezone.now() - dt.timedelta(days=8))
    with pytest.raises(ApplicationError) as exc:
        prescription_item_fill(item_id=item.pk, patient=encounter.patient, quantity=1, reference="x")
    assert exc.value.code == "rx_expired"
    assert list(prescription_items_fillable(patient=encounter.patient)) == []
    rx2 = _rx(encounter)
    prescription_cancel(doctor=encounter.doctor, prescription_id=rx2.pk, reason="wrong drug")
    with pytest.raises(ApplicationError) as exc:
        prescription_item_fill(item_id=rx2.items.get().pk, patient=encounter.patient, quantity=1, reference="y")
    assert exc.value.code == "rx_inactive"
    assert PrescriptionFill.objects.count() == 0
    assert DoseReminder.objects.filter(item__prescription=rx2).count() == 0  # future doses removed
