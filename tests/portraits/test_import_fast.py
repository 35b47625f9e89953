"""The PostgreSQL fast path (Arrow → binary COPY) stores exactly what the Python path stores, falls back on
anything it cannot vouch for, and de-duplicates exactly."""
from __future__ import annotations

import random
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from django.db import connection

from portraits.models import ImportBatch, Record, RecordCategory, Student
from portraits.services import campus_import, imports_pg
from portraits.services.campus import campus_import_paths
from portraits.services.imports import CategoryCodes
from portraits.synth import generate
from tests.portraits.factories import spy_python_parser

pytestmark = pytest.mark.django_db

ROSTER = ("student_no,name,gender,age,province,college,grade,major\n"
          "T001,Synthetic A,female,19,Shandong,Clinical Medicine,2024,Clinical Medicine\n"
          "T002,Synthetic B,male,20,Hebei,Clinical Medicine,2024,Clinical Medicine\n")


def _stored() -> tuple[Counter, list[tuple], list[str]]:
    rows = Counter(Record.objects.described().values_list("student__pseudonym", "source", "occurred_on", "period",
                                                          "value", "weight", "category__name"))
    batches = sorted(ImportBatch.objects.values_list("file_name", "source", "rows_read", "rows_stored",
                                                     "duplicates_dropped", "missing_values", "encoding"))
    return rows, batches, sorted(RecordCategory.objects.values_list("name", flat=True))


def _wipe() -> None:
    Record.objects.all().delete()
    ImportBatch.objects.all().delete()
    Student.objects.all().delete()
    RecordCategory.objects.all().delete()


def _python_path_only(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(imports_pg, "fast_import", lambda *args, **kwargs: None)


def _assert_python_path_stores_the_same(monkeypatch, records: str) -> None:  # type: ignore[no-untyped-def]
    """What the fast path stored equals what the Python path stores from the same roster and records file."""
    fast = _stored()
    _wipe()
    _python_path_only(monkeypatch)
    assert campus_import(files=[("roster.csv", ROSTER.encode())]).ok
    assert campus_import(files=[("logistics.csv", records.encode())]).ok
    assert _stored() == fast


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("synth")
    generate(out, students=30, records=25000, seed=11, duplicates=0.02, missing=0.03)
    return out


@pytest.mark.postgres
def test_fast_path_stores_exactly_what_the_python_path_stores(synth_dir, monkeypatch):
    slow = spy_python_parser(monkeypatch)
    report = campus_import_paths([synth_dir])
    assert report.ok, report.errors
    # research.csv has thousands separators by design of the synthetic data: the fast path takes them too.
    assert slow == []
    fast_rows, fast_batches, fast_categories = _stored()
    assert fast_categories == sorted({row[-1] for row in fast_rows if row[-1] is not None})
    assert sum(b[3] for b in fast_batches if b[1] != "roster") == sum(fast_rows.values())
    assert sum(b[4] for b in fast_batches) > 0
    assert sum(b[5] for b in fast_batches) > 0
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), count(DISTINCT id) FROM portraits_record")
        total, distinct = cur.fetchone()
    assert total == distinct == sum(fast_rows.values())

    _wipe()
    _python_path_only(monkeypatch)
    assert campus_import_paths([synth_dir]).ok
    assert _stored() == (fast_rows, fast_batches, fast_categories)


@pytest.mark.postgres
@pytest.mark.parametrize(("records", "reason"), [
    ("student_no,paid_at,amount,place\nT001,2023-03-01,5,\"canteen\n2\"\nT002,2023-09-02,8,shop\n", "quoted line break"),
    ("student_no,paid_at,amount,place\nT001,2023-03-01,5,canteen\n\nT002,2023-09-02,8,shop\n", "blank line inside"),
    ("student_no,paid_at,amount,place\n T001,2023-03-01,5,canteen\nT002,2023-09-02,8,shop\n", "padded number"),
    ("student_no,paid_at,amount,place\nT001,2023/03/01,5,canteen\nT002,45171,8,shop\n", "slashes, Excel serial"),
])
def test_files_the_fast_path_cannot_vouch_for_go_through_the_python_parser(monkeypatch, records, reason):
    assert campus_import(files=[("roster.csv", ROSTER.encode())]).ok
    slow = spy_python_parser(monkeypatch)
    report = campus_import(files=[("logistics.csv", records.encode())])
    assert report.ok, (reason, report.errors)
    assert slow == ["logistics.csv"], reason
    _assert_python_path_stores_the_same(monkeypatch, records)


@pytest.mark.postgres
def test_plain_file_with_duplicates_crlf_bom_and_new_periods_takes_the_fast_path(monkeypatch):
    assert campus_import(files=[("roster.csv", ROSTER.encode())]).ok
    slow = spy_python_parser(monkeypatch)
    body = ("\ufeffstudent_no,paid_at,amount,place\r\n" "T001,2021-03-01 12:00,5.5,canteen 2\r\n"
            "T002,2025-11-30,,\r\n" "T001,2021-03-01 12:00,5.5,canteen 2\r\n" "T002,2021-07-01,7,  食堂  \r\n\r\n")
    report = campus_import(files=[("logistics.csv", body.encode())])
    assert report.ok, report.errors
    assert slow == []
    (f,) = report.files
    assert (f.rows_read, f.rows_stored, f.duplicates, f.missing_values, f.encoding) == (4, 3, 1, 2, "utf-8-sig")
    assert sorted(Record.objects.with_period().values_list("period", "value", "category__name"),
                  key=str) == [("2021-1", 5.5, "canteen 2"), ("2021-2", 7.0, "食堂"), ("2025-2", None, None)]
    with connection.cursor() as cur:
        cur.execute("SELECT tableoid::regclass::text, count(*) FROM portraits_record GROUP BY 1 ORDER BY 1")
        assert cur.fetchall() == [("portraits_record_p2021_1", 1), ("portraits_record_p2021_2", 1),
                                  ("portraits_record_p2025_2", 1)]


@pytest.mark.postgres
def test_thousands_separators_spaces_and_yuan_signs_take_the_fast_path(monkeypatch):
    records = ("student_no,paid_at,amount,place\n" 'T001,2023-03-01,"1,200.50",canteen\n' "T002,2023-03-02,¥8,shop\n"
               'T001,2023-03-03,"12 000",shop\n' "T002,2023-03-04,,canteen\n" "T001,2023-03-05,¥,shop\n"
               'T002,2023-09-01,"1,200.50",canteen\n' "T001,2023-09-02,7.25,shop\n")
    assert campus_import(files=[("roster.csv", ROSTER.encode())]).ok
    slow = spy_python_parser(monkeypatch)
    report = campus_import(files=[("logistics.csv", records.encode())])
    assert report.ok, report.errors
    assert slow == []
    assert (report.files[0].rows_stored, report.files[0].missing_values) == (7, 2)
    assert sorted(Record.objects.values_list("value", flat=True), key=str) == [
        1200.5, 1200.5, 12000.0, 7.25, 8.0, None, None]
    _assert_python_path_stores_the_same(monkeypatch, records)


@pytest.mark.postgres
def test_a_nan_written_out_is_not_taken_for_a_blank():
    assert campus_import(files=[("roster.csv", ROSTER.encode())]).ok
    before = _stored()
    report = campus_import(files=[("logistics.csv", b"student_no,paid_at,amount\nT001,2023-03-01,nan\n")])
    assert report.errors == [{"file": "logistics.csv", "row": 2, "column": "amount", "reason": "not a number: nan"}]
    assert _stored() == before


@pytest.mark.postgres
def test_an_unknown_student_rejects_the_whole_import_with_the_row(monkeypatch):
    assert campus_import(files=[("roster.csv", ROSTER.encode())]).ok
    before = _stored()
    good = "student_no,entered_at,venue\nT001,2023-03-01 08:00,pool\n"
    bad = "student_no,paid_at,amount,place\nT001,2023-03-01,5,canteen\nT999,2023-03-02,6,shop\n"
    report = campus_import(files=[("exercise.csv", good.encode()), ("logistics.csv", bad.encode())])
    assert not report.ok
    assert {"file": "logistics.csv", "row": 3, "column": "student_no",
            "reason": "unknown student: not in the roster"} in report.errors
    assert _stored() == before


def _first_occurrences(lines: list[bytes]) -> list[int]:
    seen: set[bytes] = set()
    keep = []
    for i, line in enumerate(lines):
        if line not in seen:
            seen.add(line)
            keep.append(i)
    return keep


@pytest.mark.parametrize("hasher", [hash, len], ids=["python-hash", "colliding-hash"])
def test_distinct_rows_keeps_each_first_occurrence_even_when_hashes_collide(hasher):
    rng = random.Random(5)
    lines = [f"S{rng.randrange(60)},2023-01-{rng.randrange(1, 29):02d},{rng.randrange(9)}".encode()
             for _ in range(3000)]

    def distinct(lines: list[bytes]):  # type: ignore[no-untyped-def]
        hashes = np.array([hasher(x) for x in lines], dtype=np.int64)
        return imports_pg._distinct_rows(hashes, lines.__getitem__)
    keep = distinct(lines)
    assert keep is not None
    assert keep.tolist() == _first_occurrences(lines)
    assert distinct(list(dict.fromkeys(lines))) is None


def test_line_hashes_are_equal_for_equal_lines_of_any_length_anywhere_in_the_text():
    rng = random.Random(7)
    for _ in range(300):
        lines = [bytes(rng.choice(b"ab,1\r\xe9") for _ in range(rng.randrange(1, 30))) for _ in range(rng.randrange(1, 30))]
        lines += [rng.choice(lines) for _ in range(5)]
        rng.shuffle(lines)
        text = memoryview(b"\n".join(lines))
        breaks = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == 10)
        hashes = imports_pg._line_hashes(text, np.r_[0, breaks + 1], np.r_[breaks, len(text)]).tolist()
        first: dict[bytes, int] = {}
        for line, h in zip(lines, hashes, strict=True):
            assert first.setdefault(line, h) == h, line


CHRONOLOGICAL = ("student_no,paid_at,amount,place\n"
                 "T001,2024-01-05,5,canteen\nT002,2024-02-05,6,canteen\nT001,2024-03-05,7,shop\n"
                 "T002,2024-07-05,8,shop\nT001,2024-08-05,9,canteen\n")


@pytest.mark.postgres
def test_a_half_year_first_seen_in_a_later_block_gets_its_partition_and_the_file_is_redone(monkeypatch):
    monkeypatch.setattr(imports_pg, "CHUNK_ROWS", 2)   # blocks: Jan–Feb | Mar–Jul | Aug
    assert campus_import(files=[("roster.csv", ROSTER.encode())]).ok
    slow = spy_python_parser(monkeypatch)
    report = campus_import(files=[("logistics.csv", CHRONOLOGICAL.encode())])
    assert report.ok, report.errors
    assert slow == []
    assert sorted(Record.objects.with_period().values_list("period", "value")) == [
        ("2024-1", 5.0), ("2024-1", 6.0), ("2024-1", 7.0), ("2024-2", 8.0), ("2024-2", 9.0)]
    assert ImportBatch.objects.get(source="logistics").rows_stored == 5


@pytest.mark.postgres
def test_a_messy_cell_in_a_later_block_sends_the_file_to_the_python_parser(monkeypatch):
    monkeypatch.setattr(imports_pg, "CHUNK_ROWS", 2)
    messy = CHRONOLOGICAL.replace("T001,2024-08-05,9,canteen", "T001,2024/8/5,1009,canteen")
    assert campus_import(files=[("roster.csv", ROSTER.encode())]).ok
    slow = spy_python_parser(monkeypatch)
    assert campus_import(files=[("logistics.csv", messy.encode())]).ok
    assert slow == ["logistics.csv"]
    assert sorted(Record.objects.values_list("value", flat=True)) == [5.0, 6.0, 7.0, 8.0, 1009.0]
    assert Record.objects.count() == ImportBatch.objects.get(source="logistics").rows_stored == 5


@pytest.mark.postgres
def test_a_crashing_producer_leaves_the_import_to_the_python_path(monkeypatch, caplog):
    def boom(self):  # type: ignore[no-untyped-def]
        raise RuntimeError("simulated bug in the producer")
    monkeypatch.setattr(imports_pg._FileStream, "scan", boom)
    assert campus_import(files=[("roster.csv", ROSTER.encode())]).ok
    report = campus_import(files=[("logistics.csv", CHRONOLOGICAL.encode())])
    assert report.ok, report.errors
    assert Record.objects.count() == 5
    assert "simulated bug in the producer" in caplog.text


@pytest.mark.postgres
def test_records_of_students_added_by_the_same_import_point_at_them(monkeypatch):
    assert campus_import(files=[("roster.csv", ROSTER.encode())]).ok
    slow = spy_python_parser(monkeypatch)
    roster = ("student_no,name,gender,age,province,college,grade,major\n"
              "T001,Synthetic A,female,20,Shandong,Public Health,2024,Preventive Medicine\n"
              "T003,Synthetic C,male,18,Hebei,Clinical Medicine,2025,Clinical Medicine\n")
    records = "student_no,paid_at,amount,place\nT001,2023-03-01,5,canteen\nT003,2023-03-02,6,shop\n"
    report = campus_import(files=[("logistics.csv", records.encode()), ("roster_2025.csv", roster.encode())])
    assert report.ok, report.errors
    assert slow == []
    assert (report.students_created, report.students_updated) == (1, 1)
    by_value = {v: s for v, s in Record.objects.values_list("value", "student__pseudonym")}
    assert by_value == {5.0: imports_pg.pseudonym("T001"), 6.0: imports_pg.pseudonym("T003")}
    assert Student.objects.get(pseudonym=imports_pg.pseudonym("T001")).college == "Public Health"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_imports_at_once_never_give_two_categories_one_code(monkeypatch):
    assert campus_import(files=[("roster.csv", ROSTER.encode())]).ok
    outcomes: list[str] = []
    real_fast, real_save = imports_pg.fast_import, CategoryCodes.save
    holding = threading.Event()

    def fast(*args, **kwargs):  # type: ignore[no-untyped-def]
        report = real_fast(*args, **kwargs)
        outcomes.append("fast" if report is not None else "fell back")
        return report

    def save_slowly(self):  # type: ignore[no-untyped-def]
        holding.set()       # the first import has handed out its codes …
        time.sleep(0.5)     # … and commits only after the second one has started
        real_save(self)

    monkeypatch.setattr(imports_pg, "fast_import", fast)
    monkeypatch.setattr(CategoryCodes, "save", save_slowly)

    def run(name: str, venue: str) -> None:
        try:
            body = f"student_no,entered_at,venue\nT001,2023-03-01 08:00,{venue}\n"
            assert campus_import(files=[(name, body.encode())]).ok
        finally:
            connection.close()

    first = threading.Thread(target=run, args=("exercise_a.csv", "gym"))
    first.start()
    assert holding.wait(10)
    second = threading.Thread(target=run, args=("exercise_b.csv", "pool"))
    second.start()
    first.join(20)
    second.join(20)
    # The second import waited for the first's commit (LOCK TABLE) instead of taking code 1 as well, which
    # would have failed its insert and sent it down the Python path.
    assert outcomes == ["fast", "fast"]
    assert sorted(Record.objects.values_list("batch__file_name", "category__name")) == [
        ("exercise_a.csv", "gym"), ("exercise_b.csv", "pool")]
    assert sorted(RecordCategory.objects.values_list("name", "id")) == [("gym", 1), ("pool", 2)]


@pytest.mark.postgres
def test_a_roster_the_quick_read_gets_wrong_leaves_the_import_to_the_python_path(monkeypatch):
    # The fast path maps student numbers from a quick read of the roster before its full parse; when the
    # two disagree nothing of the fast path is kept and the Python path imports everything.
    quick = imports_pg._roster_pseudonyms
    monkeypatch.setattr(imports_pg, "_roster_pseudonyms", lambda plan: quick(plan) | {"no such student"})
    outcomes: list[bool] = []
    real_fast = imports_pg.fast_import

    def fast(*args, **kwargs):  # type: ignore[no-untyped-def]
        report = real_fast(*args, **kwargs)
        outcomes.append(report is not None)
        return report
    monkeypatch.setattr(imports_pg, "fast_import", fast)
    records = "student_no,paid_at,amount,place\nT001,2023-03-01,5,canteen\nT002,2023-03-02,6,shop\n"
    report = campus_import(files=[("roster.csv", ROSTER.encode()), ("logistics.csv", records.encode())])
    assert report.ok, report.errors
    assert outcomes == [False]
    assert sorted(Record.objects.values_list("student__pseudonym", "value")) == sorted(
        [(imports_pg.pseudonym("T001"), 5.0), (imports_pg.pseudonym("T002"), 6.0)])
    assert Student.objects.count() == 2
