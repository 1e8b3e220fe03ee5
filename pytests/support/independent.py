"""An independent computation of silver, in plain Python/pandas, from the landing files.

It implements the documented rules of models/intermediate (docs block `sales_rules` and
`customer_rules`) without sharing any code with dbt, so tests can check that gold equals what
the rules say it should be. Deliveries are ordered by file modification time, then name,
as the models order them.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import yaml

from lakehouse.config import PROJECT_DIR

SALES_HEADER = "invoice_no,customer_id,category,quantity,price,invoice_date,shopping_mall"
# A line may be long (a field of hundreds of kilobytes still is a line of the delivery).
csv.field_size_limit(2**31 - 1)
SEEDS = PROJECT_DIR / "seeds"


def _project_vars() -> dict:
    return yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]


def normalise(text: str | None) -> str | None:
    return None if text is None else re.sub(r"\s+", " ", text.strip()).lower()


def lookup(domain: str) -> dict[str, str]:
    """Normalised spelling -> canonical value, from the seeds (canonical names + aliases)."""
    canonical_files = {
        "payment_method": ("payment_methods.csv", "payment_method"),
        "category": ("product_categories.csv", "category"),
        "shopping_mall": ("shopping_malls.csv", "shopping_mall"),
    }
    file_name, column = canonical_files[domain]
    table = {normalise(v): v for v in pd.read_csv(SEEDS / file_name, dtype=str)[column]}
    aliases = pd.read_csv(SEEDS / "value_aliases.csv", dtype=str)
    for row in aliases[aliases["domain"] == domain].itertuples():
        table[normalise(row.alias)] = row.canonical_value
    return table


def unit_prices() -> dict[str, Decimal]:
    seed = pd.read_csv(SEEDS / "product_categories.csv", dtype=str)
    return {row.category: Decimal(row.unit_price_try) for row in seed.itertuples()}


def _deliveries(folder: Path, suffix: str) -> list[Path]:
    """The delivery files of a kind, in delivery order; an empty file delivers nothing."""
    files = [
        p
        for p in folder.iterdir()
        if p.suffix == suffix and not p.name.startswith(".") and p.stat().st_size > 0
    ]
    return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))


def _blank_to_none(text: str | None) -> str | None:
    return None if text is None or text.strip() == "" else text.strip()


def age_band(age: int | None) -> str:
    if age is None:
        return "Unknown"
    for upper, band in ((25, "18-24"), (35, "25-34"), (45, "35-44"), (55, "45-54"), (65, "55-64")):
        if age < upper:
            return band
    return "65+"


# ------------------------------------------------------------------------------ customers


@dataclass
class Outcomes:
    """Per entity: accepted rows, quarantined rows with reasons, and collapsed/superseded;
    `per_file` counts each delivery file's rows by outcome ("received", "accepted",
    "quarantined", "collapsed", "superseded")."""

    accepted: pd.DataFrame
    quarantined: list[dict] = field(default_factory=list)
    collapsed: int = 0
    superseded: int = 0
    received: int = 0
    per_file: dict[str, Counter] = field(default_factory=dict)


def _count(per_file: dict[str, Counter], file_name: str, outcome: str) -> None:
    per_file.setdefault(file_name, Counter())[outcome] += 1


def check_customers(landing_dir: Path) -> Outcomes:
    payment = lookup("payment_method")
    rows = []
    per_file: dict[str, Counter] = {}
    for order, path in enumerate(_deliveries(landing_dir / "customers", ".parquet")):
        table = pq.read_table(path).to_pylist()
        for index, row in enumerate(table):
            rows.append({**row, "_delivery": order, "_index": index, "_file": path.name})
            _count(per_file, path.name, "received")
    seen_hashes: set[tuple] = set()
    distinct = []
    collapsed = 0
    for row in rows:
        key = (row["customer_id"], row["gender"], row["age"], row["payment_method"])
        if key in seen_hashes:
            collapsed += 1
            _count(per_file, row["_file"], "collapsed")
            continue
        seen_hashes.add(key)
        distinct.append(row)
    latest: dict[str, int] = {}
    for row in distinct:
        customer_id = _blank_to_none(row["customer_id"])
        if customer_id:
            latest[customer_id] = max(latest.get(customer_id, -1), row["_delivery"])
    accepted, quarantined, superseded, first_in_delivery = [], [], 0, set()
    for row in distinct:
        customer_id = _blank_to_none(row["customer_id"])
        if customer_id and row["_delivery"] < latest[customer_id]:
            superseded += 1
            _count(per_file, row["_file"], "superseded")
            continue
        reasons = []
        gender = {"female": "Female", "male": "Male"}.get((row["gender"] or "").strip().lower())
        age = row["age"]
        method = payment.get(normalise(row["payment_method"]))
        if customer_id is None:
            reasons.append("missing_customer_id")
        if gender is None:
            reasons.append("invalid_gender")
        if age is not None and (age != int(age) or not 18 <= age <= 100):
            reasons.append("invalid_age")
        if method is None:
            reasons.append("unknown_payment_method")
        if customer_id is not None:
            if customer_id in first_in_delivery:
                reasons.append("duplicate_customer_conflict")
            first_in_delivery.add(customer_id)
        if reasons:
            quarantined.append({"customer_id": row["customer_id"], "reasons": reasons})
            _count(per_file, row["_file"], "quarantined")
            continue
        _count(per_file, row["_file"], "accepted")
        whole_age = None if age is None else int(age)
        accepted.append(
            {
                "customer_id": customer_id,
                "gender": gender,
                "age": whole_age,
                "age_band": age_band(whole_age),
                "payment_method": method,
            }
        )
    return Outcomes(pd.DataFrame(accepted), quarantined, collapsed, superseded, len(rows), per_file)


def accepted_customers(landing_dir: Path) -> pd.DataFrame:
    return check_customers(landing_dir).accepted


# ------------------------------------------------------------------------------ sales


def parse_invoice_date(text: str) -> date | None:
    formats = (
        (r"^\d{2}-\d{2}-\d{4}$", "%d-%m-%Y"),
        (r"^\d{4}-\d{2}-\d{2}$", "%Y-%m-%d"),
        (r"^\d{1,2}/\d{1,2}/\d{4}$", "%d/%m/%Y"),
    )
    for pattern, date_format in formats:
        if re.match(pattern, text):
            try:
                return datetime.strptime(text, date_format).date()
            except ValueError:
                return None
    return None


def _sales_lines(landing_dir: Path) -> list[dict]:
    """Every data line of every sales delivery. A file's first line is its header: a file
    with extra columns has its required columns picked by name (`_columns`: their
    positions, `_width`: how many fields a well-formed line has)."""
    required = SALES_HEADER.split(",")
    lines = []
    for order, path in enumerate(_deliveries(landing_dir / "sales", ".csv")):
        header, *data = path.read_text(encoding="utf-8").split("\n")
        names = next(csv.reader([header.rstrip("\r")]))
        columns = [names.index(name) for name in required]
        for raw in data:
            raw = raw.rstrip("\r")
            if raw.strip() == "":
                continue
            lines.append(
                {
                    "raw": raw,
                    "_delivery": order,
                    "_file": path.name,
                    "_columns": columns,
                    "_width": len(names),
                }
            )
    return lines


def check_sales(landing_dir: Path, accepted_customer_ids: set[str] | None = None) -> Outcomes:
    rules = _project_vars()
    categories, malls, prices = lookup("category"), lookup("shopping_mall"), unit_prices()
    if accepted_customer_ids is None:
        accepted_customer_ids = set(accepted_customers(landing_dir)["customer_id"])
    lines = _sales_lines(landing_dir)
    received = len(lines)
    per_file: dict[str, Counter] = {}
    for line in lines:
        _count(per_file, line["_file"], "received")

    seen, distinct, collapsed = set(), [], 0
    for line in lines:
        if line["raw"] in seen:
            collapsed += 1
            _count(per_file, line["_file"], "collapsed")
            continue
        seen.add(line["raw"])
        fields = next(csv.reader([line["raw"]]))
        line["malformed"] = len(fields) != line["_width"] or line["raw"].count('"') % 2 == 1
        line["fields"] = [fields[i] for i in line["_columns"]] if not line["malformed"] else None
        distinct.append(line)

    # Versions of an invoice: the latest delivery wins; two versions in it conflict.
    latest: dict[str, int] = {}
    versions: dict[tuple[str, int], int] = {}
    for line in distinct:
        if line["malformed"]:
            continue
        invoice_no = _blank_to_none(line["fields"][0])
        if invoice_no:
            latest[invoice_no] = max(latest.get(invoice_no, -1), line["_delivery"])
            versions[(invoice_no, line["_delivery"])] = (
                versions.get((invoice_no, line["_delivery"]), 0) + 1
            )

    min_date = date.fromisoformat(rules["invoice_date_min"])
    ratio = Decimal(str(rules["price_tolerance_ratio"]))
    absolute = Decimal(str(rules["price_tolerance_abs"]))
    accepted, quarantined, superseded = [], [], 0
    for line in distinct:
        if line["malformed"]:
            quarantined.append({"raw": line["raw"], "reasons": ["malformed_line"]})
            _count(per_file, line["_file"], "quarantined")
            continue
        invoice_raw, customer_raw, category, quantity, price, date_raw, mall = line["fields"]
        invoice_no = _blank_to_none(invoice_raw)
        if invoice_no and line["_delivery"] < latest[invoice_no]:
            superseded += 1
            _count(per_file, line["_file"], "superseded")
            continue
        customer_id = _blank_to_none(customer_raw)
        date_text = _blank_to_none(date_raw)
        invoice_date = parse_invoice_date(date_text) if date_text else None
        quantity_text = _blank_to_none(quantity)
        quantity_value = int(quantity_text) if re.match(r"^-?\d+$", quantity_text or "") else None
        try:
            amount = Decimal(price.strip()).quantize(Decimal("0.01"))
        except InvalidOperation:
            amount = None
        category_value = categories.get(normalise(category))
        mall_value = malls.get(normalise(mall))
        unit_price = prices.get(category_value) if category_value else None

        reasons = []
        if invoice_no is None:
            reasons.append("missing_invoice_no")
        if customer_id is None:
            reasons.append("missing_customer_id")
        if date_text is None:
            reasons.append("missing_invoice_date")
        if date_text is not None and invoice_date is None:
            reasons.append("invalid_invoice_date")
        if invoice_date is not None and not min_date <= invoice_date <= date.today():
            reasons.append("invoice_date_out_of_range")
        if quantity_text is not None and quantity_value is None:
            reasons.append("non_numeric_quantity")
        if quantity_text is None or (quantity_value is not None and not 1 <= quantity_value <= 5):
            reasons.append("quantity_out_of_range")
        if amount is None:
            reasons.append("invalid_price")
        elif amount <= 0:
            reasons.append("non_positive_price")
        if category_value is None:
            reasons.append("unknown_category")
        if mall_value is None:
            reasons.append("unknown_mall")
        if amount is not None and amount > 0 and unit_price is not None:
            if quantity_value is not None and 1 <= quantity_value <= 5:
                expected = quantity_value * unit_price
                if abs(amount - expected) > max(absolute, expected * ratio):
                    reasons.append("price_mismatch")
        if customer_id is not None and customer_id not in accepted_customer_ids:
            reasons.append("orphan_customer_id")
        if invoice_no and versions[(invoice_no, line["_delivery"])] > 1:
            reasons.append("conflicting_duplicate")
        if reasons:
            quarantined.append({"raw": line["raw"], "invoice_no": invoice_raw, "reasons": reasons})
            _count(per_file, line["_file"], "quarantined")
            continue
        _count(per_file, line["_file"], "accepted")
        accepted.append(
            {
                "invoice_no": invoice_no,
                "customer_id": customer_id,
                "category": category_value,
                "shopping_mall": mall_value,
                "invoice_date": invoice_date,
                "quantity": quantity_value,
                "unit_price_try": unit_price,
                "amount_try": amount,
            }
        )
    frame = pd.DataFrame(accepted)
    if not frame.empty:
        amounts = frame["amount_try"].astype(float).to_numpy()
        threshold = np.percentile(amounts, rules["price_outlier_quantile"] * 100)
        frame["is_price_outlier"] = amounts >= threshold
    return Outcomes(frame, quarantined, collapsed, superseded, received, per_file)


def accepted_sales(landing_dir: Path) -> pd.DataFrame:
    return check_sales(landing_dir).accepted


def row_hash(raw_line: str) -> str:
    """The bronze row hash of a sales line (sha2-256 of the raw line)."""
    return hashlib.sha256(raw_line.encode("utf-8")).hexdigest()


def outcomes_per_file(landing_dir: Path) -> dict[tuple[str, str], dict[str, int]]:
    """(entity, file name) -> rows of that delivery file by outcome, as the rules say."""
    customers = check_customers(landing_dir)
    sales = check_sales(landing_dir, set(customers.accepted["customer_id"]))
    return {
        (entity, file_name): dict(counts)
        for entity, outcomes in (("customers", customers), ("sales", sales))
        for file_name, counts in outcomes.per_file.items()
    }
