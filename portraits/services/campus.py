"""The campus import's entry points: all-or-nothing imports of campus exports, through PostgreSQL's COPY path
(imports_pg) when it applies, else the portable path (imports). Both paths sit below this module (no circle)."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django.db import connection

from ..models import ImportBatch, Source, Student
from . import imports, imports_pg
from .imports import FileReport, ImportReport, ParsedFile


def campus_import(*, files: list[tuple[str, bytes]], user: Any = None,
                  source_hint: str | None = None) -> ImportReport:
    """Import campus exports (name, bytes). All-or-nothing: any error → report, nothing written.

    Files whose SHA-256 was imported before are reported as `already_imported` and skipped.
    """
    report = ImportReport()
    hashes = {name: hashlib.sha256(data).hexdigest() for name, data in files}
    known = dict(ImportBatch.objects.filter(sha256__in=hashes.values()).values_list("sha256", "id"))
    fresh: list[tuple[str, bytes]] = []
    seen_hashes: set[str] = set()
    for name, data in files:
        h = hashes[name]
        if h in known or h in seen_hashes:
            report.files.append(FileReport(name=name, status="already_imported", batch_id=known.get(h)))
            continue
        seen_hashes.add(h)
        fresh.append((name, data))
    if not fresh:
        return report
    if connection.vendor == "postgresql" and source_hint is None:
        fast = imports_pg.fast_import(fresh, hashes, user)
        if fast is not None:
            fast.files = [*report.files, *fast.files]
            return fast
    # Rosters first: students they add are known to the record files of the same import.
    def is_roster(item: tuple[str, bytes]) -> bool:
        return (source_hint == Source.ROSTER) or Path(item[0]).stem.lower().startswith("roster")

    known_students = set(Student.objects.values_list("pseudonym", flat=True))
    parsed: list[ParsedFile] = []
    for name, data in sorted(fresh, key=lambda item: not is_roster(item)):
        pf = imports.parse_file(name, data, report, sha256=hashes[name], known_students=known_students,
                        source_hint=source_hint)
        if pf is not None:
            parsed.append(pf)
            if pf.report.source == Source.ROSTER:
                known_students |= set(pf.frame["pseudonym"].dropna())
    if not report.ok:
        for f in report.files:
            if f.status == "valid":
                f.status = "skipped"
        return report
    imports._store(parsed, report, user)
    return report


def campus_import_paths(paths: list[Path], *, user: Any = None) -> ImportReport:
    """Import files or every .csv/.xlsx file of directories (truth.csv, the synthetic answer key, and noise.csv,
    the synthetic noise features, are skipped)."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(x for x in p.iterdir() if x.suffix.lower() in (".csv", ".xlsx", ".xlsm")
                            and x.name not in ("truth.csv", "noise.csv"))
        else:
            files.append(p)
    return campus_import(files=[(f.name, f.read_bytes()) for f in files], user=user)
