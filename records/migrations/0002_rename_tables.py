"""The records app's tables get its own names (records_*), with every row; the content types (admin history,
permissions) follow the models from consult to records."""
from django.db import migrations

MODELS = ["healthdocument", "prescription", "prescriptionitem", "prescriptionfill", "problem", "reminderplan",
          "dosereminder", "allergy", "observation"]


def content_types_follow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label="records", model=model).exists():
            ContentType.objects.filter(app_label="consult", model=model).update(app_label="records")


def content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="records", model__in=MODELS).update(app_label="consult")


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        *[migrations.AlterModelTable(name=model, table=None) for model in MODELS],
        migrations.RunPython(content_types_follow, content_types_back),
    ]
