"""Rules derived from the landing contract (docs/landing_contract.md), applied to the
landing files.

Every rule gives a boolean per row (`hits`: independent of each other, a row may fail
several). The anomaly of a row is then the first rule it fails in the precedence order
below, so each row counts once, the way the catalogue (lakehouse/anomalies.py) counts:
quarantine reasons before repairs, structure and keys before values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lakehouse.anomalies import names
from lakehouse.landing.contract import SALES_COLUMNS
from lakehouse.profile.canon import Reference

# Classification order for sales rows (malformed lines never reach the row checks).
SALES_PRECEDENCE = (
    "malformed_line",
    "exact_duplicate",
    "conflicting_duplicate_invoice",
    "missing_invoice_no",
    "missing_customer_id",
    "missing_invoice_date",
    "orphan_customer_id",
    "impossible_date",
    "non_numeric_quantity",
    "quantity_out_of_range",
    "unknown_category",
    "unknown_mall",
    "non_positive_price",
    "price_outlier",
    "price_mismatch",
    "alt_date_format",
    "variant_category",
    "variant_mall",
)
CUSTOMER_PRECEDENCE = ("duplicate_customer_conflict", "null_age", "variant_payment_method")
assert sorted(SALES_PRECEDENCE) == sorted(names("sales"))
assert sorted(CUSTOMER_PRECEDENCE) == sorted(names("customers"))

NULL_TOKENS = ("null", "none", "nan")
INVOICE_ID = r"I\d{6,}"
CUSTOMER_ID = r"C\d{6,}"
CANONICAL_DATE = r"\d{2}-\d{2}-\d{4}"
DATE_FORMATS = {  # name -> (pattern of the whole value, strptime format)
    "dd-mm-yyyy": (r"\d{2}-\d{2}-\d{4}", "%d-%m-%Y"),
    "yyyy-mm-dd": (r"\d{4}-\d{1,2}-\d{1,2}", "%Y-%m-%d"),
    "d/m/yyyy": (r"\d{1,2}/\d{1,2}/\d{4}", "%d/%m/%Y"),
    "d-m-yyyy (unpadded)": (r"\d{1,2}-\d{1,2}-\d{4}", "%d-%m-%Y"),
}
FIRST_DAY, LAST_DAY = pd.Timestamp("2021-01-01"), pd.Timestamp("2023-03-08")
PRICE_TOLERANCE = 0.01  # relative: price vs quantity x unit price
OUTLIER_FACTOR = 9.99  # 10x the line total, less a margin for rounding to cents
QUANTITY_RANGE = (1, 5)
AGE_RANGE = (18, 69)
GENDERS = ("Female", "Male")


@dataclass
class Checked:
    """The outcome of the checks on one file."""

    hits: dict[str, np.ndarray]  # rule -> bool per row (anomaly names and extra rules)
    anomaly: np.ndarray  # the row's anomaly by precedence ("" for a clean row)
    counts: dict[str, int]  # anomaly -> rows, by precedence
    details: dict = field(default_factory=dict)  # numbers for the report's tables


def is_missing(values: pd.Series) -> np.ndarray:
    text = values.astype("str").str.strip()
    missing = text.isna() | (text == "") | text.str.lower().isin(NULL_TOKENS)
    return missing.fillna(True).to_numpy(dtype=bool)


def _matches(values: pd.Series, pattern: str) -> np.ndarray:
    return values.astype("str").str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)


def is_in(values: pd.Series, value_set: pa.Array) -> np.ndarray:
    """Membership by Arrow's hash set (pandas' isin is slow for millions of strings)."""
    array = pc.cast(pa.array(values.astype("str")), pa.string())
    found = pc.is_in(array, value_set=pc.cast(value_set, pa.string()))
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False)


def by_distinct(values: pd.Series, function) -> pd.Series:
    """function(distinct values) spread back onto every row: columns like dates, categories
    and malls have a few thousand distinct values among millions of rows."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    result = function(pd.Series(uniques))
    return pd.Series(result.to_numpy()[codes], index=values.index)


def _row_hash(frame: pd.DataFrame) -> np.ndarray:
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _classify(hits: dict[str, np.ndarray], order: tuple[str, ...], rows: int):
    anomaly = np.full(rows, "", dtype=object)
    for name in reversed(order):  # the first rule in the order wins
        if name in hits:
            anomaly[hits[name]] = name
    counts = {name: int((anomaly == name).sum()) for name in order}
    return anomaly, counts


def _value_counts(values: pd.Series, mask: np.ndarray, limit: int = 25) -> list[list]:
    counts = values[mask].astype("str").fillna("<null>").value_counts().head(limit)
    return [[str(value), int(count)] for value, count in counts.items()]


def parse_dates(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """parse_distinct_dates on the distinct values, spread back onto the rows."""
    codes, uniques = pd.factorize(raw, use_na_sentinel=False)
    kind, parsed = parse_distinct_dates(pd.Series(uniques, dtype="str"))
    return (
        pd.Series(kind.to_numpy()[codes], index=raw.index),
        pd.Series(parsed.to_numpy()[codes], index=raw.index),
    )


def parse_distinct_dates(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(format name per row, parsed date or NaT). Format 'missing' or 'other' when none fits;
    a recognised format that is no calendar day parses to NaT."""
    text = raw.astype("str").str.strip()
    kind = np.full(len(text), "other", dtype=object)
    parsed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[s]")
    for name, (pattern, format_) in reversed(list(DATE_FORMATS.items())):  # first one wins
        hit = _matches(text, pattern)
        if hit.any():
            kind[hit] = name
            parsed[hit] = pd.to_datetime(text[hit], format=format_, errors="coerce")
    kind[is_missing(raw)] = "missing"
    return pd.Series(kind, index=raw.index), parsed


def check_sales(frame: pd.DataFrame, customer_ids: pa.Array, ref: Reference) -> Checked:
    rows = len(frame)
    hits: dict[str, np.ndarray] = {}
    # Keys.
    invoice, customer = frame["invoice_no"], frame["customer_id"]
    hits["missing_invoice_no"] = is_missing(invoice)
    hits["missing_customer_id"] = is_missing(customer)
    hits["missing_invoice_date"] = is_missing(frame["invoice_date"])
    hits["invalid_invoice_no_format"] = ~hits["missing_invoice_no"] & ~_matches(invoice, INVOICE_ID)
    customer_ok = _matches(customer, CUSTOMER_ID)
    hits["invalid_customer_id_format"] = ~hits["missing_customer_id"] & ~customer_ok
    known = is_in(customer, customer_ids)
    hits["customer_id_known"] = known
    hits["orphan_customer_id"] = customer_ok & ~known
    # Duplicates: exact copies first, then invoice numbers with more than one version.
    row_hash = pd.Series(_row_hash(frame[list(SALES_COLUMNS)]))
    hits["exact_duplicate"] = row_hash.duplicated(keep="first").to_numpy()
    versions = frame.loc[~hits["exact_duplicate"] & ~hits["missing_invoice_no"], "invoice_no"]
    repeated = versions.value_counts()
    conflicted = repeated[repeated > 1].index
    hits["conflicting_duplicate_invoice"] = (
        invoice.isin(conflicted).fillna(False).to_numpy(dtype=bool)
        & ~hits["exact_duplicate"]
        & ~hits["missing_invoice_no"]
    )
    # Dates.
    kind, parsed = parse_dates(frame["invoice_date"])
    recognised = kind.isin(list(DATE_FORMATS)).to_numpy(dtype=bool)
    valid = parsed.notna().to_numpy(dtype=bool)
    hits["impossible_date"] = (recognised & ~valid) | (kind == "other").to_numpy(dtype=bool)
    hits["alt_date_format"] = recognised & valid & (kind != "dd-mm-yyyy").to_numpy(dtype=bool)
    hits["date_out_of_range"] = (valid & ((parsed < FIRST_DAY) | (parsed > LAST_DAY))).to_numpy(
        dtype=bool
    )
    # Quantity.
    quantity_text = frame["quantity"].astype("str").str.strip()
    whole = _matches(quantity_text, r"[+-]?\d+")
    quantity = pd.to_numeric(quantity_text.where(whole), errors="coerce")
    hits["non_numeric_quantity"] = ~whole
    low, high = QUANTITY_RANGE
    in_range = ((quantity >= low) & (quantity <= high)).fillna(False).to_numpy(dtype=bool)
    hits["quantity_out_of_range"] = whole & ~in_range
    # Canonical sets.
    category_status = by_distinct(frame["category"], ref.category.classify)
    mall_status = by_distinct(frame["shopping_mall"], ref.shopping_mall.classify)
    hits["unknown_category"] = (category_status == "unknown").to_numpy()
    hits["variant_category"] = (category_status == "variant").to_numpy()
    hits["unknown_mall"] = (mall_status == "unknown").to_numpy()
    hits["variant_mall"] = (mall_status == "variant").to_numpy()
    # Price against quantity x unit price of the (resolved) category.
    price = pd.to_numeric(frame["price"].astype("str").str.strip(), errors="coerce")
    hits["non_numeric_price"] = price.isna().to_numpy(dtype=bool)
    hits["non_positive_price"] = (price <= 0).fillna(False).to_numpy(dtype=bool)
    unit = by_distinct(
        frame["category"], lambda values: ref.category.resolve(values).map(ref.unit_prices)
    ).astype("float64")
    expected = (quantity.where(in_range) * unit).round(2)
    ratio = price / expected
    comparable = (expected.notna() & price.notna() & (price > 0)).to_numpy(dtype=bool)
    outlier = comparable & (ratio >= OUTLIER_FACTOR).fillna(False).to_numpy(dtype=bool)
    off = ((price - expected).abs() > PRICE_TOLERANCE * expected).fillna(False).to_numpy(bool)
    hits["price_outlier"] = outlier
    hits["price_mismatch"] = comparable & off & ~outlier
    hits["whitespace_around_key_or_date"] = np.zeros(rows, dtype=bool)
    for column in ("invoice_no", "customer_id", "invoice_date"):
        text = frame[column].astype("str")
        hits["whitespace_around_key_or_date"] |= (
            ((text != text.str.strip()) & (text.str.strip() != ""))
            .fillna(False)
            .to_numpy(dtype=bool)
        )

    anomaly, counts = _classify(hits, SALES_PRECEDENCE, rows)
    details = {
        "date_formats": {str(k): int(v) for k, v in kind.value_counts().items()},
        "impossible_by_format": {
            str(k): int(v)
            for k, v in kind[(recognised & ~valid) | (kind == "other").to_numpy()]
            .value_counts()
            .items()
        },
        "impossible_date_values": _value_counts(frame["invoice_date"], hits["impossible_date"]),
        "non_numeric_quantity_values": _value_counts(frame["quantity"], ~whole),
        "out_of_range_quantity_values": _value_counts(frame["quantity"], whole & ~in_range),
        "non_numeric_price_values": _value_counts(frame["price"], hits["non_numeric_price"]),
        "category_status": {str(k): int(v) for k, v in category_status.value_counts().items()},
        "mall_status": {str(k): int(v) for k, v in mall_status.value_counts().items()},
        "category_variants": _value_counts(frame["category"], hits["variant_category"]),
        "category_unknown": _value_counts(frame["category"], hits["unknown_category"]),
        "mall_variants": _value_counts(frame["shopping_mall"], hits["variant_mall"]),
        "mall_unknown": _value_counts(frame["shopping_mall"], hits["unknown_mall"]),
        "orphan_rows": int(hits["orphan_customer_id"].sum()),
        "orphan_distinct_ids": int(customer[hits["orphan_customer_id"]].nunique()),
        "exact_duplicate_extra_copies": int(hits["exact_duplicate"].sum()),
        "conflicting_invoice_numbers": len(conflicted),
        "conflicting_invoice_rows": int(hits["conflicting_duplicate_invoice"].sum()),
        "conflicting_examples": [str(v) for v in list(conflicted[:10])],
        "parsed_dates": parsed,  # for the monthly chart (dropped from the JSON)
        "price_values": price,
        "quantity_values": quantity,
    }
    return Checked(hits=hits, anomaly=anomaly, counts=counts, details=details)


def check_customers(frame: pd.DataFrame, ref: Reference) -> Checked:
    rows = len(frame)
    hits: dict[str, np.ndarray] = {}
    customer = frame["customer_id"]
    hits["missing_customer_id"] = is_missing(customer)
    hits["invalid_customer_id_format"] = ~hits["missing_customer_id"] & ~_matches(
        customer, CUSTOMER_ID
    )
    # Duplicates: a customer_id listed more than once with different attributes.
    versions = frame[["customer_id", "gender", "age", "payment_method"]].copy()
    versions["age"] = versions["age"].fillna(-1.0)
    row_hash = pd.Series(_row_hash(versions), index=frame.index)
    present = ~hits["missing_customer_id"]
    distinct = (
        pd.DataFrame({"id": customer, "hash": row_hash})[present]
        .drop_duplicates()
        .groupby("id")
        .size()
    )
    conflicted = distinct[distinct > 1].index
    later = customer.duplicated(keep="first").to_numpy() & present
    in_conflict = customer.isin(conflicted).fillna(False).to_numpy(dtype=bool)
    hits["duplicate_customer_conflict"] = later & in_conflict
    hits["exact_duplicate_customer"] = row_hash.duplicated().to_numpy() & present & ~in_conflict
    # Values.
    age = frame["age"]
    hits["null_age"] = age.isna().to_numpy()
    low, high = AGE_RANGE
    hits["age_out_of_range"] = ((age < low) | (age > high)).fillna(False).to_numpy(dtype=bool)
    hits["age_not_whole"] = (age.notna() & (age != age.round())).to_numpy(dtype=bool)
    status = by_distinct(frame["payment_method"], ref.payment_method.classify)
    hits["variant_payment_method"] = (status == "variant").to_numpy()
    hits["unknown_payment_method"] = (status == "unknown").to_numpy()
    gender = frame["gender"].astype("str")
    hits["unknown_gender"] = ~gender.isin(GENDERS).fillna(False).to_numpy(dtype=bool)

    anomaly, counts = _classify(hits, CUSTOMER_PRECEDENCE, rows)
    details = {
        "conflicting_customer_ids": len(conflicted),
        "conflicting_examples": [str(v) for v in list(conflicted[:10])],
        "payment_status": {str(k): int(v) for k, v in status.value_counts().items()},
        "payment_variants": _value_counts(frame["payment_method"], hits["variant_payment_method"]),
        "payment_unknown": _value_counts(frame["payment_method"], hits["unknown_payment_method"]),
        "gender_unknown": _value_counts(frame["gender"], hits["unknown_gender"]),
    }
    return Checked(hits=hits, anomaly=anomaly, counts=counts, details=details)


def referential_integrity(sales: pd.DataFrame, checked: Checked, customer_ids: pa.Array) -> dict:
    """Sales customer_ids against the customers file (the whole file, even when sampled)."""
    ids = sales["customer_id"]
    present = ~checked.hits["missing_customer_id"]
    known = checked.hits["customer_id_known"]
    sold_to = pc.count_distinct(pa.array(ids[present & known].astype("str"))).as_py()
    return {
        "sales_rows_with_customer_id": int(present.sum()),
        "sales_rows_matching_a_customer": int((present & known).sum()),
        "sales_rows_not_matching": int((present & ~known).sum()),
        "of_which_well_formed_orphans": int(checked.hits["orphan_customer_id"].sum()),
        "of_which_badly_formed_ids": int((present & ~known).sum())
        - int(checked.hits["orphan_customer_id"].sum()),
        "distinct_missing_customer_ids": int(ids[present & ~known].nunique()),
        "customers_without_sales": int(pc.count_distinct(customer_ids).as_py() - sold_to),
    }
