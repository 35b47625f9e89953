"""A database migrated by the main of before the records app (consult owning health records, prescriptions and
reminders) migrates forward with every row kept: the records app takes the tables over, renames them, and the
rows, their ids and their links are all still there. Also: the care relations are backfilled from the contacts."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

# The last migrations of the landed main before the split (and before the access policy's tables).
BEFORE = [("accounts", "0003_audit_append_only"), ("consult", "0004_appointment_indexes_covered"),
          ("pharmacy", "0002_orders_stock_ledger"), ("records", None)]


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_records_tables_move_from_consult_with_every_row():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE)
        _forward_with_rows(executor)
    finally:  # whatever happened, leave the database as the rest of the suite expects it
        executor = MigrationExecutor(connection)
        executor.migrate(latest)


def _forward_with_rows(executor: MigrationExecutor) -> None:
    old = executor.loader.project_state([node for node in BEFORE if node[1]]).apps
    User = old.get_model("accounts", "User")
    patient = User.objects.create(email="old-patient@example.test", role="patient", full_name="Old Patient")
    doctor = User.objects.create(email="old-doctor@example.test", role="doctor", full_name="Old Doctor")
    now = timezone.now()
    code = old.get_model("consult", "ICD10Code").objects.create(code="J02.9", name_en="Acute pharyngitis",
                                                                 name_zh="急性咽炎", chapter="X", block="J00-J06")
    encounter = old.get_model("consult", "Encounter").objects.create(patient=patient, doctor=doctor, occurred_at=now)
    allergy = old.get_model("consult", "Allergy").objects.create(patient=patient, substance="penicillin",
                                                                  recorded_by=doctor)
    problem = old.get_model("consult", "Problem").objects.create(patient=patient, code=code, recorded_by=doctor,
                                                                  encounter=encounter)
    observation = old.get_model("consult", "Observation").objects.create(
        patient=patient, kind="heart_rate", value=72, unit="bpm", effective_at=now, recorded_by=patient)
    drug = old.get_model("pharmacy", "Drug").objects.create(generic_name_en="Amoxicillin", price=10, stock=5)
    rx = old.get_model("consult", "Prescription").objects.create(
        patient=patient, doctor=doctor, encounter=encounter, issued_at=now, valid_until=now + dt.timedelta(days=7))
    item = old.get_model("consult", "PrescriptionItem").objects.create(
        prescription=rx, drug=drug, dose=1, dose_unit="tablet", frequency="twice_daily", duration_days=5, quantity=1,
        start_date=now.date())
    plan = old.get_model("consult", "ReminderPlan").objects.create(
        item=item, patient=patient, times_of_day=["08:00"], time_zone="Asia/Shanghai", starts_at=now,
        ends_at=now + dt.timedelta(days=5))
    dose = old.get_model("consult", "DoseReminder").objects.create(plan=plan, item=item, patient=patient,
                                                                   scheduled_at=now + dt.timedelta(hours=1))

    # When the database migrates to the code of today
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    # Then every row is in the records app's tables, with its id and its links
    from accounts.models import CareRelation
    from records.models import Allergy, DoseReminder, Observation, Prescription, PrescriptionItem, Problem

    assert Allergy._meta.db_table == "records_allergy"
    assert Allergy.objects.get(pk=allergy.pk).substance == "penicillin"
    assert Problem.objects.get(pk=problem.pk).encounter_id == encounter.pk
    assert Observation.objects.get(pk=observation.pk).value == 72
    assert Prescription.objects.get(pk=rx.pk).items.get().pk == item.pk
    assert PrescriptionItem.objects.get(pk=item.pk).drug_id == drug.pk
    assert DoseReminder.objects.get(pk=dose.pk).plan.item_id == item.pk
    assert CareRelation.objects.get(patient_id=patient.pk, doctor_id=doctor.pk).last_contact_at == now
    tables = connection.introspection.table_names()
    assert "consult_allergy" not in tables
    assert "records_allergy" in tables
    from django.contrib.contenttypes.models import ContentType

    assert ContentType.objects.get_for_model(Allergy).app_label == "records"
