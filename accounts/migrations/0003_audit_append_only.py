"""On PostgreSQL the audit log refuses UPDATE and DELETE at the database itself.

TRUNCATE is left to the table owner (tests flush with it); in production the application's database role
should not own the table, so it cannot truncate either.
"""
from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION accounts_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit log is append-only (%% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS accounts_auditevent_append_only ON accounts_auditevent;
CREATE TRIGGER accounts_auditevent_append_only BEFORE UPDATE OR DELETE ON accounts_auditevent
    FOR EACH ROW EXECUTE FUNCTION accounts_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS accounts_auditevent_append_only ON accounts_auditevent;
DROP TRIGGER IF EXISTS accounts_auditevent_no_truncate ON accounts_auditevent;
DROP FUNCTION IF EXISTS accounts_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
