"""A record's category becomes a 2-byte code into portraits_recordcategory (one row per distinct text; blank →
NULL). Existing rows keep their categories. On PostgreSQL the partitioned table is rebuilt in its new shape
(ALTER … DROP COLUMN would leave a dropped column in the parent that partitions created later lack, and every
routed row would then be converted); SQLite alters its plain table."""
from __future__ import annotations

import django.db.models.deletion
from django.db import migrations, models

CATEGORIES = """
INSERT INTO portraits_recordcategory (id, name)
    SELECT row_number() OVER (ORDER BY category), category
    FROM (SELECT DISTINCT category FROM portraits_record WHERE category <> '') AS d
"""

PG_FORWARD = """
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
    occurred_on date NOT NULL,
    value double precision NULL,
    weight double precision NULL,
    category_id smallint NULL
) PARTITION BY RANGE (occurred_on);
ALTER SEQUENCE portraits_record_id_seq OWNED BY portraits_record.id;
CREATE TABLE portraits_record_default PARTITION OF portraits_record DEFAULT;
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
             FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'portraits_record_v2'::regclass AND c.relname ~ '^v2_portraits_record_p' LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF portraits_record %s', substr(r.relname, 4), r.bound);
    END LOOP;
END $$;
INSERT INTO portraits_record (id, batch_id, student_id, occurred_on, value, weight, category_id)
    SELECT r.id, r.batch_id, r.student_id, r.occurred_on, r.value, r.weight, c.id
    FROM portraits_record_v2 r LEFT JOIN portraits_recordcategory c ON c.name = r.category AND r.category <> '';
DROP TABLE portraits_record_v2;
"""

PG_BACKWARD = """
ALTER TABLE portraits_record ADD COLUMN category varchar(64) NOT NULL DEFAULT '';
UPDATE portraits_record r SET category = c.name FROM portraits_recordcategory c WHERE c.id = r.category_id;
ALTER TABLE portraits_record ALTER COLUMN category DROP DEFAULT;
ALTER TABLE portraits_record DROP COLUMN category_id;
"""


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    schema_editor.execute(CATEGORIES, None)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, None)   # None: the % of format() are not placeholders
        return
    schema_editor.execute("ALTER TABLE portraits_record ADD COLUMN category_id smallint NULL", None)
    schema_editor.execute("UPDATE portraits_record SET category_id = (SELECT c.id FROM portraits_recordcategory c "
                          "WHERE c.name = portraits_record.category)", None)
    schema_editor.execute("ALTER TABLE portraits_record DROP COLUMN category", None)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    # Back to the text column (a plain rebuild is not needed to go back: nothing routes rows by it).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, None)
    else:
        schema_editor.execute("ALTER TABLE portraits_record ADD COLUMN category varchar(64) NOT NULL DEFAULT ''", None)
        schema_editor.execute("UPDATE portraits_record SET category = coalesce((SELECT c.name FROM "
                              "portraits_recordcategory c WHERE c.id = portraits_record.category_id), '')", None)
        schema_editor.execute("ALTER TABLE portraits_record DROP COLUMN category_id", None)
    schema_editor.execute("DELETE FROM portraits_recordcategory", None)


class Migration(migrations.Migration):
    dependencies = [("portraits", "0004_narrow_records")]
    operations = [
        migrations.CreateModel(
            name="RecordCategory",
            fields=[
                ("id", models.SmallIntegerField(primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=64, unique=True, verbose_name="name")),
            ],
            options={"verbose_name": "record category", "verbose_name_plural": "record categories"},
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="record", name="category",
                    field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True,
                                            on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                            to="portraits.recordcategory")),
            ],
            database_operations=[migrations.RunPython(forward, backward)],
        ),
    ]
