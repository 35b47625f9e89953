"""On PostgreSQL, portraits_record loses its primary-key index (id, period): records are only ever read
by whole-period scans and deleted by batch, ids are unique by construction (batch id × 2³² + row number,
services/imports_pg.record_ids), and keeping the index up to date was the largest cost of a COPY
(bench/portraits.py). SQLite keeps its plain table."""
from __future__ import annotations

from django.db import migrations


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE portraits_record DROP CONSTRAINT IF EXISTS portraits_record_pkey")


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE portraits_record ADD PRIMARY KEY (id, period)")


class Migration(migrations.Migration):
    dependencies = [("portraits", "0002_partition_records")]
    operations = [migrations.RunPython(forward, backward)]
