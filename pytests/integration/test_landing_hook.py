"""Plain `dbt build` (without the `lakehouse` CLI and its check) is as safe as the CLI: the
on-run-start hook check_landing_files stops the run before any model, with the CLI's message.
And `dbt source freshness` judges the landing folder's newest delivery of each kind."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pyhive.exc import OperationalError

from lakehouse.config import PROJECT_DIR, Settings, dbt_env
from lakehouse.connection import query
from lakehouse.dbt_runner import dbt_executable
from lakehouse.landing.contract import SALES_HEADER

LINE = "I100001,C100001,Books,1,15.15,05-08-2022,Kanyon"


def plain_dbt(settings: Settings, landing: Path, tmp_path: Path, *args: str):
    env = dict(dbt_env(settings), LAKEHOUSE_LANDING_DIR=str(landing))
    return subprocess.run(
        [dbt_executable(), *args, "--target-path", str(tmp_path / "target")],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def table_versions(settings: Settings) -> dict[str, int]:
    """The latest Delta version of every table of the layers (a build that writes moves it)."""
    versions = {}
    for schema in ("bronze", "silver", "gold"):
        try:
            tables = [row[1] for row in query(settings, f"show tables in {schema}")]
        except OperationalError:  # the schema does not exist (yet) on this server
            continue
        views = {row[1] for row in query(settings, f"show views in {schema}")}
        for table in tables:
            if table in views:  # views have no Delta history (silver's validated/quarantined)
                continue
            history = query(settings, f"describe history {schema}.{table} limit 1")
            versions[f"{schema}.{table}"] = history[0][0]
    return versions


def test_plain_dbt_build_stops_on_a_broken_delivery_before_any_model(
    lakehouse_server: Settings, tmp_path: Path
) -> None:
    landing = tmp_path / "landing"
    (landing / "sales").mkdir(parents=True)
    (landing / "customers").mkdir()
    good = (LINE + "\n") * 100_000  # 4.8 MB: the bad byte below is far past the first 64 KiB
    # Names no earlier build loaded: a loaded name with other content would stop the build
    # as a file changed in place, before the contract check.
    (landing / "sales" / "sales_hook_good.csv").write_text(SALES_HEADER + "\n" + good)
    pq.write_table(
        pa.table(
            {
                "customer_id": ["C100001"],
                "gender": ["Female"],
                "age": [30.0],
                "payment_method": ["Cash"],
            }
        ),
        landing / "customers" / "customers_hook_good.parquet",
    )
    # The broken deliveries: a renamed column, a byte that is not UTF-8 deep in the file,
    # reordered columns without the layout the CLI would pass, a customers age as integers.
    renamed = SALES_HEADER.replace("invoice_date", "date")
    (landing / "sales" / "renamed.csv").write_text(renamed + "\n" + LINE + "\n")
    (landing / "sales" / "latin1.csv").write_bytes(
        (SALES_HEADER + "\n" + good).encode() + b"I9,C1,Books,1,15.15,05-08-2022,Caf\xe9\n"
    )
    reordered = "customer_id,invoice_no,category,quantity,price,invoice_date,shopping_mall"
    (landing / "sales" / "reordered.csv").write_text(
        reordered + "\nC100001,I100002,Books,1,15.15,05-08-2022,Kanyon\n"
    )
    pq.write_table(
        pa.table(
            {
                "customer_id": ["C2"],
                "gender": ["Male"],
                "age": pa.array([41], pa.int64()),
                "payment_method": ["Cash"],
            }
        ),
        landing / "customers" / "int_age.parquet",
    )
    before = table_versions(lakehouse_server)

    build = plain_dbt(lakehouse_server, landing, tmp_path, "build", "-s", "stg_landing__sales")

    output = build.stdout + build.stderr
    assert build.returncode != 0, output[-3000:]
    assert f"The landing folder {landing} breaks the delivery contract; no table was changed" in (
        output
    )
    assert (
        f"- sales/renamed.csv: required column 'invoice_date' is missing (header: {renamed})."
        in output
    )
    assert "- sales/latin1.csv is not a UTF-8 text CSV file (1 line(s) with a byte" in output
    assert "- customers/int_age.parquet: column 'age' is bigint, expected double." in output
    assert "-> Fix or remove the named files" in output
    # The reordered file: the hook names the layout to pass, the one the CLI's check derives.
    suggested = re.search(r"- sales/reordered\.csv: .* add --vars '(.*)'\.\n", output)
    assert suggested, output[-3000:]
    layouts = json.loads(suggested.group(1))["sales_file_layouts"]
    assert layouts["reordered.csv"]["positions"]["invoice_no"] == 1
    # Stopped in the hook: no model started, no table written.
    assert "START sql" not in output
    assert "sales/sales_hook_good.csv" not in output  # the good files are not named
    assert table_versions(lakehouse_server) == before


def test_landing_freshness_warns_when_the_newest_delivery_of_a_kind_is_old(
    lakehouse_server: Settings, tmp_path: Path
) -> None:
    landing = tmp_path / "landing"
    (landing / "sales").mkdir(parents=True)
    (landing / "customers").mkdir()
    sales = landing / "sales" / "sales_fresh.csv"
    sales.write_text(f"{SALES_HEADER}\n{LINE}\n")
    customers = landing / "customers" / "customers_old.parquet"
    pq.write_table(
        pa.table(
            {
                "customer_id": ["C100001"],
                "gender": ["Female"],
                "age": pa.array([30.0], pa.float64()),
                "payment_method": ["Cash"],
            }
        ),
        customers,
    )
    three_days_ago = time.time() - 3 * 24 * 3600
    os.utime(customers, (three_days_ago, three_days_ago))

    run = plain_dbt(
        lakehouse_server, landing, tmp_path, "source", "freshness", "-s", "source:landing"
    )

    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]  # a warning does not fail the command
    assert re.search(r"WARN freshness of landing\.customers\b", output), output[-3000:]
    assert re.search(r"PASS freshness of landing\.sales_lines\b", output), output[-3000:]


def test_the_layouts_var_given_as_json_text_compiles_as_the_mapping(
    lakehouse_server: Settings, tmp_path: Path
) -> None:
    """A scheduler's templated var reaches dbt as text (orchestration/dags passes the layouts
    the check found that way): bronze is compiled from the text as from the mapping."""
    from lakehouse.landing.check import require_valid_landing

    landing = tmp_path / "landing"
    (landing / "sales").mkdir(parents=True)
    (landing / "customers").mkdir()
    reordered = "customer_id,invoice_no,category,quantity,price,invoice_date,shopping_mall"
    (landing / "sales" / "reordered.csv").write_text(
        reordered + "\nC100001,I100002,Books,1,15.15,05-08-2022,Kanyon\n"
    )
    layouts = require_valid_landing(landing).sales_layouts
    assert list(layouts) == ["reordered.csv"]
    compiled = {}
    for form, value in (("mapping", layouts), ("text", json.dumps(layouts))):
        target = tmp_path / form
        done = plain_dbt(
            lakehouse_server, landing, target, "compile", "-s", "stg_landing__sales",
            "--vars", json.dumps({"sales_file_layouts": value}),
        )  # fmt: skip
        assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
        (sql,) = (target / "target").rglob("stg_landing__sales.sql")
        compiled[form] = sql.read_text()
    assert "reordered.csv" in compiled["mapping"]
    assert compiled["text"] == compiled["mapping"]
