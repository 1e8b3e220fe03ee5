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
from lakehouse.landing.states import empty_landing_beside_a_loaded_lakehouse, manifest_exists
from lakehouse.summary import format_summary, summary_document, test_results

CATALOG = PROJECT_DIR / "target" / "catalog.json"  # written by `dbt docs generate`
DEFAULT_ROWS = 100_000  # about the size of the source data set (99,457 invoices)


def _step(title: str) -> None:
    print(f"\n==> {title}", flush=True)


def landing_is_empty(settings: Settings) -> bool:
    """True when the landing folder holds no delivery (other files may be there)."""
    return not all_deliveries(settings.landing_dir)


def ensure_landing_data(settings: Settings, lakehouse_exists: bool = False) -> bool:
    """Generate the default data set into the landing folder when it holds no delivery; True
    if it did. Generated data goes only where nothing real can be: the default landing folder
    of a brand-new lakehouse. An empty or missing folder that was chosen by setting
    (LAKEHOUSE_LANDING_DIR, --landing), or beside a lakehouse that already loaded deliveries
    (`lakehouse_exists`), is an error: a typo, an unmounted share or files archived after
    loading must not put generated rows next to real ones."""
    if not landing_is_empty(settings):
        print(f"Using the landing files in {settings.landing_dir}")
        return False
    folder = settings.landing_dir
    state = "does not exist" if not folder.exists() else "holds no delivery"
    if settings.landing is not None:
        raise LakehouseError(
            f"The landing folder {folder} {state} (no sales/*.csv, no customers/*.parquet). "
            "It was chosen with LAKEHOUSE_LANDING_DIR (or --landing). Nothing was built.",
            "Check the path (a typo? a share that is not mounted?). Sample data is generated "
            "only into the default landing folder of a new lakehouse; to write it elsewhere "
            f"on purpose: lakehouse generate --landing {folder}",
        )
    if lakehouse_exists:
        raise empty_landing_beside_a_loaded_lakehouse(folder)
    others = user_files(folder) if folder.exists() else []
    if others:
        # No deliveries, but something else is there (e.g. a manifest left behind): do not
        # write over it unasked.
        raise LakehouseError(
            f"The landing folder {folder} holds no sales CSV (sales/*.csv) or "
            "customers Parquet (customers/*.parquet), only: "
            f"{name_files(folder, others)}.",
            "Put your deliveries in its sales/ and customers/ folders, or write the default "
            f"data set over it: lakehouse generate --force --landing {folder}",
        )
    from lakehouse.generate import generate

    print(
        f"The landing folder {folder} is empty and the lakehouse is new: generating the "
        f"default data set ({DEFAULT_ROWS:,} sales rows with a realistic share of dirt)."
    )
    manifest = generate(folder, rows=DEFAULT_ROWS, progress=True)
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
    generated = ensure_landing_data(settings, lakehouse_exists=manifest_exists(settings))

    # A brand-new lakehouse with generated data is built whole; otherwise --full-refresh
    # rebuilds silver and gold from bronze (bronze keeps every loaded row).
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
