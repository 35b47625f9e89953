"""Feature sources: per-subject feature frames aggregated IN THE DATABASE (one GROUP BY per source).

A source returns a DataFrame indexed by subject id with the spec's feature columns (NaN = missing) and
its categorical columns. Students come from campus records; patients from consult/pharmacy selectors.
"""
from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
from django.db.models import Count, F, FloatField, Max, Q, Sum
from django.utils.translation import gettext as _

from core.errors import ApplicationError

from .analysis.spec import FEATURES
from .models import ImportBatch, Record, Source, Student

PASS_MARK = 60.0


def period_parts(period: str) -> tuple[list[str], int, dt.date, dt.date]:
    """"2023" → both halves (12 months); "2023-1"/"2023-2" → one half (6 months)."""
    if re.fullmatch(r"\d{4}", period):
        y = int(period)
        return [f"{y}-1", f"{y}-2"], 12, dt.date(y, 1, 1), dt.date(y, 12, 31)
    m = re.fullmatch(r"(\d{4})-([12])", period)
    if not m:
        raise ApplicationError(_("A period is a year (2023) or a half-year (2023-1, 2023-2)."))
    y, h = int(m.group(1)), int(m.group(2))
    start = dt.date(y, 1 if h == 1 else 7, 1)
    end = dt.date(y, 6, 30) if h == 1 else dt.date(y, 12, 31)
    return [period], 6, start, end


def previous_semester(period: str) -> str:
    y, h = int(period[:4]), int(period[5])
    return f"{y}-1" if h == 2 else f"{y - 1}-2"


def _sources() -> dict[str, Q]:
    """Per source, the condition "the record's batch is of this source". Records do not store their source
    (it is their batch's): the few batch ids are read first, so the GROUP BY needs no join."""
    ids: dict[str, list[int]] = {s: [] for s in Source.values}
    for batch_id, source in ImportBatch.objects.values_list("id", "source").order_by():
        ids[source].append(batch_id)
    # An empty IN list would make Django drop the whole aggregate; -1 is no batch's id.
    return {s: Q(batch_id__in=v or [-1]) for s, v in ids.items()}


def student_features(period: str) -> pd.DataFrame:
    """One GROUP BY student over the period's records (one partition scan per half-year on PostgreSQL)."""
    _periods, months, start, end = period_parts(period)
    source = _sources()
    teaching = source[Source.TEACHING] & Q(value__isnull=False, weight__isnull=False, weight__gt=0)
    logistics = source[Source.LOGISTICS]
    rows = (
        Record.objects.filter(occurred_on__range=(start, end))
        .values("student_id")
        .annotate(
            score_wsum=Sum(F("value") * F("weight"), filter=teaching, output_field=FloatField()),
            score_wt=Sum("weight", filter=teaching),
            failed=Count("id", filter=source[Source.TEACHING] & Q(value__lt=PASS_MARK)),
            meals=Count("id", filter=logistics),
            spend=Sum("value", filter=logistics),
            spend_n=Count("value", filter=logistics),
            visits=Count("id", filter=source[Source.HOSPITAL]),
            consults=Count("id", filter=source[Source.COUNSELLING]),
            exercise=Count("id", filter=source[Source.EXERCISE]),
            borrow=Count("id", filter=source[Source.LIBRARY]),
            volunteer=Count("id", filter=source[Source.QUALITY]),
            online=Count("occurred_on", filter=source[Source.NETWORK], distinct=True),
        )
        .order_by()
    )
    agg = pd.DataFrame.from_records(list(rows))
    roster = pd.DataFrame.from_records(
        list(Student.objects.values("id", "gender", "province", "college", "grade", "major", "age")))
    if roster.empty:
        raise ApplicationError(_("There are no students: import a roster first."))
    roster = roster.set_index("id")
    if agg.empty:
        raise ApplicationError(_("There are no records for period %(p)s.") % {"p": period})
    agg = agg.set_index("student_id").reindex(roster.index)
    counts = ["failed", "meals", "visits", "consults", "exercise", "borrow", "volunteer", "online"]
    agg[counts] = agg[counts].fillna(0)
    out = pd.DataFrame(index=roster.index)
    wt = agg["score_wt"].astype(float)
    out["wavg_score"] = np.where(wt > 0, agg["score_wsum"].astype(float) / wt.where(wt > 0, 1), np.nan)
    out["failed_courses"] = agg["failed"].astype(float) * (12 / months)
    out["consumption_frequency"] = agg["meals"].astype(float) / months * 6
    spend_n = agg["spend_n"].astype(float)
    out["single_amount"] = np.where(spend_n > 0, agg["spend"].astype(float) / spend_n.where(spend_n > 0, 1), np.nan)
    for feat, col in [("medical_visits", "visits"), ("psych_consultations", "consults"), ("exercise", "exercise"),
                      ("book_borrowing", "borrow"), ("volunteer", "volunteer"), ("online_days", "online")]:
        out[feat] = agg[col].astype(float) / months
    # A student who has no row at all in the period is out of the cohort (left, on leave…), not all zeros.
    active = agg[["meals", "borrow", "online", "exercise"]].sum(axis=1) + agg["score_wt"].fillna(0) > 0
    out = out.loc[active, FEATURES]
    for col in ["gender", "province", "college", "grade", "major"]:
        out[col] = roster.loc[out.index, col].replace("unknown", np.nan)
    return out


def student_rule_inputs(period: str, student_ids: list[int]) -> pd.DataFrame:
    """Per student: failed courses and weighted average score of each semester (the run's and the one
    before), and the date of the last counselling session up to the period's end. GROUP BY in the DB."""
    periods, _months, _start, end = period_parts(period)
    semesters = sorted({previous_semester(periods[0]), *periods})
    source = _sources()
    teaching = Q(value__isnull=False, weight__isnull=False, weight__gt=0)
    first = period_parts(semesters[0])[2]
    sem = pd.DataFrame.from_records(list(
        Record.objects.filter(source[Source.TEACHING], occurred_on__range=(first, end)).with_period()
        .values("student_id", "period")
        .annotate(failed=Count("id", filter=Q(value__lt=PASS_MARK)),
                  wsum=Sum(F("value") * F("weight"), filter=teaching, output_field=FloatField()),
                  wt=Sum("weight", filter=teaching)).order_by()))
    out = pd.DataFrame(index=pd.Index(student_ids, name="student_id"))
    for s in semesters:
        out[f"failed:{s}"] = 0.0
        out[f"score:{s}"] = np.nan
    if not sem.empty:
        sem["score"] = sem["wsum"].astype(float) / sem["wt"].astype(float)
        for s in semesters:
            part = sem[sem["period"] == s].set_index("student_id")
            out[f"failed:{s}"] = part["failed"].reindex(out.index).fillna(0).astype(float)
            out[f"score:{s}"] = part["score"].reindex(out.index)
    last = dict(Record.objects.filter(source[Source.COUNSELLING], occurred_on__lte=end)
                .values("student_id").annotate(last=Max("occurred_on")).values_list("student_id", "last").order_by())
    out["last_counselling"] = pd.Series(last, dtype=object).reindex(out.index)
    out.attrs["semesters"] = semesters
    out.attrs["end"] = end
    return out
