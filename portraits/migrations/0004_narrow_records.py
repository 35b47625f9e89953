"""Records lose their `source` and `period` columns: the source is the batch's (one file, one source) and
the half-year follows from the date. On PostgreSQL the table is rebuilt RANGE-partitioned by occurred_on,
one partition per half-year under the same names as before (portraits_record_p2023_1 = January–June 2023),
plus a DEFAULT partition; existing rows are copied over. Two columns fewer, one of them the partition key
that had to be computed per row, cut the server's CPU for a COPY by about a quarter (docs/benchmarks.md).
SQLite drops the two columns and indexes (occurred_on, student_id) instead of (period, source, student_id)."""
from __future__ import annotations

from django.db import migrations

PG_FORWARD = """
ALTER TABLE portraits_record RENAME TO portraits_record_v1;
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'portraits_record_v1'::regclass LOOP
        EXECUTE format('ALTER TABLE %I RENAME TO %I', r.relname, 'v1_' || r.relname);
    END LOOP;
END $$;
CREATE TABLE portraits_record (
    id bigint NOT NULL DEFAULT nextval('portraits_record_id_seq'),
    batch_id bigint NOT NULL,
    student_id bigint NOT NULL,
    occurred_on date NOT NULL,
    value double precision NULL,
    weight double precision NULL,
    category varchar(64) NOT NULL
) PARTITION BY RANGE (occurred_on);
ALTER SEQUENCE portraits_record_id_seq OWNED BY portraits_record.id;
CREATE TABLE portraits_record_default PARTITION OF portraits_record DEFAULT;
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT DISTINCT period FROM portraits_record_v1 WHERE period ~ '^[0-9]{4}-[12]$' LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF portraits_record FOR VALUES FROM (%L) TO (%L)',
                       'portraits_record_p' || replace(r.period, '-', '_'),
                       make_date(left(r.period, 4)::int, CASE WHEN right(r.period, 1) = '1' THEN 1 ELSE 7 END, 1),
                       make_date(left(r.period, 4)::int, CASE WHEN right(r.period, 1) = '1' THEN 1 ELSE 7 END, 1)
                           + interval '6 months');
    END LOOP;
END $$;
INSERT INTO portraits_record (id, batch_id, student_id, occurred_on, value, weight, category)
    SELECT id, batch_id, student_id, occurred_on, value, weight, category FROM portraits_record_v1;
DROP TABLE portraits_record_v1;
"""

PG_BACKWARD = """
ALTER TABLE portraits_record RENAME TO portraits_record_v2;
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'portraits_record_v2'::regclass LOOP
        EXECUTE format('ALTER TABLE %I RENAME TO %I', r.relname, 'v2_' || r.relname);
    END LOOP;
END $$;
CREATE TABLE portraits_record (
    id bigint NOT NULL DEFAULT nextval('portraits_record_id_seq'),
    batch_id bigint NOT NULL,
    student_id bigint NOT NULL,
    source varchar(16) NOT NULL,
    occurred_on date NOT NULL,
    period varchar(8) NOT NULL,
    value double precision NULL,
    weight double precision NULL,
    category varchar(64) NOT NULL
) PARTITION BY LIST (period);
ALTER SEQUENCE portraits_record_id_seq OWNED BY portraits_record.id;
CREATE TABLE portraits_record_default PARTITION OF portraits_record DEFAULT;
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT DISTINCT to_char(occurred_on, 'YYYY') || CASE WHEN extract(month FROM occurred_on) <= 6
                        THEN '-1' ELSE '-2' END AS period FROM portraits_record_v2 LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF portraits_record FOR VALUES IN (%L)',
                       'portraits_record_p' || replace(r.period, '-', '_'), r.period);
    END LOOP;
END $$;
INSERT INTO portraits_record (id, batch_id, student_id, source, occurred_on, period, value, weight, category)
    SELECT r.id, r.batch_id, r.student_id, b.source, r.occurred_on,
           to_char(r.occurred_on, 'YYYY') || CASE WHEN extract(month FROM r.occurred_on) <= 6 THEN '-1' ELSE '-2' END,
           r.value, r.weight, r.category
    FROM portraits_record_v2 r JOIN portraits_importbatch b ON b.id = r.batch_id;
DROP TABLE portraits_record_v2;
"""


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, None)   # None: the % of format() are not placeholders
        return
    schema_editor.execute("DROP INDEX IF EXISTS portraits_rec_period_student")
    schema_editor.execute("ALTER TABLE portraits_record DROP COLUMN source")
    schema_editor.execute("ALTER TABLE portraits_record DROP COLUMN period")
    schema_editor.execute("CREATE INDEX portraits_rec_date_student ON portraits_record (occurred_on, student_id)")


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, None)
        return
    schema_editor.execute("DROP INDEX IF EXISTS portraits_rec_date_student")
    schema_editor.execute("ALTER TABLE portraits_record ADD COLUMN source varchar(16) NOT NULL DEFAULT ''")
    schema_editor.execute("ALTER TABLE portraits_record ADD COLUMN period varchar(8) NOT NULL DEFAULT ''")
    schema_editor.execute(
        "UPDATE portraits_record SET source = (SELECT b.source FROM portraits_importbatch b WHERE b.id = batch_id), "
        "period = strftime('%Y', occurred_on) || CASE WHEN CAST(strftime('%m', occurred_on) AS INTEGER) <= 6 "
        "THEN '-1' ELSE '-2' END", None)
    schema_editor.execute(
        "CREATE INDEX portraits_rec_period_student ON portraits_record (period, source, student_id)")


class Migration(migrations.Migration):
    dependencies = [("portraits", "0003_records_without_index")]
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="record", name="period"),
                migrations.RemoveField(model_name="record", name="source"),
            ],
            database_operations=[migrations.RunPython(forward, backward)],
        ),
    ]
