"""A deterministic, streaming generator of the two landing files, with dirt on record.

    from lakehouse.generate import generate
    manifest = generate(landing_dir, rows=100_000, seed=42)

Writes, under landing_dir:
  customers/customer_data.parquet  customer_id, gender, age (float64, nullable), payment_method
  sales/sales_data.csv             invoice_no,customer_id,category,quantity,price,invoice_date,
                                   shopping_mall (dd-mm-yyyy dates, quoting only where needed)
  manifest.json                    seed, options, counts, every anomaly of lakehouse.anomalies
                                   with its keys and lines, and the expected silver outcome

How the sizes relate:
  customers = ceil(rows / invoices_per_customer) real customers, each with ~K base invoices
              (exactly K, the last customer the remainder), + one row per
              duplicate_customer_conflict.
  sales lines = rows (base invoices; the in-place dirt alters some of them)
              + exact_duplicate + conflicting_duplicate_invoice events (extra copies)
              + orphan_customer_id + missing_customer_id events (extra lines with fresh
                invoice numbers, so every real customer keeps all its base invoices).
Formats:
  CSV      UTF-8, "\n" line ends, a header line, comma separator. No canonical value needs
           quoting (Food & Beverage included), so nothing is quoted; the only quotes in the
           file belong to malformed lines. Every line is one physical line.
  price    the shortest text of the 2-decimal value, as pandas wrote the source: 300.08,
           1500.4, 5250.0 (a whole number keeps one decimal).
  ids      I/C + 6 digits while the ids needed (invoices: rows + fresh lines; customers:
           customers + orphan ids) fit in 900,000; 7 digits up to 9M, 8 up to 90M, etc.
           Ids are a keyed permutation of an index, so they look scattered and never repeat.
  parquet  snappy, one row group per chunk (250,000 rows), age null (not NaN) when missing.
  manifest line numbers: sales 1-based data lines (line 1 = first line after the header);
           customers 0-based row indices. keys[i] belongs to lines[i].
Same seed and options give byte-identical files (for a given pyarrow version).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from lakehouse.errors import LakehouseError
from lakehouse.generate import customers, dirt, plan, sales, writer
from lakehouse.generate.manifest import LINE_NUMBERING, AnomalyLog, expected_outcomes
from lakehouse.generate.values import reference
from lakehouse.landing.contract import CUSTOMERS_FILE, SALES_FILE, SALES_HEADER
from lakehouse.landing.files import temp_path

GENERATOR_VERSION = "1.0"
MIN_ROWS = 1_000

__all__ = ["generate", "GENERATOR_VERSION", "MIN_ROWS"]


def generate(
    landing_dir: Path,
    rows: int = 100_000,
    seed: int = 42,
    invoices_per_customer: int = 1,
    clean: bool = False,
    rates: dict[str, float] | None = None,
    progress: bool = False,
    overwrite: bool = False,
) -> dict:
    """Write the landing files and return the manifest (also written as manifest.json)."""
    landing = Path(landing_dir).expanduser().resolve()
    if int(rows) != rows or rows < MIN_ROWS:
        raise LakehouseError(f"--rows {rows} is too small.", f"Ask for at least {MIN_ROWS:,} rows.")
    if (
        int(invoices_per_customer) != invoices_per_customer
        or not 1 <= invoices_per_customer <= rows
    ):
        raise LakehouseError(
            f"--invoices-per-customer {invoices_per_customer} is not a whole number "
            f"from 1 to --rows ({rows}).",
            "Use 1 (the source: one invoice per customer) or more.",
        )
    effective_rates = dirt.resolve_rates(clean, rates)
    ref = reference()
    dirt.check_unknowns(ref)
    the_plan = plan.Plan.build(
        ref, int(seed), int(rows), int(invoices_per_customer), effective_rates
    )
    writer.prepare_landing(landing, overwrite)

    log = AnomalyLog()
    customers_path = landing / CUSTOMERS_FILE
    sales_path = landing / SALES_FILE
    bar = _progress_bar(progress, the_plan.customers + the_plan.rows)
    parquet_out = csv_out = None
    try:
        parquet_out = writer.ParquetOut(customers_path, customers.SCHEMA)
        customer_rows = 0
        for number, start, stop in plan.Plan.chunks(the_plan.customers):
            chunk = customers.build(the_plan, number, start, stop)
            parquet_out.write(chunk.table)
            log.add_chunk(chunk.events, line_offset=customer_rows)
            customer_rows += chunk.table.num_rows
            bar.update(stop - start)
        parquet_out.close()

        csv_out = writer.CsvOut(sales_path, SALES_HEADER)
        sales_lines = 0
        for number, start, stop in plan.Plan.chunks(the_plan.rows):
            chunk = sales.build(the_plan, number, start, stop)
            csv_out.write(chunk.data)
            log.add_chunk(chunk.events, line_offset=sales_lines + 1)
            sales_lines += chunk.lines
            bar.update(stop - start)
        csv_out.close()
    except BaseException:
        for out in (parquet_out, csv_out):
            if out is not None:
                out.abort()
        raise
    finally:
        bar.close()

    writer.publish(parquet_out.temp, customers_path)
    writer.publish(csv_out.temp, sales_path)
    manifest = _manifest(the_plan, log, customer_rows, sales_lines, landing, csv_out, clean)
    manifest_path = landing / writer.MANIFEST_FILE
    temp = temp_path(manifest_path)
    temp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    writer.publish(temp, manifest_path)
    return manifest


def _manifest(the_plan, log, customer_rows, sales_lines, landing, csv_out, clean) -> dict:
    customers_path = landing / CUSTOMERS_FILE
    return {
        "generator": "lakehouse.generate",
        "generator_version": GENERATOR_VERSION,
        "seed": the_plan.seed,
        "options": {
            "rows": the_plan.rows,
            "invoices_per_customer": the_plan.invoices_per_customer,
            "clean": clean,
            "rates": the_plan.rates,
            "chunk_rows": plan.CHUNK_ROWS,
        },
        "ids": {
            "invoice_no": f"I + {the_plan.invoice_ids.digits} digits",
            "customer_id": f"C + {the_plan.customer_ids.digits} digits",
        },
        "files": {
            "customers": {
                "path": str(CUSTOMERS_FILE),
                "format": "parquet",
                "rows": customer_rows,
                "rows_total": customer_rows,
                "real_customers": the_plan.customers,
                "line_numbering": LINE_NUMBERING["customers"],
                "bytes": os.path.getsize(customers_path),
                "sha256": writer.file_sha256(customers_path),
            },
            "sales": {
                "path": str(SALES_FILE),
                "format": "csv",
                "header": True,
                "rows": sales_lines,
                "rows_total": sales_lines,
                "physical_lines": sales_lines + 1,
                "base_invoices": the_plan.rows,
                "line_numbering": LINE_NUMBERING["sales"],
                "bytes": csv_out.bytes,
                "sha256": csv_out.sha256.hexdigest(),
            },
        },
        "anomalies": log.as_dict(),
        "expected": expected_outcomes(log, {"customers": customer_rows, "sales": sales_lines}),
    }


def _progress_bar(enabled: bool, total: int):
    from tqdm import tqdm

    return tqdm(
        total=total,
        disable=not enabled,
        unit=" rows",
        unit_scale=True,
        desc="generating",
        leave=False,
    )
