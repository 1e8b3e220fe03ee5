"""The commands a scheduler calls (orchestration/dags): `check-landing --json`, the landing
files' states against bronze's manifest (`deliveries`), `summary --since`, and the
environment Airflow runs in. No server: the manifest is given, not read."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import lakehouse_cli

from lakehouse import orchestration
from lakehouse.config import Settings
from lakehouse.landing import states
from lakehouse.landing.contract import SALES_HEADER

LINE = "I100001,C100001,Books,1,15.15,05-08-2022,Kanyon"


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing"
    (folder / "sales").mkdir(parents=True)
    (folder / "customers").mkdir()
    for name in ("day1.csv", "day2.csv", "day3.csv"):
        (folder / "sales" / name).write_text(SALES_HEADER + "\n" + LINE + "\n")
    pq.write_table(
        pa.table({"customer_id": ["C100001"], "gender": ["Female"], "age": [30.0],
                  "payment_method": ["Cash"]}),
        folder / "customers" / "customers.parquet",
    )  # fmt: skip
    return folder


def _on_disk(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns // 1_000_000


def test_each_delivery_is_new_loaded_changed_or_removed(
    landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sales = landing / "sales"
    manifest = {
        ("sales", "day1.csv"): (*_on_disk(sales / "day1.csv"), "2026-11-01 06:00:00"),
        # Loaded with another size: changed in place since.
        ("sales", "day2.csv"): (_on_disk(sales / "day2.csv")[0] + 1,
                                _on_disk(sales / "day2.csv")[1], "2026-11-02 06:00:00"),
        # Loaded with the same size, another modification time: changed too.
        ("customers", "customers.parquet"): (
            _on_disk(landing / "customers" / "customers.parquet")[0], 0, "2026-11-01 06:00:00"
        ),
        ("sales", "day0.csv"): (10, 0, "2026-10-31 06:00:00"),  # gone from the folder
    }  # fmt: skip
    monkeypatch.setattr(states, "loaded_files", lambda settings, prefix="": dict(manifest))

    found = states.delivery_states(Settings(state_dir=landing.parent), landing)

    by_file = {(s.kind, s.file_name): s.state for s in found}
    assert by_file == {
        ("customers", "customers.parquet"): "changed",
        ("sales", "day1.csv"): "loaded",
        ("sales", "day2.csv"): "changed",
        ("sales", "day3.csv"): "new",
        ("sales", "day0.csv"): "removed",
    }
    assert sorted(s.file_name for s in states.pending(found)) == [
        "customers.parquet", "day2.csv", "day3.csv",
    ]  # fmt: skip


def test_check_landing_json_gives_the_layouts_dbt_needs(landing: Path) -> None:
    header = "customer_id,invoice_no,category,quantity,price,invoice_date,shopping_mall"
    (landing / "sales" / "reordered.csv").write_text(
        header + "\nC100001,I100002,Books,1,15.15,05-08-2022,Kanyon\n"
    )
    done = lakehouse_cli("check-landing", "--json", "--landing", str(landing))
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)  # stdout holds the document alone
    assert document["files"] == 5
    layouts = document["dbt_vars"]["sales_file_layouts"]
    assert list(layouts) == ["reordered.csv"]
    assert layouts["reordered.csv"]["positions"]["invoice_no"] == 1
    assert "Checking 5 files" in done.stderr


def test_check_landing_json_fails_on_a_broken_file_with_its_name(landing: Path) -> None:
    renamed = SALES_HEADER.replace("quantity", "qty")
    (landing / "sales" / "renamed.csv").write_text(renamed + "\n" + LINE + "\n")
    done = lakehouse_cli("check-landing", "--json", "--landing", str(landing))
    assert done.returncode == 1
    assert done.stdout == ""
    assert "sales/renamed.csv: required column 'quantity' is missing" in done.stderr


def test_summary_refuses_a_since_that_is_not_a_time() -> None:
    done = lakehouse_cli("summary", "--since", "yesterday")
    assert done.returncode == 2
    assert "'yesterday' is not a time: use ISO 8601" in done.stderr


def test_airflow_runs_on_loopback_with_the_project_dag_and_no_calls_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(state_dir=tmp_path / "state", port=10099)
    monkeypatch.delenv("AIRFLOW_HOME", raising=False)
    env = orchestration.airflow_env(settings, web_port=8123)
    assert env["AIRFLOW_HOME"] == str(tmp_path / "state" / "airflow")
    assert Path(env["AIRFLOW__CORE__DAGS_FOLDER"], "retail_lakehouse.py").is_file()
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1" and env["AIRFLOW__API__PORT"] == "8123"
    assert env["AIRFLOW__COSMOS__ENABLE_TELEMETRY"] == "False"
    assert env["AIRFLOW__USAGE_DATA_COLLECTION__ENABLED"] == "False"
    # The DAG's dbt tasks reach the server and the landing folder the CLI would use.
    assert env["LAKEHOUSE_PORT"] == "10099"
    assert env["LAKEHOUSE_LANDING_DIR"] == str(tmp_path / "state" / "landing")
    # A user's own AIRFLOW_HOME wins.
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "mine"))
    assert orchestration.airflow_env(settings)["AIRFLOW_HOME"] == str(tmp_path / "mine")
