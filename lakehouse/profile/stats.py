"""Descriptive statistics: per-column profiles, outliers and candidate keys."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from lakehouse.profile.checks import NULL_TOKENS

TOP_VALUES = 5


def _number(value: float) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 4)


def numeric_summary(values: pd.Series) -> dict:
    clean = pd.to_numeric(values, errors="coerce").dropna()
    if clean.empty:
        return {"count": 0}
    return {
        "count": int(clean.size),
        "min": _number(clean.min()),
        "max": _number(clean.max()),
        "mean": _number(clean.mean()),
        "median": _number(clean.median()),
        "std": _number(clean.std()),
    }


def column_profile(
    values: pd.Series, declared: str, delivered: str, numeric: pd.Series | None = None
) -> dict:
    """Nulls (absent, empty or a null token), blanks (only whitespace), distinct values, the
    most frequent values and, for numbers, their summary."""
    rows = len(values)
    if values.dtype.kind == "f":
        nulls = int(values.isna().sum())
        blanks = 0
        text = values.astype("str")
    else:
        text = values.astype("str")
        stripped = text.str.strip()
        empty = text.isna() | (text == "") | stripped.str.lower().isin(NULL_TOKENS)
        blank = (stripped == "") & (text != "")
        nulls = int(empty.fillna(True).sum())
        blanks = int(blank.fillna(False).sum())
    top = text.fillna("<null>").value_counts().head(TOP_VALUES)
    profile = {
        "declared_type": declared,
        "delivered_type": delivered,
        "rows": rows,
        "nulls": nulls,
        "blanks": blanks,
        "null_pct": round(100.0 * (nulls + blanks) / rows, 4) if rows else 0.0,
        "distinct": int(values.nunique(dropna=True)),
        "top_values": [[str(v), int(c), round(100.0 * c / rows, 2)] for v, c in top.items()],
    }
    if numeric is not None:
        profile["numeric"] = numeric_summary(numeric)
        parsed = int(pd.to_numeric(numeric, errors="coerce").notna().sum())
        profile["parses_as_number_pct"] = round(100.0 * parsed / rows, 4) if rows else 0.0
    return profile


def price_outliers(price: pd.Series) -> dict:
    """The analysis' rule (above the 99th percentile: flag for review) next to Tukey's IQR
    fences, on every positive, numeric price."""
    positive = price[(price > 0)].dropna()
    if positive.empty:
        return {"rows": 0}
    p99 = float(positive.quantile(0.99))
    q1, q3 = (float(x) for x in positive.quantile([0.25, 0.75]))
    iqr = q3 - q1
    low, high = q1 - 1.5 * iqr, q3 + 1.5 * iqr
    return {
        "rows": int(positive.size),
        "p99_threshold": round(p99, 2),
        "above_p99": int((positive > p99).sum()),
        "q1": round(q1, 2),
        "q3": round(q3, 2),
        "iqr": round(iqr, 2),
        "iqr_lower_fence": round(low, 2),
        "iqr_upper_fence": round(high, 2),
        "below_iqr_fence": int((positive < low).sum()),
        "above_iqr_fence": int((positive > high).sum()),
        "max": round(float(positive.max()), 2),
    }


def _codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """Dense integer codes of a column's values (null is a value of its own) and how many."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes.astype(np.int64), len(uniques)


def candidate_keys(frame: pd.DataFrame, columns: list[str]) -> dict:
    """Uniqueness of each column and of each pair of columns (distinct / rows). Each column
    is factorised once into integer codes; a pair's distinct count is that of code pairs."""
    rows = len(frame)
    encoded = {column: _codes(frame[column]) for column in columns}
    singles = [_key_row([column], encoded[column][1], rows) for column in columns]
    pairs = []
    for left, right in combinations(columns, 2):
        (left_codes, _), (right_codes, right_size) = encoded[left], encoded[right]
        distinct = int(pd.unique(left_codes * right_size + right_codes).size)
        pairs.append(_key_row([left, right], distinct, rows))
    pairs.sort(key=lambda row: -row["uniqueness"])
    return {"rows": rows, "columns": singles, "pairs": pairs}


def _key_row(columns: list[str], distinct: int, rows: int) -> dict:
    return {
        "columns": columns,
        "distinct": distinct,
        "duplicated_rows": rows - distinct,
        "uniqueness": round(distinct / rows, 6) if rows else 0.0,
        "unique": distinct == rows,
    }


def monthly_counts(dates: pd.Series) -> dict[str, int]:
    valid = dates.dropna()
    if valid.empty:
        return {}
    counts = valid.dt.to_period("M").value_counts().sort_index()
    return {str(period): int(count) for period, count in counts.items()}
