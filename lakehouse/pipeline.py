"""The main job: each step says what it does; the first failure stops with a clear message."""

from __future__ import annotations

import argparse
import time

from lakehouse import server
from lakehouse.commands.build import build
from lakehouse.config import PROJECT_DIR, Settings
from lakehouse.dbt_runner import run_dbt
from lakehouse.doctor import format_table, run_checks
from lakehouse.errors import LakehouseError
from lakehouse.landing.files import all_deliveries, name_files, user_files
from lakehouse.summary import format_summary, summary_document, test_results

CATALOG = PROJECT_DIR / "target" / "catalog.json"  # written by `dbt docs generate`
DEFAULT_ROWS = 100_000  # about the size of the source data set (99,457 invoices)


def _step(title: str) -> None:
    print(f"\n==> {title}", flush=True)


def landing_is_empty(settings: Settings) -> bool:
    """True when the landing folder holds no delivery (other files may be there)."""
    return not all_deliveries(settings.landing_dir)


def ensure_landing_data(settings: Settings) -> bool:
    """Generate the default data set into an empty landing folder; True if it did."""
    if not landing_is_empty(settings):
        print(f"Using the landing files in {settings.landing_dir}")
        return False
    others = user_files(settings.landing_dir) if settings.landing_dir.exists() else []
    if others:
        # No deliveries, but something else is there (e.g. a manifest left behind): do not
        # write over it unasked.
        raise LakehouseError(
            f"The landing folder {settings.landing_dir} holds no sales CSV (sales/*.csv) or "
            "customers Parquet (customers/*.parquet), only: "
            f"{name_files(settings.landing_dir, others)}.",
            "Put your deliveries in its sales/ and customers/ folders, or write the default "
            f"data set over it: lakehouse generate --force --landing {settings.landing_dir}",
        )
    from lakehouse.generate import generate

    print(f"The landing folder {settings.landing_dir} is empty: generating the default data set "
          f"({DEFAULT_ROWS:,} sales rows with a realistic share of dirt).")  # fmt: skip
    manifest = generate(settings.landing_dir, rows=DEFAULT_ROWS, progress=True)
    files = manifest["files"]
    print(f"Wrote {files['sales']['rows_total']:,} sales lines and "
          f"{files['customers']['rows_total']:,} customer rows.")  # fmt: skip
    return True


def _dbt(settings: Settings, args: list[str], what: str) -> None:
    if run_dbt(settings, args).returncode != 0:
        raise LakehouseError(
            f"{what} failed (see dbt's output above).",
            "Fix what it names, then rerun `lakehouse run`; the server is still running.",
        )


def run_pipeline(settings: Settings, args: argparse.Namespace) -> int:
    started = time.monotonic()
    _step("Starting the Thrift server")
    info, already = server.start(settings)
    print(("Reusing" if already else "Started") + f" the server (pid {info.pid}).")

    _step("Landing data")
    generated = ensure_landing_data(settings)

    # Incremental models (fct_sales) merge new deliveries into what they hold; a landing
    # folder that was replaced rather than added to needs them rebuilt from scratch.
    full_refresh = generated or getattr(args, "full_refresh", False)
    _step("Building the pipeline: seeds, bronze, silver, gold, snapshot, data tests"
          + (" (full refresh)" if full_refresh else ""))  # fmt: skip
    outcome = build(settings, full_refresh=full_refresh, force=getattr(args, "force", False))
    not_passed = test_results()

    _step("Generating the docs (lineage, catalog)")
    if outcome.built or not CATALOG.exists():
        _dbt(settings, ["docs", "generate"], "dbt docs generate")
    else:
        print(f"No table changed: the docs in {CATALOG.parent} are current.")

    if not getattr(args, "skip_doctor", False):
        _step("Checking the environment (lakehouse doctor)")
        checks = run_checks(settings)
        print(format_table(checks))
        if not all(check.passed for check in checks):
            raise LakehouseError("Some environment checks failed (table above).")

    _step(f"Done in {time.monotonic() - started:.0f} s")
    print(format_summary(settings, summary_document(settings, not_passed)))
    return 0
