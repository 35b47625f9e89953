"""PostgreSQL fast path of the import: Arrow parses and checks, PostgreSQL only stores (binary COPY).

A producer thread takes the record files one by one (smallest first): exact duplicate lines are found
with a C-level dict over the file's lines, pyarrow's C++ CSV reader parses and type-checks the whole file,
student numbers are mapped to roster ids (one HMAC per distinct number), and numpy encodes the rows
straight into PostgreSQL's binary COPY format (no text parsing on the server). The main thread COPYs each
prepared file inside its own savepoint while the producer prepares the next one, so on two cores parsing
and storing overlap.

A file is checked completely before any of it is sent. On ANY doubt — a cell that is not in the plain
format, a blank or padded or unknown student number, blank lines between records, a quoted line break,
a "nan" or "inf" — the Python parser (imports.parse_file) does that file instead, accepting the messier
formats (thousands separators, Excel serials, slashes); a database error during a file's COPY rolls back
its savepoint and sends it the same way. If the Python parser finds a real error the whole transaction is
rolled back and the import is redone by the Python path, which writes the exact (file, row, column,
reason) report. So both paths store the same rows, and a bad import still stores nothing.

Record ids are batch id × 2³² + row number (imports.record_ids: unique by construction, no sequence call
per row); the records table has no index (migration 0003), so COPY does no index upkeep.
"""
from __future__ import annotations

import csv
import io
import itertools
import logging
import queue
import re
import threading
import traceback
from collections.abc import Callable
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from django.db import DatabaseError, connection, transaction

from ..models import ImportBatch, Source, Student
from ..schema import SCHEMA_VERSION, SCHEMAS, column_lookup, header_key
from .imports import CategoryCodes
from .pseudonym import pseudonym

logger = logging.getLogger(__name__)

CHUNK_ROWS = 100_000
PG_EPOCH_DAYS = 10_957            # 2000-01-01 − 1970-01-01: PostgreSQL counts dates from 2000
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8
COPY_TRAILER = b"\xff\xff"
ARROW_TYPES = {"num": pa.float64(), "int": pa.int64(), "date": pa.timestamp("s"), "text": pa.string(),
               "id": pa.string()}


class Fallback(Exception):
    """The fast path cannot vouch for this file; use the Python parser."""


class NeedPartitions(Exception):
    """The file has rows for periods without a partition yet (created, then the file is redone)."""

    def __init__(self, periods: set[str]) -> None:
        super().__init__(sorted(periods))
        self.periods = periods


def _utf8(data: bytes) -> tuple[bytes, str]:
    """The file as UTF-8 bytes (BOM dropped, GB18030/GBK transcoded) and the encoding it came in, named as the
    Python parser names it (imports.decode)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data[3:].decode("utf-8")   # a BOM promises UTF-8: anything else is the Python parser's to report
        return data[3:], "utf-8-sig"
    if data.isascii():   # ASCII is UTF-8; the check is ~20× cheaper than decoding a big export
        return data, "utf-8"
    try:
        data.decode("utf-8")
        return data, "utf-8"
    except UnicodeDecodeError:
        return data.decode("gb18030").encode("utf-8"), "gb18030"


def fast_import(fresh: list[tuple[str, bytes]], hashes: dict[str, str], user: Any) -> Any:
    """Return an ImportReport when the fast path imported everything, or None to fall back."""
    from .imports import ImportReport, detect_source

    plan = []
    for name, data in fresh:
        if not name.lower().endswith(".csv"):
            return None
        try:
            text, encoding = _utf8(data)
        except UnicodeDecodeError:
            return None
        newline = text.find(b"\n")
        first = text if newline < 0 else text[:newline]
        header = next(csv.reader(io.StringIO(first.decode("utf-8").rstrip("\r"))), [])
        source = detect_source(name, header)
        if source is None:
            return None
        plan.append(_Plan(name=name, data=data, header=header, text=text, start=len(first) + 1, encoding=encoding,
                          source=source))
    report = ImportReport()
    try:
        with transaction.atomic():
            _run(plan, hashes, user, report)
    except (Fallback, DatabaseError):
        return None
    return report


@dataclass
class _Plan:
    name: str
    data: bytes
    header: list[str]
    text: bytes        # the file as UTF-8 (the same object as `data` when it was UTF-8 without BOM)
    start: int         # where the records begin (after the header line)
    encoding: str
    source: str


def _run(plan: list[_Plan], hashes: dict[str, str], user: Any, report: Any) -> None:
    """The producer starts on the record files at once; the roster is parsed meanwhile, and the producer waits
    for the students' ids only when it first maps student numbers."""
    rosters = [p for p in plan if p.source == Source.ROSTER]
    records = sorted((p for p in plan if p.source != Source.ROSTER), key=lambda p: len(p.text) - p.start)
    if not records:
        _store_rosters(_parse_rosters(rosters, hashes, report), None, user, report)
        return
    with connection.cursor() as cur:
        cur.execute("SELECT nextval(pg_get_serial_sequence('portraits_importbatch', 'id')) "
                    "FROM generate_series(1, %s)", [len(records)])
        batch_ids = [r[0] for r in cur.fetchall()]
    partitions = _existing_partitions()
    categories = CategoryCodes()
    # Student ids are known before the roster is stored (existing ones read, new ones reserved from the
    # sequence), so the producer can map student numbers while this thread writes the roster.
    ids = dict(Student.objects.values_list("pseudonym", "id"))
    roster_parsed = threading.Event()
    with _producer(records, batch_ids, ids, categories, roster_parsed) as receive:
        try:
            # Only the rosters' student numbers are read before the producer may go on (the full parse,
            # with every check, follows while the COPY runs, and must find exactly these students).
            early = set().union(*(_roster_pseudonyms(p) for p in rosters))
            new = sorted(early - ids.keys())
            if new:
                with connection.cursor() as cur:
                    cur.execute("SELECT nextval(pg_get_serial_sequence('portraits_student', 'id')) "
                                "FROM generate_series(1, %s)", [len(new)])
                    ids.update(zip(new, (r[0] for r in cur.fetchall()), strict=True))
        finally:
            roster_parsed.set()   # on failure the producer finds no ids and falls back; we are leaving anyway
        parsed = _parse_rosters(rosters, hashes, report)
        if {str(p) for pf in parsed for p in pf.frame["pseudonym"].tolist()} != early:
            raise Fallback   # the quick read disagrees with the parser: let the Python path decide
        # Records first: the server starts on the COPY at once, and the roster (whose ids the records already
        # carry; the table has no FKs) is written after them in the same transaction.
        _store_records(records, batch_ids, receive, partitions, hashes, ids, categories, user, report)
        _store_rosters(parsed, ids, user, report)
        categories.save()
        report.files.sort(key=lambda f: f.source != Source.ROSTER)   # the roster first, as the Python path reports


def _roster_pseudonyms(p: _Plan) -> set[str]:
    """The pseudonyms of a roster's student numbers, read with the csv module (a roster whose numbers this
    quick read gets wrong is caught when the full parse disagrees)."""
    lookup = column_lookup(SCHEMAS[Source.ROSTER])
    where = [j for j, h in enumerate(p.header) if lookup.get(header_key(h)) == "student_no"]
    if len(where) != 1:
        raise Fallback
    rows = csv.reader(io.StringIO(p.text[p.start:].decode("utf-8")), skipinitialspace=True)
    numbers = {row[where[0]].strip() for row in rows if len(row) > where[0]}
    return {pseudonym(n) for n in numbers if n}


def _parse_rosters(rosters: list[_Plan], hashes: dict[str, str], report: Any) -> list[Any]:
    from .imports import parse_file

    known = set(Student.objects.values_list("pseudonym", flat=True))
    parsed = []
    for p in rosters:
        pf = parse_file(p.name, p.data, report, sha256=hashes[p.name], known_students=known)
        if pf is None or not report.ok:
            raise Fallback
        parsed.append(pf)
    return parsed


def _store_rosters(parsed: list[Any], ids: dict[str, int] | None, user: Any, report: Any) -> None:
    from .imports import _roster_upsert

    for pf in parsed:
        created, updated = _roster_upsert(pf, ids)
        report.students_created += created
        report.students_updated += updated
        fr = pf.report
        batch = ImportBatch.objects.create(source=fr.source, file_name=fr.name[:255], sha256=pf.sha256,
                                           schema_version=SCHEMA_VERSION, rows_read=fr.rows_read,
                                           rows_stored=len(pf.frame), duplicates_dropped=fr.duplicates,
                                           missing_values=fr.missing_values, encoding=fr.encoding,
                                           imported_by=_user(user))
        fr.batch_id, fr.rows_stored, fr.status = batch.id, len(pf.frame), "imported"


def _store_records(records: list[_Plan], batch_ids: list[int], receive: Any, partitions: set[str],
                   hashes: dict[str, str], ids: dict[str, int], categories: CategoryCodes, user: Any,
                   report: Any) -> None:
    """The producer thread checks and encodes the files (smallest first, so the COPY starts early) while this
    thread COPYs what is ready, so parsing a block overlaps with storing the previous one."""
    while (message := receive())[0] != "done":
        if message[0] == "error":
            logger.error("portraits import: the fast path's producer failed:\n%s", message[1])
            raise Fallback
        plan, batch_id = records[message[1]], batch_ids[message[1]]
        if message[0] == "fallback":
            _python_file(plan.name, plan.data, hashes[plan.name], ids, categories, user, report)
            continue

        def from_producer() -> Any:
            while True:
                item = receive()
                yield item
                if item[0] != "data":
                    return
        _store_file(plan, batch_id, from_producer(), partitions, hashes, ids, categories, user, report)


@contextmanager
def _producer(records: list[_Plan], batch_ids: list[int], ids: dict[str, int],  # type: ignore[no-untyped-def]
              categories: CategoryCodes, ids_ready: threading.Event):
    """Run `_produce` in a thread; yield the function that receives its messages. (A forked producer process
    was measured too: copy-on-write faults and the pipe cost more CPU than the threads' GIL hand-offs, whose
    long holds are short here — Arrow and numpy release the GIL, a block's hashing holds it ~15 ms.)"""
    # Room for a few blocks of a big file, and for the small files' messages while the roster is stored.
    box: queue.Queue = queue.Queue(maxsize=16)
    stop = threading.Event()

    def send(message: tuple) -> None:
        if stop.is_set():
            raise SystemExit
        box.put(message)

    def run() -> None:
        try:
            _produce(records, batch_ids, ids, categories, ids_ready, send)
        except SystemExit:
            pass
        except BaseException:  # noqa: BLE001 - reported to the consumer, which falls back
            box.put(("error", traceback.format_exc()))

    thread = threading.Thread(target=run, name="portraits-import", daemon=True)
    thread.start()
    try:
        yield box.get
    finally:
        stop.set()
        while thread.is_alive():   # unblock a producer waiting on a full queue
            with suppress(queue.Empty):
                box.get(timeout=0.1)
        thread.join()


def _produce(records: list[_Plan], batch_ids: list[int], ids: dict[str, int], categories: CategoryCodes,
             ids_ready: threading.Event, send: Any) -> None:
    """Per file: ("fallback", i) — or ("file", i), ("data", payload, periods)…, then ("end", counts), or
    ("fallback",) if a later block is not plain; finally ("done",)."""
    known: dict[str, int] = {}   # student number → roster id, one HMAC per number for the whole import
    for i, (p, batch_id) in enumerate(zip(records, batch_ids, strict=True)):
        stream = _FileStream(p, batch_id, ids, known, categories, ids_ready)
        try:
            stream.scan()
        except Fallback:
            send(("fallback", i))
            continue
        send(("file", i))
        for message in stream.messages():
            send(message)
    send(("done",))


def _store_file(plan: _Plan, batch_id: int, messages: Any, partitions: set[str], hashes: dict[str, str],
                ids: dict[str, int], categories: CategoryCodes, user: Any, report: Any) -> None:
    """Store one file from its messages. A block with a half-year that has no partition yet aborts the COPY
    (partitions cannot be created during it): the partitions are created and this thread redoes the file."""
    from .imports import FileReport

    def drop(messages: Any) -> None:
        if local:
            messages.close()   # a stream of this thread: simply abandoned
        else:
            for _rest in messages:   # the producer's remaining messages for this file
                pass

    local = False
    for _attempt in range(4):
        try:
            counts = _copy_file(plan, batch_id, messages, partitions, hashes, user)
        except NeedPartitions as need:
            drop(messages)
            _ensure_partitions(need.periods, partitions)
            stream, local = _FileStream(plan, batch_id, ids, {}, categories), True
            try:
                stream.scan()
            except Fallback:
                break
            messages = stream.messages()
            continue
        except (Fallback, DatabaseError):
            drop(messages)
            break
        report.files.append(FileReport(
            name=plan.name, source=plan.source, status="imported", encoding=plan.encoding,
            rows_read=counts.rows_read, rows_stored=counts.stored, duplicates=counts.rows_read - counts.stored,
            missing_values=counts.missing, batch_id=batch_id))
        return
    _python_file(plan.name, plan.data, hashes[plan.name], ids, categories, user, report)


def _copy_file(plan: _Plan, batch_id: int, messages: Any, partitions: set[str], hashes: dict[str, str],
               user: Any) -> _Counts:
    """COPY one file's payloads inside a savepoint, then its ImportBatch row (its id was reserved)."""
    cols = "id, batch_id, student_id, occurred_on, value, weight, category_id"
    with transaction.atomic(), connection.cursor() as cur:
        with cur.cursor.copy(f"COPY portraits_record ({cols}) FROM STDIN (FORMAT binary)") as copy:
            copy.write(COPY_HEADER)
            for message in messages:
                if message[0] != "data":
                    break
                if new := set(message[2]) - partitions:
                    raise NeedPartitions(new)
                copy.write(message[1])
            if message[0] != "end":
                raise Fallback
            copy.write(COPY_TRAILER)
        counts = message[1]
        ImportBatch.objects.create(id=batch_id, source=plan.source, file_name=plan.name[:255],
                                   sha256=hashes[plan.name], schema_version=SCHEMA_VERSION,
                                   rows_read=counts.rows_read, rows_stored=counts.stored,
                                   duplicates_dropped=counts.rows_read - counts.stored, missing_values=counts.missing,
                                   encoding=plan.encoding, imported_by=_user(user))
    return counts


def _existing_partitions() -> set[str]:
    with connection.cursor() as cur:
        cur.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "WHERE i.inhparent = 'portraits_record'::regclass")
        names = [r[0] for r in cur.fetchall()]
    return {m.group(1) + "-" + m.group(2) for n in names if (m := re.fullmatch(r"portraits_record_p(\d{4})_([12])", n))}


def _ensure_partitions(periods: set[str], existing: set[str]) -> None:
    from .imports import ensure_partitions

    ensure_partitions(sorted(periods))
    existing |= periods


def _python_file(name: str, data: bytes, sha: str, ids: dict[str, int], categories: CategoryCodes, user: Any,
                 report: Any) -> None:
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
    fr.rows_stored = write_records(_records_frame(pf, batch.id, ids, categories))
    batch.rows_stored = fr.rows_stored
    batch.save(update_fields=["rows_stored"])
    fr.batch_id, fr.status = batch.id, "imported"
    report.files.append(fr)


def _user(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


# --- one record file: checked and encoded off the main thread --------------------------------------------

@dataclass
class _Layout:
    """Where the schema's columns are in the file and how Arrow should read them."""

    names: list[str]                     # c0, c1 … (the file's header may be Chinese or repeat a name)
    types: dict[str, pa.DataType]
    kinds: dict[str, str]                # column name in the file → schema kind
    maps: dict[str, str]                 # occurred_on / value / weight / category → column name
    sid: str


def _layout(p: _Plan) -> _Layout:
    schema = SCHEMAS[p.source]
    lookup = column_lookup(schema)
    where: dict[str, int] = {}
    for j, h in enumerate(p.header):
        target = lookup.get(header_key(h))
        if target is not None:
            if target in where:
                raise Fallback
            where[target] = j
    if any(c not in where for c in schema.required):
        raise Fallback
    cols = {c.name: f"c{where[c.name]}" for c in schema.columns if c.name in where and c.kind != "drop"}
    kinds = {cols[c.name]: c.kind for c in schema.columns if c.name in cols}
    return _Layout(names=[f"c{j}" for j in range(len(p.header))],
                   types={col: ARROW_TYPES[kind] for col, kind in kinds.items()}, kinds=kinds,
                   maps={c.maps_to: cols[c.name] for c in schema.columns if c.maps_to and c.name in cols},
                   sid=cols["student_no"])


@dataclass
class _Counts:
    rows_read: int = 0
    stored: int = 0
    missing: int = 0


def _line_breaks(view: memoryview) -> np.ndarray:
    """Positions of the line breaks, found 16 MB at a time (no file-sized temporary)."""
    step = 1 << 24
    parts = [np.flatnonzero(np.frombuffer(view[i:i + step], dtype=np.uint8) == 10) + i
             for i in range(0, len(view), step)]
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


_MIX1, _MIX2, _SHIFT = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(31)


def _line_hashes(view: memoryview, firsts: np.ndarray, lasts: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each line's bytes (view[first:last]) computed with numpy, 8 bytes at a time: words
    are read at any offset through an unaligned view with a one-byte stride, and the bytes past a line's end
    are masked off, so equal lines always get equal hashes. ~2× cheaper than Python's hash over split lines,
    and numpy does it mostly without the GIL. Different lines may share a hash: `_distinct_rows` compares
    those byte for byte."""
    size = len(view)
    if size < 8 or not len(firsts):
        return np.fromiter((hash(bytes(view[a:b])) for a, b in zip(firsts.tolist(), lasts.tolist(), strict=True)),
                           dtype=np.int64, count=len(firsts))
    words = np.ndarray(shape=(size - 7,), dtype="<u8", buffer=view, strides=(1,))
    lengths = lasts - firsts
    h = lengths.astype(np.uint64) * _MIX1
    for k in range(0, int(lengths.max()), 8):
        rows = np.flatnonzero(lengths > k)
        offset = firsts[rows] + k
        clipped = np.minimum(offset, size - 8)   # the file's last bytes: read the last full word and shift
        word = words[clipped] >> ((offset - clipped).astype(np.uint64) * np.uint64(8))
        left = lengths[rows] - k
        if (short := left < 8).any():
            word[short] &= (np.uint64(1) << (left[short].astype(np.uint64) * np.uint64(8))) - np.uint64(1)
        mixed = (h[rows] ^ word) * _MIX2
        h[rows] = mixed ^ (mixed >> _SHIFT)
    return h.view(np.int64)


def _distinct_rows(hashes: np.ndarray, line: Callable[[int], bytes]) -> np.ndarray | None:
    """Row numbers of each distinct line's first occurrence, or None when no line repeats.

    Lines are compared by their 64-bit hash (`_line_hashes`); repeats are found with
    pandas' hash table, and only lines whose hash repeats are compared byte for byte, so two different
    lines that happen to share a hash are both kept."""
    repeated = pd.Series(hashes).duplicated().to_numpy()
    if not repeated.any():
        return None
    drop = []
    groups: dict[int, set[bytes]] = {}
    for row in np.flatnonzero(np.isin(hashes, np.unique(hashes[repeated]))).tolist():   # ascending
        seen = groups.setdefault(int(hashes[row]), set())
        text = line(row)
        if text in seen:
            drop.append(row)
        else:
            seen.add(text)
    if not drop:
        return None
    keep = np.ones(len(hashes), dtype=bool)
    keep[drop] = False
    return np.flatnonzero(keep)


def _dictionary(column: pa.ChunkedArray) -> tuple[list[Any], np.ndarray]:
    encoded = pc.dictionary_encode(column).combine_chunks()
    return encoded.dictionary.to_pylist(), encoded.indices.to_numpy(zero_copy_only=False)


def _floats(column: pa.ChunkedArray | None, n: int) -> np.ndarray:
    """Float64 values with NaN for a blank cell; a "nan" or "inf" written in the file is not plain."""
    if column is None:
        return np.full(n, np.nan)
    values = column.cast(pa.float64()).to_numpy()   # nulls → NaN
    if int(np.isnan(values).sum()) != column.null_count or np.isinf(values).any():
        raise Fallback
    return values


class _FileStream:
    """One record file, checked and encoded block by block (no database): `scan` looks at the whole file
    (blank lines, quoted line breaks, duplicate lines), `messages` parses CHUNK_ROWS lines at a time."""

    def __init__(self, plan: _Plan, batch_id: int, ids: dict[str, int], known: dict[str, int],
                 categories: CategoryCodes, ids_ready: threading.Event | None = None) -> None:
        self.plan, self.batch_id, self.ids, self.known, self.ids_ready = plan, batch_id, ids, known, ids_ready
        self.categories = categories
        self.counts = _Counts()

    def scan(self) -> None:
        self.layout = _layout(self.plan)
        text, start, end = self.plan.text, self.plan.start, len(self.plan.text)
        while end > start and text[end - 1] in (10, 13):   # trailing line breaks
            end -= 1
        if end <= start:
            raise Fallback
        view = self.view = memoryview(text)[start:end]
        breaks = _line_breaks(view)
        n = self.counts.rows_read = len(breaks) + 1
        firsts, lasts = np.r_[0, breaks + 1], np.r_[breaks, len(view)]
        lengths = lasts - firsts
        short = np.flatnonzero(lengths <= 1)   # "" or "\r": found from the line breaks, no extra pass over the text
        if len(short) and (not lengths[short].all() or (np.frombuffer(view, dtype=np.uint8)[firsts[short]] == 13).any()):
            raise Fallback   # blank lines between records: the Python parser skips them and keeps row numbers
        if text.find(b'"', start, end) >= 0:
            quotes = np.flatnonzero(np.frombuffer(view, dtype=np.uint8) == 34)
            if (np.bincount(np.searchsorted(breaks, quotes), minlength=n) % 2).any():
                raise Fallback   # a quoted line break: one record spans lines, line-based de-duplication is unsafe
        hashes = np.empty(n, dtype=np.int64)
        for a in range(0, n, CHUNK_ROWS):   # a block's lines at a time: bounded temporaries for a big file
            b = min(n, a + CHUNK_ROWS)
            hashes[a:b] = _line_hashes(view, firsts[a:b], lasts[a:b])
        keep = _distinct_rows(hashes, lambda row: bytes(view[firsts[row]:lasts[row]]))
        self.keep = None if keep is None else np.zeros(n, dtype=bool)
        if keep is not None:
            self.keep[keep] = True
        # Blocks of CHUNK_ROWS lines, cut just after every CHUNK_ROWS-th line break.
        self.bounds = [0, *(breaks[CHUNK_ROWS - 1::CHUNK_ROWS] + 1).tolist()]
        if self.bounds[-1] < len(view) + 1:
            self.bounds.append(len(view) + 1)

    def messages(self):  # type: ignore[no-untyped-def]
        row = 0
        read = pcsv.ReadOptions(column_names=self.layout.names, use_threads=False, block_size=1 << 24)
        parse = pcsv.ParseOptions(newlines_in_values=False)
        convert = pcsv.ConvertOptions(column_types=self.layout.types, include_columns=list(self.layout.types),
                                      null_values=[""], strings_can_be_null=False, timestamp_parsers=[pcsv.ISO8601])
        view = self.view
        try:
            for start, stop in itertools.pairwise(self.bounds):
                block = pa.py_buffer(view[start:stop - 1])
                try:
                    table = pcsv.read_csv(block, read_options=read, parse_options=parse, convert_options=convert)
                except pa.ArrowInvalid:
                    table = self._with_separators(block, read, parse, convert)
                n = table.num_rows
                if n != min(CHUNK_ROWS, self.counts.rows_read - row):
                    raise Fallback
                if self.keep is not None:
                    keep = self.keep[row:row + n]
                    if not keep.all():
                        table = table.filter(pa.array(keep))
                row += n
                if table.num_rows == 0:
                    continue
                payload, periods = self._block(table)
                yield ("data", payload, periods)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, Fallback):
            yield ("fallback",)
            return
        yield ("end", self.counts)

    def _with_separators(self, block: pa.Buffer, read: Any, parse: Any, convert: Any) -> pa.Table:
        """A block whose numbers did not parse, read again with the number columns as text: thousands
        separators, spaces and ¥ are removed as the Python parser removes them (imports.parse_numbers) and a
        cell left empty is missing. Anything still not a plain number raises (the file goes to the Python
        parser); RE2's \\s is a subset of Python's, so a difference can only send a file there, never store
        another value."""
        numbers = [col for col, kind in self.layout.kinds.items() if kind == "num"]
        if not numbers:
            raise Fallback
        as_text = pcsv.ConvertOptions(
            column_types={**self.layout.types, **dict.fromkeys(numbers, pa.string())},
            include_columns=convert.include_columns, null_values=[""], strings_can_be_null=False,
            timestamp_parsers=[pcsv.ISO8601])
        table = pcsv.read_csv(block, read_options=read, parse_options=parse, convert_options=as_text)
        for col in numbers:
            cleaned = pc.replace_substring_regex(table.column(col), pattern=r"[,\s¥￥，]", replacement="")
            cleaned = pc.if_else(pc.equal(cleaned, ""), pa.scalar(None, pa.string()), cleaned)
            table = table.set_column(table.schema.get_field_index(col), col, pc.cast(cleaned, pa.float64()))
        return table

    def _block(self, table: pa.Table) -> tuple[bytes | memoryview, list[str]]:
        layout, counts = self.layout, self.counts
        n = table.num_rows
        texts: dict[str, tuple[list[Any], np.ndarray]] = {}   # dictionary-encoded once, used twice
        floats: dict[str, np.ndarray] = {}                     # converted once, used twice
        for col, kind in layout.kinds.items():
            column = table.column(col)
            if kind == "date" and column.null_count:
                raise Fallback
            if kind in ("num", "int"):
                counts.missing += column.null_count
                if kind == "num":
                    floats[col] = _floats(column, n)
            elif kind == "text":
                words, index = texts[col] = _dictionary(column)
                blank = np.array([w.strip() == "" for w in words], dtype=bool)
                counts.missing += int(np.bincount(index, minlength=len(words))[blank].sum()) if len(words) else 0

        if self.ids_ready is not None:
            self.ids_ready.wait()   # the roster of this import is being parsed by the main thread
        numbers, index = _dictionary(table.column(layout.sid))
        students = np.empty(len(numbers), dtype=np.int64)
        for i, number in enumerate(numbers):
            if number not in self.known:
                student = self.ids.get(pseudonym(number)) if number and number == number.strip() else None
                if student is None:
                    raise Fallback   # blank, padded or unknown student number: the Python path reports the rows
                self.known[number] = student
            students[i] = self.known[number]

        days = table.column(layout.maps["occurred_on"]).cast(pa.int64()).to_numpy() // 86_400
        # The block's half-years (partitions must exist before its rows arrive): 0 = 1970 January–June.
        halves = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) // 6
        low, high = int(halves.min()), int(halves.max())
        if low < (1000 - 1970) * 2 or high >= (10000 - 1970) * 2:
            raise Fallback
        present = [low] if low == high else (np.flatnonzero(np.bincount(halves - low)) + low).tolist()
        periods = [f"{1970 + h // 2}-{h % 2 + 1}" for h in present]

        def numbers_of(target: str) -> np.ndarray:
            col = layout.maps.get(target)
            if col in floats:
                return floats[col]
            return _floats(table.column(col) if col else None, n)

        if "category" in layout.maps:
            words, word_index = texts[layout.maps["category"]]
            categories = self.categories.codes([w.strip()[:64] for w in words])[word_index] if words else np.full(n, -1)
        else:
            categories = np.full(n, -1)
        rows = _Rows(ids=(np.int64(self.batch_id) << np.int64(32)) + counts.stored + np.arange(n),   # record_ids
                     batch_id=self.batch_id, students=students[index], days=days - PG_EPOCH_DAYS,
                     value=numbers_of("value"), weight=numbers_of("weight"), categories=categories)
        counts.stored += n
        return rows.binary(), periods


@dataclass
class _Rows:
    ids: np.ndarray
    batch_id: int
    students: np.ndarray
    days: np.ndarray
    value: np.ndarray
    weight: np.ndarray
    categories: np.ndarray   # RecordCategory codes, -1 = NULL

    def binary(self) -> bytes | memoryview:
        """The rows in COPY BINARY tuple format. A tuple's layout depends on which fields are NULL, so rows
        are grouped by that shape and each group is one numpy structured array (fixed-width big-endian
        fields) — no per-row Python."""
        shape = (self.categories < 0) * 4 + np.isnan(self.value) * 2 + np.isnan(self.weight)
        groups = np.flatnonzero(np.bincount(shape)).tolist()
        if len(groups) == 1:   # one shape (typical of a whole file): no row selection at all
            return self._group(slice(None), len(shape), bool(groups[0] & 4), bool(groups[0] & 2), bool(groups[0] & 1))
        return b"".join(self._group(rows, len(rows), bool(k & 4), bool(k & 2), bool(k & 1))
                        for k in groups for rows in [np.flatnonzero(shape == k)])

    def _group(self, rows: np.ndarray | slice, n: int, c_null: bool, v_null: bool, w_null: bool) -> memoryview:
        fields = [("nf", ">i2"), ("l0", ">i4"), ("id", ">i8"), ("l1", ">i4"), ("batch", ">i8"), ("l2", ">i4"),
                  ("student", ">i8"), ("l3", ">i4"), ("day", ">i4"), ("l4", ">i4")]
        fields += [] if v_null else [("value", ">f8")]
        fields += [("l5", ">i4")] + ([] if w_null else [("weight", ">f8")])
        fields += [("l6", ">i4")] + ([] if c_null else [("category", ">i2")])
        template = np.zeros(1, dtype=fields)
        constants = {"nf": 7, "l0": 8, "l1": 8, "batch": self.batch_id, "l2": 8, "l3": 4,
                     "l4": -1 if v_null else 8, "l5": -1 if w_null else 8, "l6": -1 if c_null else 2}
        for name, value in constants.items():
            template[name] = value
        out = np.empty(n, dtype=template.dtype)
        out[:] = template[0]
        out["id"] = self.ids[rows]
        out["student"] = self.students[rows]
        out["day"] = self.days[rows]
        if not v_null:
            out["value"] = self.value[rows]
        if not w_null:
            out["weight"] = self.weight[rows]
        if not c_null:
            out["category"] = self.categories[rows]
        return memoryview(out).cast("B")   # the array's own bytes: no copy (tobytes was half of the encoding)
