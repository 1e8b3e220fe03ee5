"""The catalogue of dirt a real feed carries: one name per anomaly, shared by the generator
(which injects it and counts it in the manifest), the profiler (which finds it in the files)
and the dbt models (whose quarantine reason codes use the same names).

Each injected row carries exactly one anomaly, so every count reconciles exactly.
What silver does with each row:
  repaired     - accepted after parsing/normalising (the row reaches silver and gold)
  collapsed    - an exact copy of another row; one copy is kept, the others collapse
  quarantined  - rejected into the entity's quarantine model with `reason` as a reason code
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Anomaly:
    name: str
    entity: str  # "sales" or "customers"
    outcome: str  # "repaired", "collapsed" or "quarantined"
    reason: str | None  # quarantine reason code (None unless quarantined)
    description: str


ANOMALIES: tuple[Anomaly, ...] = (
    # --- customers (customer_data.parquet)
    Anomaly("null_age", "customers", "repaired", None,
            "age is null; kept null, age band 'Unknown'"),
    Anomaly("variant_payment_method", "customers", "repaired", None,
            "payment_method in another case, with stray whitespace, or an alias spelling"),
    Anomaly("duplicate_customer_conflict", "customers", "quarantined",
            "duplicate_customer_conflict",
            "a customer_id listed a second time with different attributes; the first row in "
            "file order is kept, the later one quarantined"),
    # --- sales (sales_data.csv)
    Anomaly("missing_invoice_no", "sales", "quarantined", "missing_invoice_no",
            "invoice_no null or blank"),
    Anomaly("missing_customer_id", "sales", "quarantined", "missing_customer_id",
            "customer_id null or blank"),
    Anomaly("missing_invoice_date", "sales", "quarantined", "missing_invoice_date",
            "invoice_date null or blank"),
    Anomaly("orphan_customer_id", "sales", "quarantined", "orphan_customer_id",
            "customer_id well-formed but absent from customer_data"),
    Anomaly("exact_duplicate", "sales", "collapsed", None,
            "an exact copy of another sales line (count = extra copies)"),
    Anomaly("conflicting_duplicate_invoice", "sales", "quarantined", "conflicting_duplicate",
            "invoice_no repeated with different values; every version is quarantined (count = "
            "rows involved, original included)"),
    Anomaly("alt_date_format", "sales", "repaired", None,
            "invoice_date as yyyy-mm-dd or d/m/yyyy instead of dd-mm-yyyy"),
    Anomaly("impossible_date", "sales", "quarantined", "invalid_invoice_date",
            "invoice_date that is no calendar day, e.g. 31-02-2022"),
    Anomaly("non_positive_price", "sales", "quarantined", "non_positive_price",
            "price zero or negative"),
    Anomaly("price_mismatch", "sales", "quarantined", "price_mismatch",
            "price differs from quantity x unit price by more than the tolerance"),
    Anomaly("price_outlier", "sales", "quarantined", "price_mismatch",
            "an extreme price (10-50x the line total): also a mismatch, so quarantined"),
    Anomaly("quantity_out_of_range", "sales", "quarantined", "quantity_out_of_range",
            "quantity a whole number outside 1-5"),
    Anomaly("non_numeric_quantity", "sales", "quarantined", "non_numeric_quantity",
            "quantity that is not a whole number (e.g. 'two', '2.5')"),
    Anomaly("variant_category", "sales", "repaired", None,
            "category in another case, with stray whitespace, or an alias spelling"),
    Anomaly("variant_mall", "sales", "repaired", None,
            "shopping_mall in another case, with stray whitespace, or an alias spelling"),
    Anomaly("unknown_category", "sales", "quarantined", "unknown_category",
            "a category that is neither canonical nor a known alias"),
    Anomaly("unknown_mall", "sales", "quarantined", "unknown_mall",
            "a shopping_mall that is neither canonical nor a known alias"),
    Anomaly("malformed_line", "sales", "quarantined", "malformed_line",
            "a CSV line with too few or too many fields, or a stray quote"),
)  # fmt: skip

BY_NAME = {anomaly.name: anomaly for anomaly in ANOMALIES}


def names(entity: str) -> list[str]:
    return [anomaly.name for anomaly in ANOMALIES if anomaly.entity == entity]
