"""Care relations (accounts.CareRelation, read by the access policy) from the contacts already on record: every
non-cancelled appointment and every encounter of a doctor with a patient, the latest one as last contact."""
from django.db import migrations
from django.db.models import Max


def backfill(apps, schema_editor):
    Appointment = apps.get_model("consult", "Appointment")
    Encounter = apps.get_model("consult", "Encounter")
    CareRelation = apps.get_model("accounts", "CareRelation")
    latest = {}
    for patient_id, doctor_id, at in (Appointment.objects.exclude(status="cancelled")
                                      .values("patient_id", "doctor_id").annotate(m=Max("start"))
                                      .values_list("patient_id", "doctor_id", "m")):
        latest[(patient_id, doctor_id)] = at
    for patient_id, doctor_id, at in (Encounter.objects.values("patient_id", "doctor_id")
                                      .annotate(m=Max("occurred_at")).values_list("patient_id", "doctor_id", "m")):
        key = (patient_id, doctor_id)
        latest[key] = max(at, latest.get(key, at))
    CareRelation.objects.bulk_create([CareRelation(patient_id=p, doctor_id=d, last_contact_at=at)
                                      for (p, d), at in latest.items()], batch_size=1000, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("consult", "0004_appointment_indexes_covered"),
        ("accounts", "0004_care_access"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
