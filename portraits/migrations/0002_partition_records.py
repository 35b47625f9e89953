"""On PostgreSQL, make portraits_record a LIST-partitioned table by period (one partition per half-year,
created by the importer, plus a DEFAULT partition). The table is empty when this runs. SQLite keeps the
plain table."""
from __future__ import annotations

from django.db import migrations

PG_FORWARD = """
DROP TABLE portraits_record;
CREATE TABLE portraits_record (
    id bigserial NOT NULL,
    batch_id bigint NOT NULL,
    student_id bigint NOT NULL,
    source varchar(16) NOT NULL,
    occurred_on date NOT NULL,
    period varchar(8) NOT NULL,
    value double precision NULL,
    weight double precision NULL,
    category varchar(64) NOT NULL,
    PRIMARY KEY (id, period)
) PARTITION BY LIST (period);
CREATE TABLE portraits_record_default PARTITION OF portraits_record DEFAULT;
"""


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    else:
        schema_editor.execute(
            "CREATE INDEX portraits_rec_period_student ON portraits_record (period, source, student_id)")


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.execute("DROP INDEX portraits_rec_period_student")


class Migration(migrations.Migration):
    dependencies = [("portraits", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
