"""Import: encodings, formats, the error report, all-or-nothing, re-import."""
from __future__ import annotations

import io

import openpyxl
import pytest

from portraits.models import ImportBatch, Record, Student
from portraits.services import campus_import
from portraits.services.pseudonym import pseudonym

pytestmark = pytest.mark.django_db

ROSTER = ("student_no,name,gender,age,province,college,grade,major\n"
          "T001,Synthetic A,female,19,Shandong,Clinical Medicine,2024,Clinical Medicine\n"
          "T002,Synthetic B,,20,,Clinical Medicine,2024,Clinical Medicine\n")


def _counts() -> tuple[int, int, int]:
    return Student.objects.count(), Record.objects.count(), ImportBatch.objects.count()


def test_roster_and_records_are_stored_under_pseudonyms_only():
    logistics = "student_no,paid_at,amount,place\nT001,2023-03-01 12:00,\"1,200.50\",canteen\nT002,2023-09-02,8,\n,,,\n\n"
    report = campus_import(files=[("logistics.csv", logistics.encode()), ("roster.csv", ROSTER.encode())])
    assert report.ok, report.errors
    assert _counts() == (2, 2, 2)
    a = Student.objects.get(pseudonym=pseudonym("T001"))
    b = Student.objects.get(pseudonym=pseudonym("T002"))
    assert (b.gender, b.province) == ("unknown", "unknown")
    rec = Record.objects.described().get(student=a)
    assert (rec.value, rec.period, str(rec.occurred_on), rec.source) == (1200.5, "2023-1", "2023-03-01", "logistics")
    assert Record.objects.with_period().get(student=b).period == "2023-2"
    # Neither the number nor the name is stored anywhere in the student row.
    assert "T001" not in str(Student.objects.values().get(pk=a.pk))
    assert "Synthetic A" not in str(Student.objects.values().get(pk=a.pk))


def test_gb18030_chinese_headers_excel_serial_dates_and_bom():
    campus_import(files=[("roster.csv", ("\ufeff" + ROSTER).encode("utf-8"))])
    text = "学号,考试日期,学分,成绩,课程性质\nT001,45000,2,88,必修\nT002,2023/7/5,3,55,选修\n"
    report = campus_import(files=[("成绩.csv", text.encode("gb18030"))])
    assert report.ok, report.errors
    assert report.files[0].source == "teaching"
    assert report.files[0].encoding == "gb18030"
    recs = {r.student.pseudonym: r for r in Record.objects.select_related("student", "category")}
    assert str(recs[pseudonym("T001")].occurred_on) == "2023-03-15"      # Excel serial 45000
    assert recs[pseudonym("T001")].category.name == "必修"
    assert str(recs[pseudonym("T002")].occurred_on) == "2023-07-05"


def test_excel_file():
    campus_import(files=[("roster.csv", ROSTER.encode())])
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["student_no", "visit_date", "department"])
    ws.append(["T001", 45000, "ENT"])
    ws.append(["T002", "2023-05-06", None])
    buf = io.BytesIO()
    wb.save(buf)
    report = campus_import(files=[("hospital.xlsx", buf.getvalue())])
    assert report.ok, report.errors
    assert sorted(str(r.occurred_on) for r in Record.objects.all()) == ["2023-03-15", "2023-05-06"]


def test_any_error_keeps_nothing_and_reports_file_row_column():
    bad = ("student_no,paid_at,amount\n"
           "T001,2023-03-01,8\n"
           "T001,not-a-date,8\n"
           "T002,2023-03-01,eight\n"
           "T999,2023-03-01,8\n")
    report = campus_import(files=[("roster.csv", ROSTER.encode()), ("logistics.csv", bad.encode())])
    assert not report.ok
    assert report.errors == [
        {"file": "logistics.csv", "row": 3, "column": "paid_at", "reason": "not a date: not-a-date"},
        {"file": "logistics.csv", "row": 4, "column": "amount", "reason": "not a number: eight"},
        {"file": "logistics.csv", "row": 5, "column": "student_no", "reason": "unknown student: not in the roster"},
    ]
    # The valid roster in the same import is not kept either.
    assert _counts() == (0, 0, 0)


def test_wrong_header_is_reported():
    report = campus_import(files=[("roster.csv", ROSTER.encode()),
                                  ("library.csv", b"student_no,when\nT001,2023-01-01\n")])
    assert report.errors == [{"file": "library.csv", "row": 1, "column": "borrowed_on",
                              "reason": "required column is missing from the header"}]
    assert _counts() == (0, 0, 0)


def test_same_file_twice_is_recognised_and_changes_nothing():
    data = b"student_no,borrowed_on\nT001,2023-01-01\nT001,2023-01-01\nT002,2023-02-01\n"
    first = campus_import(files=[("roster.csv", ROSTER.encode()), ("library.csv", data)])
    assert first.ok
    assert first.files[1].duplicates == 1
    before = _counts()
    assert before == (2, 2, 2)
    again = campus_import(files=[("library-copy.csv", data)])
    assert [f.status for f in again.files] == ["already_imported"]
    assert _counts() == before


def test_a_new_roster_updates_known_students_and_adds_new_ones():
    assert campus_import(files=[("roster.csv", ROSTER.encode())]).ok
    a_id = Student.objects.get(pseudonym=pseudonym("T001")).id
    newer = ("student_no,name,gender,age,province,college,grade,major\n"
             "T001,Synthetic A,female,20,Shandong,Public Health,2024,Preventive Medicine\n"
             "T003,Synthetic C,male,18,Hebei,Clinical Medicine,2025,Clinical Medicine\n")
    report = campus_import(files=[("roster_2025.csv", newer.encode())])
    assert report.ok, report.errors
    assert (report.students_created, report.students_updated) == (1, 1)
    a = Student.objects.get(pseudonym=pseudonym("T001"))
    assert (a.id, a.age, a.college, a.major) == (a_id, 20, "Public Health", "Preventive Medicine")
    assert Student.objects.get(pseudonym=pseudonym("T002")).age == 20   # not in the new roster: unchanged
    assert Student.objects.get(pseudonym=pseudonym("T003")).grade == "2025"
