"""Backup and restore: the database (pg_dump/pg_restore; SQLite's online backup for `make run`) and every object
of the private store, with a manifest that names the audit chain's head at the moment of the dump.

A backup is one directory: `database.dump` (PostgreSQL custom format) or `database.sqlite3`, `objects/` (each
object under its storage name) and `manifest.json` (SHA-256 of every file, the audit head's seq and hash).
On PostgreSQL the head is read inside the very snapshot pg_dump dumps (an exported snapshot of a REPEATABLE READ
transaction), so it is exactly the head of the dumped chain even while the platform keeps writing.
Objects are copied after the dump: the store is write-once (a uuid per name, never overwritten), so every object
the dump refers to is there; an object uploaded meanwhile is copied too and is harmless without its row.

A restore goes into the database and store this environment is configured with, refuses a database that has any
table (create an empty one), checks every SHA-256 first, and ends by verifying the audit chain and comparing its
head with the manifest's.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.files import File
from django.db import connection, transaction

from accounts.models import AuditChainHead
from accounts.services import audit_chain_verify
from platform_site.storage import private_storage

FORMAT = 1
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that could not be done (the message says why; nothing was changed)."""


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str


@dataclass(frozen=True)
class BackupResult:
    path: Path
    head: Head
    objects: int


@dataclass(frozen=True)
class RestoreResult:
    head: Head
    objects: int
    entries_verified: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _libpq_env() -> dict[str, str]:
    """The connection of the default database as libpq variables (the password never on a command line)."""
    s = connection.settings_dict
    env = dict(os.environ)
    for key, value in (("PGHOST", s.get("HOST")), ("PGPORT", s.get("PORT")), ("PGUSER", s.get("USER")),
                       ("PGPASSWORD", s.get("PASSWORD")), ("PGDATABASE", s.get("NAME"))):
        if value:
            env[key] = str(value)
    return env


def _run(argv: list[str]) -> None:
    result = subprocess.run(argv, env=_libpq_env(), capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise BackupError(f"{Path(argv[0]).name} failed (exit {result.returncode}): {result.stderr.strip()[-2000:]}")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if candidates:
        return str(candidates[-1])
    raise BackupError(f"{name} was not found (install the PostgreSQL client tools)")


def _dump_postgresql(target: Path) -> Head:
    connection.ensure_connection()
    with transaction.atomic():
        with connection.cursor() as cursor:
            # The snapshot pg_dump will dump; reading the head in it makes the manifest's head that of the dump.
            # Not a query the ORM could write: a transaction mode and a server function (pg_export_snapshot) that
            # pg_dump --snapshot needs; the only SQL of its kind, and not a fast path.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            head = _head()
            _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                  f"--file={target}"])
    return head


def _dump_sqlite(target: Path) -> Head:
    connection.ensure_connection()
    with closing(sqlite3.connect(target)) as copy:
        connection.connection.backup(copy)   # SQLite's online backup: a consistent copy of the whole file
        row = copy.execute("SELECT last_seq, last_hash FROM accounts_auditchainhead WHERE id = 1").fetchone()
    return Head(int(row[0]), str(row[1])) if row else Head(0, "0" * 64)


def _head() -> Head:
    head = AuditChainHead.objects.filter(id=1).first()
    return Head(head.last_seq, head.last_hash) if head else Head(0, "0" * 64)


def _object_names(directory: str = "") -> Iterator[str]:
    storage = private_storage()
    try:
        dirs, files = storage.listdir(directory)
    except FileNotFoundError:   # an empty directory store that was never written to
        return
    for name in sorted(files):
        yield f"{directory}/{name}" if directory else name
    for sub in sorted(dirs):
        yield from _object_names(f"{directory}/{sub}" if directory else sub)


def backup_create(*, root: Path, keep: int | None = None) -> BackupResult:
    """Write a new backup directory under `root`; with `keep`, remove all but the newest `keep` backups there.

    Raises BackupError (pg_dump failed, a tool is missing).
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")   # sortable, unique for one writer
    path = root / f"medplatform-{stamp}"
    partial = root / f".partial-{stamp}"
    partial.mkdir(parents=True)
    try:
        vendor = connection.vendor
        if vendor == "postgresql":
            db_file = "database.dump"
            head = _dump_postgresql(partial / db_file)
        elif vendor == "sqlite":
            db_file = "database.sqlite3"
            head = _dump_sqlite(partial / db_file)
        else:
            raise BackupError(f"no backup for the {vendor} database")
        storage = private_storage()
        objects: list[dict[str, Any]] = []
        for name in _object_names():
            target = partial / "objects" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with storage.open(name, "rb") as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, CHUNK)
            objects.append({"name": name, "size": target.stat().st_size, "sha256": _sha256(target)})
        manifest = {
            "format": FORMAT, "created_at": datetime.now(UTC).isoformat(), "vendor": vendor,
            "database": {"file": db_file, "sha256": _sha256(partial / db_file)},
            "audit_head": {"seq": head.seq, "hash": head.hash}, "objects": objects,
        }
        (partial / "manifest.json").write_text(json.dumps(manifest, indent=1))
        partial.rename(path)   # a backup directory exists only once it is complete
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if keep:
        for old in backups_in(root)[:-keep]:
            shutil.rmtree(old)
    return BackupResult(path=path, head=head, objects=len(objects))


def backups_in(root: Path) -> list[Path]:
    """Complete backups under `root`, oldest first."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.name.startswith("medplatform-") and (p / "manifest.json").exists())


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((path / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} is not a backup (no readable manifest.json)") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    files = [(manifest["database"]["file"], manifest["database"]["sha256"])]
    files += [(f"objects/{o['name']}", o["sha256"]) for o in manifest["objects"]]
    for rel, expected in files:
        if not (path / rel).is_file() or _sha256(path / rel) != expected:
            raise BackupError(f"{rel} is missing or damaged (SHA-256 differs from the manifest)")
    return manifest


def backup_restore(*, path: Path) -> RestoreResult:
    """Restore a backup into this environment's (empty) database and private store, then verify the audit chain.

    Raises BackupError: a damaged backup, another database vendor, a database that is not empty, an object name
    already taken by other bytes, a chain that does not verify or whose head is not the manifest's.
    """
    manifest = _read_manifest(path)
    vendor = connection.vendor
    if manifest["vendor"] != vendor:
        raise BackupError(f"this backup is of a {manifest['vendor']} database, this environment uses {vendor}")
    if connection.introspection.table_names():
        raise BackupError("the target database is not empty: restore into a newly created, empty database")
    # Objects first: an object already there with the same bytes is skipped, so a restore stopped half-way can
    # be run again (the database, restored in one transaction, is then still empty).
    storage = private_storage()
    for obj in manifest["objects"]:
        source = path / "objects" / obj["name"]
        if storage.exists(obj["name"]):
            with storage.open(obj["name"], "rb") as existing:
                if hashlib.sha256(existing.read()).hexdigest() != obj["sha256"]:
                    raise BackupError(f"{obj['name']} exists in the store with other content")
            continue
        with open(source, "rb") as fh:
            stored = storage.save(obj["name"], File(fh, name=obj["name"]))
        if stored != obj["name"]:
            raise BackupError(f"the store renamed {obj['name']} to {stored}")
    db_file = path / manifest["database"]["file"]
    if vendor == "postgresql":
        _run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
              f"--dbname={connection.settings_dict['NAME']}", str(db_file)])
    else:
        name = Path(connection.settings_dict["NAME"])
        connection.close()
        with closing(sqlite3.connect(db_file)) as src, closing(sqlite3.connect(name)) as dst:
            src.backup(dst)
    connection.close()
    report = audit_chain_verify()
    head = _head()
    expected = Head(int(manifest["audit_head"]["seq"]), str(manifest["audit_head"]["hash"]))
    if not report.ok:
        raise BackupError(f"the restored audit chain does not verify: seq {report.first_bad_seq}: {report.reason}")
    if head != expected:
        raise BackupError(f"the restored audit head {head} is not the backup's {expected}")
    return RestoreResult(head=head, objects=len(manifest["objects"]), entries_verified=report.checked)
