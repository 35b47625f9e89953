"""Backup → restore into a fresh database and store → `audit_verify` passes with the same head hash, and the
stored files come back byte for byte (PostgreSQL through pg_dump/pg_restore; SQLite through its online backup)."""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import AuditAction, AuditChainHead
from accounts.services import audit_record
from records.services.records import document_upload
from tests.factories import PatientFactory
from tests.platform.conftest import ROOT, subprocess_database_url

pytestmark = pytest.mark.slow

PDF = b"%PDF-1.4\n% backup drill\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class _Upload(io.BytesIO):
    name = "discharge.pdf"
    size = len(PDF)

    def chunks(self):  # type: ignore[no-untyped-def]
        yield self.getvalue()


def _manage(*args: str, database_url: str, private: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "platform_site.settings.local", "DATABASE_URL": database_url,
                "PRIVATE_MEDIA_ROOT": str(private), "STORAGE_BACKEND": "filesystem"})
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=180, stdin=subprocess.DEVNULL)


@pytest.fixture
def fresh_database(transactional_db, tmp_path: Path):  # type: ignore[no-untyped-def]
    """An empty database beside the test database (a new PostgreSQL database, or a new SQLite file)."""
    if connection.vendor == "postgresql":
        name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:6]}"
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        base = subprocess_database_url().rsplit("/", 1)[0]
        yield f"{base}/{name}"
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"


def test_backup_then_restore_into_a_fresh_database_keeps_the_audit_head_and_the_files(
        fresh_database: str, tmp_path: Path, settings):
    # Given a platform with audit entries and a stored health document
    patient = PatientFactory()
    doc = document_upload(actor=patient, patient=patient, title="Discharge", kind="discharge", uploaded=_Upload(PDF))
    for n in range(3):
        audit_record(actor=patient, action=AuditAction.READ, object_type="health_document", object_id=n,
                     subject=patient)
    head = AuditChainHead.objects.get(id=1)

    # When it is backed up (keeping one backup: an older one in the same directory goes)
    out = io.StringIO()
    call_command("backup", "--output", str(tmp_path / "backups"), "--keep", "1", stdout=out)
    call_command("backup", "--output", str(tmp_path / "backups"), "--keep", "1", stdout=out)
    backups = sorted((tmp_path / "backups").iterdir())
    assert len(backups) == 1
    manifest = json.loads((backups[0] / "manifest.json").read_text())
    assert manifest["audit_head"] == {"seq": head.last_seq, "hash": head.last_hash}
    assert [o["name"] for o in manifest["objects"]] == [doc.path]

    # and restored into an empty database and an empty store
    restored_private = tmp_path / "restored-private"
    restore = _manage("restore", str(backups[0]), database_url=fresh_database, private=restored_private)
    assert restore.returncode == 0, restore.stdout + restore.stderr

    # Then audit_verify passes there with the same head hash, and the document's bytes are back
    verify = _manage("audit_verify", database_url=fresh_database, private=restored_private)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    match = re.search(r"audit chain intact: (\d+) entries verified; head seq (\d+) hash ([0-9a-f]{64})", verify.stdout)
    assert match, verify.stdout
    assert (int(match[1]), int(match[2]), match[3]) == (head.last_seq, head.last_seq, head.last_hash)
    assert (restored_private / doc.path).read_bytes() == PDF

    # and a second restore into the now non-empty database is refused
    again = _manage("restore", str(backups[0]), database_url=fresh_database, private=restored_private)
    assert again.returncode != 0
    assert "the target database is not empty" in again.stderr


def test_a_damaged_backup_is_refused_before_anything_is_restored(transactional_db, tmp_path: Path):
    audit_record(actor=None, action=AuditAction.READ, object_type="x", object_id=1)
    call_command("backup", "--output", str(tmp_path), stdout=io.StringIO())
    backup = next(tmp_path.iterdir())
    dump = backup / json.loads((backup / "manifest.json").read_text())["database"]["file"]
    dump.write_bytes(dump.read_bytes()[:-10])
    with pytest.raises(CommandError, match="missing or damaged"):
        call_command("restore", str(backup))
