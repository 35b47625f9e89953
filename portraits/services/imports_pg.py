"""PostgreSQL fast path of the import: PostgreSQL parses, checks and casts; Python only orchestrates.

Each CSV record file is COPYed as-is into a temporary text table, checked with one SQL pass (blank or
padded student numbers, numbers and dates outside the plain formats, unknown students), and moved into
the period partitions with one `INSERT … SELECT DISTINCT`. Rosters and Excel files go through the Python
parser. On ANY doubt about a file — a check that finds something, a cast or COPY error — that file's
savepoint is rolled back and the Python parser redoes it, accepting the messier formats (thousands
separators, Excel serials, slashes). If the Python parser finds a real error, the whole transaction is
rolled back and the import is redone by the Python path, which writes the exact (file, row, column,
reason) report. So both paths store the same rows, and a bad import still stores nothing.
"""
from __future__ import annotations

import csv
import io
from typing import Any

from django.db import DatabaseError, connection, transaction

from ..models import ImportBatch, Source, Student
from ..schema import SCHEMA_VERSION, SCHEMAS, column_lookup, header_key
from .pseudonym import pseudonym

PLAIN_NUMBER = r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"
# A cheap, anchored prefix test; the cast in the INSERT checks the rest (an invalid date or time there is a
# cast error → this file goes to the Python parser).
PLAIN_DATE = r"^[0-9]{4}-[0-9][0-9]-[0-9][0-9]"


class Fallback(Exception):
    """The fast path cannot vouch for this import; use the Python path."""


def _header_and_encoding(data: bytes) -> tuple[list[str], bytes, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
        encoding = "UTF8"
    except UnicodeDecodeError:
        encoding = "GB18030"
    first = data.split(b"\n", 1)[0].decode("utf-8" if encoding == "UTF8" else "gb18030")
    header = next(csv.reader(io.StringIO(first)))
    # Trailing blank lines are export noise; COPY would reject them.
    return header, data.rstrip(b"\r\n\t ") + b"\n", encoding


def fast_import(fresh: list[tuple[str, bytes]], hashes: dict[str, str], user: Any) -> Any:
    """Return an ImportReport when the fast path imported everything, or None to fall back."""
    from .imports import ImportReport, detect_source

    plan = []
    for name, data in fresh:
        if not name.lower().endswith(".csv"):
            return None
        header, body, encoding = _header_and_encoding(data)
        source = detect_source(name, header)
        if source is None:
            return None
        plan.append((name, body, data, header, encoding, source))
    report = ImportReport()
    try:
        with transaction.atomic():
            with connection.cursor() as cur:
                # DISTINCT over a file's rows as an in-memory hash aggregate instead of an on-disk sort
                # with locale-aware text comparisons (this transaction only).
                cur.execute("SET LOCAL work_mem = '256MB'")
            _run(plan, hashes, user, report)
    except (Fallback, DatabaseError, UnicodeDecodeError):
        return None
    return report


def _run(plan: list, hashes: dict[str, str], user: Any, report: Any) -> None:
    from .imports import _roster_upsert, parse_file

    rosters = [p for p in plan if p[5] == Source.ROSTER]
    records = [p for p in plan if p[5] != Source.ROSTER]
    known = set(Student.objects.values_list("pseudonym", flat=True))
    parsed = []
    for name, _body, data, _h, _e, _s in rosters:
        pf = parse_file(name, data, report, sha256=hashes[name], known_students=known)
        if pf is None or not report.ok:
            raise Fallback
        parsed.append(pf)
    for pf in parsed:
        created, updated = _roster_upsert(pf)
        report.students_created += created
        report.students_updated += updated
        fr = pf.report
        batch = ImportBatch.objects.create(source=fr.source, file_name=fr.name[:255], sha256=pf.sha256,
                                           schema_version=SCHEMA_VERSION, rows_read=fr.rows_read,
                                           rows_stored=len(pf.frame), duplicates_dropped=fr.duplicates,
                                           missing_values=fr.missing_values, encoding=fr.encoding,
                                           imported_by=_user(user))
        fr.batch_id, fr.rows_stored, fr.status = batch.id, len(pf.frame), "imported"
    ids = dict(Student.objects.values_list("pseudonym", "id"))
    for i, (name, body, data, header, encoding, source) in enumerate(records):
        try:
            with transaction.atomic():   # savepoint: a file the SQL checks cannot vouch for is redone below
                _record_file(i, name, body, header, encoding, source, hashes[name], ids, user, report)
        except (Fallback, DatabaseError):
            _python_file(name, data, hashes[name], ids, user, report)


def _python_file(name: str, data: bytes, sha: str, ids: dict[str, int], user: Any, report: Any) -> None:
    """One messy file through the Python parser (thousands separators, Excel serials …); an error in it
    makes the whole import fall back, so the complete report comes from the Python path."""
    from .imports import ImportReport, _records_frame, parse_file, write_records

    local = ImportReport()
    pf = parse_file(name, data, local, sha256=sha, known_students=set(ids))
    if pf is None or not local.ok:
        raise Fallback
    fr = pf.report
    batch = ImportBatch.objects.create(source=fr.source, file_name=fr.name[:255], sha256=sha,
                                       schema_version=SCHEMA_VERSION, rows_read=fr.rows_read,
                                       duplicates_dropped=fr.duplicates, missing_values=fr.missing_values,
                                       encoding=fr.encoding, imported_by=_user(user))
    fr.rows_stored = write_records(_records_frame(pf, batch.id, ids))
    batch.rows_stored = fr.rows_stored
    batch.save(update_fields=["rows_stored"])
    fr.batch_id, fr.status = batch.id, "imported"
    report.files.append(fr)


def _user(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def _record_file(i: int, name: str, body: bytes, header: list[str], encoding: str, source: str, sha: str,
                 ids: dict[str, int], user: Any, report: Any) -> None:
    from .imports import FileReport, ensure_partitions

    schema = SCHEMAS[source]
    lookup = column_lookup(schema)
    where: dict[str, int] = {}
    for j, h in enumerate(header):
        target = lookup.get(header_key(h))
        if target is not None:
            if target in where:
                raise Fallback
            where[target] = j
    if any(c not in where for c in schema.required):
        raise Fallback
    stage = f"portraits_stage_{i}"
    cols = [f"c{j}" for j in range(len(header))]
    maps = {c.maps_to: f"c{where[c.name]}" for c in schema.columns if c.maps_to and c.name in where}
    kinds = {f"c{where[c.name]}": c.kind for c in schema.columns if c.name in where}
    sid = f"c{where['student_no']}"
    not_blank = "NOT (" + " AND ".join(f"{c} IS NULL" for c in cols) + ")"
    with connection.cursor() as cur:
        cur.execute(f"CREATE TEMP TABLE {stage} ({', '.join(f'{c} text' for c in cols)}) ON COMMIT DROP")
        with cur.cursor.copy(f"COPY {stage} FROM STDIN (FORMAT csv, HEADER true, ENCODING '{encoding}')") as copy:
            view = memoryview(body)
            for start in range(0, len(view), 1 << 20):
                copy.write(view[start:start + (1 << 20)])
        problems = [f"count(*) FILTER (WHERE {sid} IS NULL OR {sid} <> btrim({sid}) OR {sid} = '')"]
        missing = []
        for col, kind in kinds.items():
            if kind in ("num", "int"):
                extra = f" OR ({col} ~ '[.eE]' AND {col}::numeric % 1 <> 0)" if kind == "int" else ""
                problems.append(f"count(*) FILTER (WHERE {col} IS NOT NULL AND ({col} !~ '{PLAIN_NUMBER}'{extra}))")
                missing.append(f"count(*) FILTER (WHERE {col} IS NULL)")
            elif kind == "date":
                problems.append(f"count(*) FILTER (WHERE {col} IS NULL OR {col} !~ '{PLAIN_DATE}')")
            elif kind == "text":
                missing.append(f"count(*) FILTER (WHERE {col} IS NULL OR btrim({col}) = '')")
        cur.execute(f"SELECT count(*), {' + '.join(problems)}, {' + '.join(missing) or '0'} "
                    f"FROM {stage} WHERE {not_blank}")
        rows_read, bad, n_missing = cur.fetchone()
        if bad:
            raise Fallback
        cur.execute(f"SELECT DISTINCT {sid} FROM {stage} WHERE {not_blank}")
        numbers = [r[0] for r in cur.fetchall()]
        mapping = {}
        for number in numbers:
            student_id = ids.get(pseudonym(number))
            if student_id is None:
                raise Fallback   # unknown student: the Python path reports the rows
            mapping[number] = student_id
        cur.execute(f"CREATE TEMP TABLE {stage}_map (no text PRIMARY KEY, sid bigint) ON COMMIT DROP")
        with cur.cursor.copy(f"COPY {stage}_map FROM STDIN") as copy:
            for number, student_id in mapping.items():
                copy.write_row((number, student_id))
        d = maps["occurred_on"]
        cur.execute(f"SELECT DISTINCT left({d}, 4) || CASE WHEN substring({d}, 6, 2)::int <= 6 THEN '-1' "
                    f"ELSE '-2' END FROM {stage} WHERE {not_blank}")
        ensure_partitions([r[0] for r in cur.fetchall()])
        batch = ImportBatch.objects.create(source=source, file_name=name[:255], sha256=sha,
                                           schema_version=SCHEMA_VERSION, rows_read=rows_read,
                                           missing_values=n_missing, encoding=encoding.lower(),
                                           imported_by=_user(user))
        value = f"s.{maps['value']}::float8" if "value" in maps else "NULL"
        weight = f"s.{maps['weight']}::float8" if "weight" in maps else "NULL"
        category = f"coalesce(left(btrim(s.{maps['category']}), 64), '')" if "category" in maps else "''"
        cur.execute(
            "INSERT INTO portraits_record (batch_id, student_id, source, occurred_on, period, value, weight, "
            f"category) SELECT %s, m.sid, %s, s.{d}::timestamp::date, left(s.{d}, 4) || CASE WHEN "
            f"substring(s.{d}, 6, 2)::int <= 6 THEN '-1' ELSE '-2' END, {value}, {weight}, {category} "
            f"FROM (SELECT DISTINCT {', '.join(cols)} FROM {stage} WHERE {not_blank}) s "
            f"JOIN {stage}_map m ON m.no = s.{sid}", [batch.id, source])
        stored = cur.rowcount
        cur.execute(f"DROP TABLE {stage}; DROP TABLE {stage}_map")
    batch.rows_stored, batch.duplicates_dropped = stored, rows_read - stored
    batch.save(update_fields=["rows_stored", "duplicates_dropped"])
    report.files.append(FileReport(name=name, source=source, status="imported", encoding=encoding.lower(),
                                   rows_read=rows_read, rows_stored=stored, duplicates=rows_read - stored,
                                   missing_values=n_missing, batch_id=batch.id))
