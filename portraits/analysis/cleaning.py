"""Cleaning (paper §3.3): numeric gaps → cohort median, categorical gaps → "unknown", 1.5 × IQR capping."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def impute_numeric(df: pd.DataFrame, columns: list[str], *, by: str | None = None) -> tuple[pd.DataFrame, dict]:
    """Fill missing numeric values with the median of the cohort (the group `by`, e.g. grade, when given;
    the whole population where a group has no observed value). Returns the filled copy and a report."""
    out = df.copy()
    report: dict[str, Any] = {}
    n = len(out)
    for col in columns:
        series = out[col].astype(float)
        missing = series.isna()
        overall = float(series.median()) if series.notna().any() else 0.0
        if by is not None and by in out.columns:
            group_median = series.groupby(out[by]).transform("median")
            fill = group_median.fillna(overall)
        else:
            fill = pd.Series(overall, index=out.index)
        out[col] = series.where(~missing, fill)
        count = int(missing.sum())
        report[col] = {"missing": count, "pct": round(100.0 * count / n, 2) if n else 0.0, "median": overall}
    return out, report


def impute_categorical(df: pd.DataFrame, columns: list[str], *, unknown: str = "unknown") -> tuple[pd.DataFrame, dict]:
    """Replace missing or blank categorical values by the explicit category `unknown`."""
    out = df.copy()
    report: dict[str, Any] = {}
    n = len(out)
    for col in columns:
        series = out[col]
        missing = series.isna() | (series.astype(str).str.strip() == "")
        out[col] = series.where(~missing, unknown)
        count = int(missing.sum())
        report[col] = {"missing": count, "pct": round(100.0 * count / n, 2) if n else 0.0}
    return out, report


def cap_iqr(df: pd.DataFrame, columns: list[str], *, factor: float = 1.5) -> tuple[pd.DataFrame, dict]:
    """Winsorise each column to [Q1 − factor·IQR, Q3 + factor·IQR] (linear-interpolated quartiles)."""
    out = df.copy()
    report: dict[str, Any] = {}
    n = len(out)
    for col in columns:
        series = out[col].astype(float)
        q1, q3 = float(series.quantile(0.25)), float(series.quantile(0.75))
        iqr = q3 - q1
        low, high = q1 - factor * iqr, q3 + factor * iqr
        below, above = int((series < low).sum()), int((series > high).sum())
        out[col] = series.clip(lower=low, upper=high)
        report[col] = {
            "low": low, "high": high, "capped_low": below, "capped_high": above,
            "pct": round(100.0 * (below + above) / n, 2) if n else 0.0,
        }
    return out, report


def clean(
    df: pd.DataFrame, *, numeric: list[str], categorical: list[str], iqr_factor: float = 1.5,
    median_by: str | None = None, capped: list[str] | None = None,
) -> tuple[pd.DataFrame, dict]:
    """The cleaning stage: impute, then cap the `capped` columns (all numeric ones when None); the
    bounds come from the imputed column."""
    step, missing_num = impute_numeric(df, numeric, by=median_by)
    step, missing_cat = impute_categorical(step, [c for c in categorical if c in step.columns])
    step, capped_report = cap_iqr(step, numeric if capped is None else capped, factor=iqr_factor)
    total_cells = len(step) * len(numeric)
    report = {
        "rows": len(step),
        "numeric_missing": missing_num,
        "categorical_missing": missing_cat,
        "capped": capped_report,
        "numeric_missing_pct": round(100.0 * sum(v["missing"] for v in missing_num.values()) / total_cells, 2)
        if total_cells else 0.0,
        "capped_pct": round(100.0 * sum(v["capped_low"] + v["capped_high"] for v in capped_report.values())
                            / total_cells, 2) if total_cells else 0.0,
    }
    return step, report


def as_float_array(df: pd.DataFrame, columns: list[str]) -> np.ndarray:
    return df[columns].to_numpy(dtype=float)
