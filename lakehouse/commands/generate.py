"""`lakehouse generate`: write the landing files (customers parquet, sales CSV, manifest)."""

from __future__ import annotations

import argparse
import sys
import time

from lakehouse.commands.options import add_options, settings_from
from lakehouse.errors import LakehouseError
from lakehouse.generate import MIN_ROWS, generate
from lakehouse.generate.dirt import DEFAULT_RATES, MAX_RATE
from lakehouse.landing.files import all_deliveries
from lakehouse.landing.states import empty_landing_beside_a_loaded_lakehouse, manifest_exists

PROGRESS_FROM_ROWS = 1_000_000

DESCRIPTION = """\
Generate the two landing files in the source's exact format, deterministically:

  <landing>/customers/customer_data.parquet   customer_id, gender, age, payment_method
  <landing>/sales/sales_data.csv              one line per invoice (dd-mm-yyyy dates)
  <landing>/manifest.json                     every injected anomaly (count, keys, lines)
                                              and the expected silver/quarantine totals

Values follow the source (shares, unit prices, 2021-01-01..2023-03-08); names and prices
come from the dbt seeds. A small share of rows carries one anomaly each (duplicates,
orphans, bad dates, spelling variants, malformed lines...), at rates you can change.
Same --seed and options give byte-identical files.
"""

EPILOG = """\
examples:
  lakehouse generate                              100,000 invoices into the default landing
  lakehouse generate --rows 10000000 --force      10M invoices, replacing the old files
  lakehouse generate --clean                      no dirt at all
  lakehouse generate --rate malformed_line=0.01 --rate orphan_customer_id=0
  lakehouse generate --invoices-per-customer 5    ~5 invoices per customer

anomaly names and default rates (fraction of invoices, or of customers):
""" + "\n".join(f"  {name:<32}{rate:g}" for name, rate in DEFAULT_RATES.items())


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="write synthetic landing files (customers parquet + sales CSV) with known dirt",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_options(parser, "landing")
    parser.add_argument(
        "--rows",
        type=int,
        default=100_000,
        help=f"base invoices (default 100,000; at least {MIN_ROWS:,}); the CSV holds a few "
        "more lines: duplicates and lines without a real customer",
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--invoices-per-customer",
        type=int,
        default=1,
        metavar="K",
        help="invoices per customer; customers = ceil(rows / K) (default 1, as the source)",
    )
    parser.add_argument("--clean", action="store_true", help="inject no dirt at all")
    parser.add_argument(
        "--rate",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=f"rate of one anomaly, 0..{MAX_RATE} (repeatable; names listed below)",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace the files of a landing folder in use"
    )
    parser.add_argument(
        "--if-new-lakehouse",
        action="store_true",
        help="generate only into an empty landing folder of a lakehouse that has loaded "
        "nothing yet (asks the server); do nothing when the folder holds deliveries, and "
        "fail when it is empty beside loaded data (the compose job's first start)",
    )
    parser.set_defaults(handler=_generate)


def parse_rates(items: list[str]) -> dict[str, float]:
    rates: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise LakehouseError(
                f"--rate {item!r} is not NAME=VALUE.", "Example: --rate malformed_line=0.001"
            )
        try:
            rates[name.strip()] = float(value)
        except ValueError:
            raise LakehouseError(
                f"--rate {item!r}: {value!r} is not a number.",
                "Give a fraction, e.g. --rate malformed_line=0.001",
            ) from None
    return rates


def _generate(args: argparse.Namespace) -> int:
    landing = settings_from(args).landing_dir
    if args.if_new_lakehouse:
        if all_deliveries(landing):
            print(f"The landing folder {landing} holds deliveries: nothing generated.")
            return 0
        if manifest_exists(settings_from(args)):
            raise empty_landing_beside_a_loaded_lakehouse(landing)
    rates = parse_rates(args.rate)
    progress = sys.stderr.isatty() or args.rows >= PROGRESS_FROM_ROWS
    started = time.perf_counter()
    manifest = generate(
        landing,
        rows=args.rows,
        seed=args.seed,
        invoices_per_customer=args.invoices_per_customer,
        clean=args.clean,
        rates=rates or None,
        progress=progress,
        overwrite=args.force,
    )
    seconds = time.perf_counter() - started
    files = manifest["files"]
    customers, sales = files["customers"], files["sales"]
    print(f"Wrote {landing}:")
    print(f"  {customers['path']:<34}{customers['rows']:>12,} rows  {_size(customers['bytes'])}")
    print(f"  {sales['path']:<34}{sales['rows']:>12,} lines {_size(sales['bytes'])}")
    print("  manifest.json")
    injected = {name: entry["count"] for name, entry in manifest["anomalies"].items()}
    dirty = {name: count for name, count in injected.items() if count}
    if dirty:
        print("Anomalies injected: " + ", ".join(f"{n} {c:,}" for n, c in dirty.items()))
    else:
        print("Anomalies injected: none (clean data).")
    expected = manifest["expected"]
    for entity in ("customers", "sales"):
        totals = expected[entity]
        print(
            f"Expected {entity}: {totals['silver_rows']:,} in silver, "
            f"{totals['quarantined_total']:,} quarantined, "
            f"{totals['collapsed_duplicates']:,} collapsed duplicates."
        )
    total_rows = customers["rows"] + sales["rows"]
    print(
        f"{total_rows:,} rows in {seconds:.1f} s ({total_rows / max(seconds, 1e-9):,.0f} rows/s)."
    )
    print("Next: `lakehouse run`. Beside a lakehouse that loaded other files, replaced files "
          "stop the build: `lakehouse build --rebuild-bronze --forget KIND/NAME` rebuilds "
          "bronze from the files present.")  # fmt: skip
    return 0


def _size(n_bytes: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n_bytes < 1024 or unit == "GB":
            return f"{n_bytes:.0f} {unit}" if unit == "B" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1024
    return ""
