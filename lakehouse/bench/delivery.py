"""The incremental step's input: one new day of sales, delivered as an extra CSV file.

The file follows the sales contract (same header, dd-mm-yyyy dates, prices as the generator
writes them) and sits beside the generated file in `sales/`, the way a real delivery
arrives. It holds new invoices for existing customers and a few corrected re-deliveries
of existing invoices (quantity and price changed), which the fact's merge must update.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from lakehouse.generate.values import Reference, reference
from lakehouse.generate.writer import MANIFEST_FILE
from lakehouse.landing.contract import SALES_COLUMNS, SALES_FILE, SALES_HEADER

_DATE = re.compile(r"^\d{2}-\d{2}-\d{4}$")


@dataclass(frozen=True)
class Delivery:
    path: Path
    day: dt.date
    new_rows: int
    corrections: int


def _clean_lines(sales_csv: Path, ref: Reference, wanted: int) -> list[dict[str, str]]:
    """The first `wanted` lines of the generated file that carry no dirt at all."""
    found: list[dict[str, str]] = []
    with sales_csv.open(encoding="utf-8") as lines:
        next(lines)  # header
        for line in lines:
            fields = line.rstrip("\n").split(",")
            if len(fields) != len(SALES_COLUMNS):
                continue
            row = dict(zip(SALES_COLUMNS, fields, strict=True))
            if _is_clean(row, ref):
                found.append(row)
                if len(found) == wanted:
                    break
    return found


def _is_clean(row: dict[str, str], ref: Reference) -> bool:
    if row["category"] not in ref.categories or row["shopping_mall"] not in ref.malls:
        return False
    if row["quantity"] not in ("1", "2", "3", "4", "5") or not _DATE.match(row["invoice_date"]):
        return False
    category = ref.categories.index(row["category"])
    return (
        row["price"] == ref.price_text[category, int(row["quantity"])]
        and row["invoice_no"].startswith("I")
        and row["customer_id"].startswith("C")
    )


def _invoice_digits(landing: Path) -> int:
    """Digits of the generated invoice numbers ('I + 7 digits' in the manifest -> 7)."""
    manifest = json.loads((landing / MANIFEST_FILE).read_text())
    return int(manifest["ids"]["invoice_no"].split()[2])


def write_new_day(
    landing: Path, new_rows: int, corrections: int, serial: int = 1, ref: Reference | None = None
) -> Delivery:
    """Write delivery number `serial` (1, 2, ...): the serial-th day after the last date.

    New invoice numbers have one digit more than the generated ones (9 followed by the
    serial's block), so they never collide with generated or earlier bench invoices.
    """
    ref = ref or reference()
    day = ref.days[-1] + dt.timedelta(days=serial)
    digits = _invoice_digits(landing)
    first_number = 9 * 10**digits + (serial - 1) * new_rows
    if first_number + new_rows > 10 ** (digits + 1):
        raise ValueError(f"delivery {serial} of {new_rows} rows runs out of invoice numbers")
    # Corrections of delivery k use the k-th block of clean lines: each day corrects others.
    clean = _clean_lines(landing / SALES_FILE, ref, max(serial * corrections, new_rows, 100))
    customers = list(dict.fromkeys(row["customer_id"] for row in clean))
    lines = []
    for n in range(new_rows):
        category = n % len(ref.categories)
        quantity = n % 5 + 1
        fields = {
            "invoice_no": f"I{first_number + n}",
            "customer_id": customers[n % len(customers)],
            "category": ref.categories[category],
            "quantity": str(quantity),
            "price": ref.price_text[category, quantity],
            "invoice_date": f"{day:%d-%m-%Y}",
            "shopping_mall": ref.malls[n % len(ref.malls)],
        }
        lines.append(",".join(fields[column] for column in SALES_COLUMNS))
    for row in clean[(serial - 1) * corrections : serial * corrections]:
        category = ref.categories.index(row["category"])
        quantity = int(row["quantity"]) % 5 + 1  # another quantity, and its price
        corrected = dict(row, quantity=str(quantity), price=ref.price_text[category, quantity])
        lines.append(",".join(corrected[column] for column in SALES_COLUMNS))
    path = landing / "sales" / f"sales_data_{day:%Y-%m-%d}.csv"
    temp = path.with_name(f".{path.name}.tmp")  # the landing table lists only visible files
    temp.write_text(SALES_HEADER + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    temp.replace(path)
    return Delivery(path, day, new_rows, len(lines) - new_rows)
