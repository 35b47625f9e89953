"""The import schema, version 1: one file kind per campus subsystem export (docs/portraits.md).

Each column has an English name and the Chinese header campus systems commonly export; headers are
matched case-insensitively after trimming. `kind` says how a cell is parsed:
  id    – the student number (replaced by a keyed pseudonym, never stored)
  drop  – read only to be discarded (names)
  date  – ISO date or date-time, YYYY/M/D, or an Excel serial day number
  num   – a number; thousands separators and a leading ¥ are allowed; blank = missing
  int   – like num, but whole
  text  – free text; blank = missing
Record files map their columns onto the one records table: `date` → occurred_on, `value`, `weight`,
`category`.
"""
from __future__ import annotations

from dataclasses import dataclass

from .models import Source

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    required: bool = True
    maps_to: str = ""   # occurred_on / value / weight / category for record files


@dataclass(frozen=True)
class FileSchema:
    source: str
    columns: tuple[Column, ...]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


SID = Column("student_no", "id", ("学号", "student number", "student_id"))

SCHEMAS: dict[str, FileSchema] = {
    Source.ROSTER: FileSchema(Source.ROSTER, (
        SID,
        Column("name", "drop", ("姓名",), required=False),
        Column("gender", "text", ("性别", "sex")),
        Column("age", "int", ("年龄",)),
        Column("province", "text", ("省份", "生源地", "生源省份")),
        Column("college", "text", ("学院",)),
        Column("grade", "text", ("年级",)),
        Column("major", "text", ("专业",)),
    )),
    Source.TEACHING: FileSchema(Source.TEACHING, (
        SID,
        Column("course_code", "text", ("课程代码",), required=False),
        Column("course_type", "text", ("课程性质",), required=False, maps_to="category"),
        Column("credit", "num", ("学分",), maps_to="weight"),
        Column("score", "num", ("成绩",), maps_to="value"),
        Column("exam_date", "date", ("考试日期",), maps_to="occurred_on"),
    )),
    Source.LOGISTICS: FileSchema(Source.LOGISTICS, (
        SID,
        Column("paid_at", "date", ("消费时间", "交易时间"), maps_to="occurred_on"),
        Column("amount", "num", ("金额", "消费金额"), maps_to="value"),
        Column("place", "text", ("地点", "消费地点"), required=False, maps_to="category"),
    )),
    Source.RESEARCH: FileSchema(Source.RESEARCH, (
        SID,
        Column("paid_on", "date", ("发放日期",), maps_to="occurred_on"),
        Column("amount", "num", ("金额", "补助金额"), maps_to="value"),
        Column("kind", "text", ("类别", "补助类别"), required=False, maps_to="category"),
    )),
    Source.EXERCISE: FileSchema(Source.EXERCISE, (
        SID,
        Column("entered_at", "date", ("进入时间", "入场时间"), maps_to="occurred_on"),
        Column("venue", "text", ("场馆",), required=False, maps_to="category"),
    )),
    Source.HOSPITAL: FileSchema(Source.HOSPITAL, (
        SID,
        Column("visit_date", "date", ("就诊日期",), maps_to="occurred_on"),
        Column("department", "text", ("科室",), required=False, maps_to="category"),
    )),
    Source.COUNSELLING: FileSchema(Source.COUNSELLING, (
        SID,
        Column("session_date", "date", ("咨询日期",), maps_to="occurred_on"),
    )),
    Source.LIBRARY: FileSchema(Source.LIBRARY, (
        SID,
        Column("borrowed_on", "date", ("借阅日期", "借书日期"), maps_to="occurred_on"),
        Column("category", "text", ("图书类别", "分类"), required=False, maps_to="category"),
    )),
    Source.NETWORK: FileSchema(Source.NETWORK, (
        SID,
        Column("login_at", "date", ("登录时间", "上线时间"), maps_to="occurred_on"),
        Column("minutes", "num", ("时长", "在线时长"), required=False, maps_to="value"),
    )),
    Source.QUALITY: FileSchema(Source.QUALITY, (
        SID,
        Column("activity_date", "date", ("活动日期",), maps_to="occurred_on"),
        Column("activity", "text", ("活动类别", "活动"), required=False, maps_to="category"),
        Column("hours", "num", ("时长", "服务时长"), required=False, maps_to="value"),
    )),
}


def header_key(text: str) -> str:
    return str(text).strip().lstrip("\ufeff").strip().lower()


def column_lookup(schema: FileSchema) -> dict[str, str]:
    """Every accepted header (lower-cased) → the schema's column name."""
    out: dict[str, str] = {}
    for col in schema.columns:
        for alias in (col.name, *col.aliases):
            out[header_key(alias)] = col.name
    return out
