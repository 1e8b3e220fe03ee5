"""Profiling of the landing files: what the data look like and what is wrong with them.

    from lakehouse.profile import profile
    summary = profile(landing_dir, out_dir, sample_rows=2_000_000)

Writes `profile_report.html` (self-contained: charts embedded as PNG) and
`profile_summary.json` into out_dir. Every delivery in the landing folder is read, as dbt
reads them (lakehouse/landing/files.py), and the summary lists the files read. Every finding
is computed from the files by rules derived from the source contract; the generator's
manifest.json is never read.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from lakehouse.anomalies import ANOMALIES
from lakehouse.errors import LakehouseError
from lakehouse.landing.contract import SALES_COLUMNS
from lakehouse.profile import charts, checks, stats
from lakehouse.profile.canon import load_reference
from lakehouse.profile.readers import DeliveryRead, read_all_customers, read_all_sales

__all__ = ["profile", "DEFAULT_SAMPLE_ROWS", "REPORT_NAME", "SUMMARY_NAME"]

DEFAULT_SAMPLE_ROWS = 2_000_000
REPORT_NAME = "profile_report.html"
SUMMARY_NAME = "profile_summary.json"
EXAMPLES = 10

SALES_TYPES = {
    "invoice_no": "string I + 6 digits (key)",
    "customer_id": "string C + 6 digits (FK)",
    "category": "string, one of 8",
    "quantity": "int 1-5",
    "price": "float > 0 = quantity x unit price",
    "invoice_date": "date as dd-mm-yyyy",
    "shopping_mall": "string, one of 10",
}
CUSTOMER_TYPES = {
    "customer_id": "string C + 6 digits (key)",
    "gender": "Female | Male",
    "age": "float64, whole years 18-69, nullable",
    "payment_method": "string, one of 3",
}
# Rule failures the catalogue has no name for: reported, not counted as anomalies.
EXTRA_RULES = {
    "sales": (
        "invalid_invoice_no_format",
        "invalid_customer_id_format",
        "non_numeric_price",
        "date_out_of_range",
        "whitespace_around_key_or_date",
    ),
    "customers": (
        "missing_customer_id",
        "invalid_customer_id_format",
        "exact_duplicate_customer",
        "age_out_of_range",
        "age_not_whole",
        "unknown_payment_method",
        "unknown_gender",
    ),
}
SAMPLING_METHOD = "the first N data lines of the files, in name order (deterministic)"
LIBRARY_NOTE = (
    "ydata-profiling 4.18.4 (the latest release) was considered: it requires pandas<3.0, "
    "numpy<2.4, matplotlib<=3.10 and scipy<1.17, so it cannot be installed next to this "
    "project's pandas 3.1 / numpy 2.4 / matplotlib 3.11 without downgrading them. This report "
    "is built with pandas, pyarrow and matplotlib instead."
)
DIFFERENCES = [
    "A value that is a variant by construction but whose lower/trim form is neither a canonical "
    "value nor an alias in seeds/value_aliases.csv counts here as unknown (and an alias listed "
    "for two canonical values would be ambiguous: the first listed wins).",
    "A price changed by less than the 1% tolerance is not detectable; a price more than 9.99x "
    "the line total is an outlier, anything else off by more than 1% a mismatch (prices 10x "
    "too low count as a mismatch).",
    "An orphan customer_id that happens to equal a real customer's id cannot be told apart; a "
    "customer_id that is not well-formed is reported as a format failure, not as an orphan.",
    "A malformed line that still splits into 7 fields is checked as a row and shows up as a "
    "value anomaly (e.g. a non-numeric quantity), not as malformed_line.",
    "A row failing several rules is counted once, under the first rule in the precedence order; "
    "the generator counts what it injected. With one anomaly per row the two agree.",
    "When the sales file is sampled, duplicates whose copies fall on both sides of the sample "
    "boundary are not seen, and counts cover the sample only.",
    "With several deliveries, an invoice (or customer) delivered again with other values in a "
    "later file counts here as a conflicting duplicate; silver lets the later delivery "
    "supersede the earlier one.",
]


def _writable(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".write-test-"):
            pass
    except OSError as error:
        raise LakehouseError(
            f"{out_dir}: cannot write the report there ({error.strerror or error}).",
            "Choose another folder with --out.",
        ) from error


def _examples(mask: np.ndarray, keys, lines, files) -> dict:
    index = np.flatnonzero(mask)[:EXAMPLES]
    return {
        "keys": [str(keys[i]) for i in index],
        "lines": [int(lines[i]) for i in index],
        "files": [str(files[i]) for i in index],  # the file each line number belongs to
    }


def _files_read(files: list[DeliveryRead]) -> list[dict]:
    return [
        {"path": str(read.path), "bytes": read.size_bytes, "total_rows": read.total_rows}
        for read in files
    ]


def profile(landing_dir: Path, out_dir: Path, sample_rows: int | None = None) -> dict:
    """Profile the landing files, write the HTML report and the JSON summary, return it."""
    started = time.perf_counter()
    landing_dir, out_dir = Path(landing_dir), Path(out_dir)
    if sample_rows is not None and sample_rows < 1:
        raise LakehouseError(f"--sample-rows {sample_rows}: give a positive number of rows.")
    if not landing_dir.is_dir():
        raise LakehouseError(
            f"{landing_dir}: the landing folder does not exist.",
            "Generate it with `lakehouse generate` or point --landing at it.",
        )
    _writable(out_dir)
    customers = read_all_customers(landing_dir, sample_rows)
    sales = read_all_sales(landing_dir, sample_rows)
    ref = load_reference()
    c_checked = checks.check_customers(customers.frame, ref)
    s_checked = checks.check_sales(sales.frame, customers.all_ids, ref)
    s_frame, c_frame = sales.frame, customers.frame

    # Anomalies, in catalogue order.
    anomalies, examples, rule_hits = {}, {}, {}
    malformed_lines = [m.line - 1 for m in sales.malformed]  # data line numbers
    for anomaly in ANOMALIES:
        name = anomaly.name
        if name == "malformed_line":
            anomalies[name] = len(sales.malformed)
            rule_hits[name] = len(sales.malformed)
            examples[name] = {
                "keys": [],
                "lines": malformed_lines[:EXAMPLES],
                "files": [m.file for m in sales.malformed[:EXAMPLES]],
            }
            continue
        checked, frame = (s_checked, s_frame) if anomaly.entity == "sales" else (c_checked, c_frame)
        anomalies[name] = checked.counts[name]
        rule_hits[name] = int(checked.hits[name].sum())
        if anomaly.entity == "sales":
            keys, lines = frame["invoice_no"].to_numpy(), frame["line"].to_numpy() - 1
        else:
            keys, lines = frame["customer_id"].to_numpy(), frame.groupby("file").cumcount()
        examples[name] = _examples(
            checked.anomaly == name, keys, np.asarray(lines), frame["file"].to_numpy()
        )

    extra = {}
    for entity, checked in (("sales", s_checked), ("customers", c_checked)):
        for rule in EXTRA_RULES[entity]:
            hits = checked.hits[rule]
            extra[f"{entity}.{rule}"] = {
                "rows": int(hits.sum()),
                "rows_otherwise_clean": int((hits & (checked.anomaly == "")).sum()),
            }

    details = s_checked.details
    price, quantity, dates = (
        details.pop("price_values"),
        details.pop("quantity_values"),
        details.pop("parsed_dates"),
    )
    s_columns = {
        name: stats.column_profile(
            s_frame[name],
            SALES_TYPES[name],
            "text (CSV)",
            numeric={"price": price, "quantity": quantity}.get(name),
        )
        for name in SALES_COLUMNS
    }
    c_columns = {
        name: stats.column_profile(
            c_frame[name],
            CUSTOMER_TYPES[name],
            customers.schema[name],
            numeric=c_frame[name] if name == "age" else None,
        )
        for name in CUSTOMER_TYPES
    }
    months = stats.monthly_counts(dates)
    outliers = stats.price_outliers(price)
    malformed_kinds: dict[str, int] = {}
    for line in sales.malformed:
        kind = line.problem.split(" (")[0]
        malformed_kinds[kind] = malformed_kinds.get(kind, 0) + 1

    profiled_sales = len(s_frame) + len(sales.malformed)
    dirty_sales = int((s_checked.anomaly != "").sum()) + len(sales.malformed)
    summary = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "landing_dir": str(landing_dir.resolve()),
        "manifest_used": False,
        "sampled": sales.sampled or customers.sampled,
        "sample_rows": sample_rows,
        "sampling_method": SAMPLING_METHOD,
        "total_rows": sales.total_rows,
        "files": {
            "sales": {
                "path": str(sales.path),
                "files": _files_read(sales.files),
                "bytes": sales.size_bytes,
                "total_rows": sales.total_rows,
                "profiled_rows": profiled_sales,
                "parsed_rows": len(s_frame),
                "sampled": sales.sampled,
                "dirty_rows": dirty_sales,
            },
            "customers": {
                "path": str(customers.path),
                "files": _files_read(customers.files),
                "bytes": customers.size_bytes,
                "total_rows": customers.total_rows,
                "profiled_rows": len(c_frame),
                "sampled": customers.sampled,
                "dirty_rows": int((c_checked.anomaly != "").sum()),
                "schema": customers.schema,
            },
        },
        "anomalies": anomalies,
        "anomaly_rule_hits": rule_hits,
        "anomaly_examples": examples,
        "precedence": {
            "sales": list(checks.SALES_PRECEDENCE),
            "customers": list(checks.CUSTOMER_PRECEDENCE),
        },
        "line_numbering": {
            "sales": "1-based data line of its file (the header is not counted)",
            "customers": "0-based row index in its file",
        },
        "other_rule_failures": extra,
        "columns": {"sales": s_columns, "customers": c_columns},
        "price_outliers": outliers,
        "candidate_keys": {
            "sales": stats.candidate_keys(s_frame, list(SALES_COLUMNS)),
            "customers": stats.candidate_keys(c_frame, list(CUSTOMER_TYPES)),
        },
        "schema_inconsistencies": {
            "date_formats": details["date_formats"],
            "impossible_dates_by_format": details["impossible_by_format"],
            "impossible_date_values": details["impossible_date_values"],
            "non_numeric_quantity_values": details["non_numeric_quantity_values"],
            "out_of_range_quantity_values": details["out_of_range_quantity_values"],
            "non_numeric_price_values": details["non_numeric_price_values"],
            "invalid_invoice_no_format": extra["sales.invalid_invoice_no_format"]["rows"],
            "invalid_sales_customer_id_format": extra["sales.invalid_customer_id_format"]["rows"],
            "invalid_customer_id_format": extra["customers.invalid_customer_id_format"]["rows"],
        },
        "referential_integrity": checks.referential_integrity(
            s_frame, s_checked, customers.all_ids
        ),
        "duplicates": {
            "sales_exact_duplicate_extra_copies": details["exact_duplicate_extra_copies"],
            "sales_conflicting_invoice_numbers": details["conflicting_invoice_numbers"],
            "sales_conflicting_invoice_rows": details["conflicting_invoice_rows"],
            "sales_conflicting_examples": details["conflicting_examples"],
            "customers_conflicting_ids": c_checked.details["conflicting_customer_ids"],
            "customers_conflicting_extra_rows": anomalies["duplicate_customer_conflict"],
            "customers_conflicting_examples": c_checked.details["conflicting_examples"],
            "customers_exact_duplicate_rows": extra["customers.exact_duplicate_customer"]["rows"],
        },
        "malformed_lines": {
            "count": len(sales.malformed),
            "by_problem": malformed_kinds,
            "examples": [
                {"line": m.line - 1, "file": m.file, "problem": m.problem, "text": m.text}
                for m in sales.malformed[:EXAMPLES]
            ],
        },
        "canonical_sets": {
            "category": {
                "status": details["category_status"],
                "variants": details["category_variants"],
                "unknown": details["category_unknown"],
            },
            "shopping_mall": {
                "status": details["mall_status"],
                "variants": details["mall_variants"],
                "unknown": details["mall_unknown"],
            },
            "payment_method": {
                "status": c_checked.details["payment_status"],
                "variants": c_checked.details["payment_variants"],
                "unknown": c_checked.details["payment_unknown"],
            },
            "gender_unknown": c_checked.details["gender_unknown"],
        },
        "invoices_per_month": months,
        "detection_differences": DIFFERENCES,
        "library_note": LIBRARY_NOTE,
    }
    chart_uris = {
        "price": charts.histogram(
            price[price > 0],
            "Price (line total, TRY)",
            "price",
            {
                "p99": outliers.get("p99_threshold"),
                "IQR upper fence": outliers.get("iqr_upper_fence"),
            }
            if outliers.get("rows")
            else None,
            clip=1.25 * outliers["p99_threshold"] if outliers.get("rows") else None,
        ),
        "quantity": charts.bars(
            {str(int(k)): int(v) for k, v in quantity.value_counts().sort_index().items()},
            "Quantity (whole numbers as delivered)",
            "quantity",
        ),
        "age": charts.histogram(c_frame["age"], "Customer age", "age (years)"),
        "category": charts.shares(s_frame["category"], "Category shares", ref.category.canonical),
        "mall": charts.shares(
            s_frame["shopping_mall"], "Shopping mall shares", ref.shopping_mall.canonical
        ),
        "payment": charts.shares(
            c_frame["payment_method"], "Payment method shares", ref.payment_method.canonical
        ),
        "months": charts.monthly(months, "Invoices per month (every parseable date)"),
    }
    summary["runtime_s"] = round(time.perf_counter() - started, 2)
    from lakehouse.profile.report_html import render

    html = render(summary, chart_uris)
    _write(out_dir / SUMMARY_NAME, json.dumps(summary, indent=2, default=str) + "\n")
    _write(out_dir / REPORT_NAME, html)
    summary["outputs"] = {"html": str(out_dir / REPORT_NAME), "json": str(out_dir / SUMMARY_NAME)}
    return summary


def _write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:
        raise LakehouseError(
            f"{path}: cannot write the report ({error.strerror or error}).",
            "Choose another folder with --out.",
        ) from error
