"""The main job's landing step, without a server: `lakehouse run` on a fresh checkout
generates the default data set into the empty default landing folder of a new lakehouse, and
nowhere else; it leaves a folder that already holds deliveries exactly as it was. (The whole
job runs once per test session, on the test server: the `built_pipeline` fixture, checked in
test_pipeline.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lakehouse.config import Settings
from lakehouse.errors import LakehouseError
from lakehouse.landing.contract import SALES_HEADER
from lakehouse.pipeline import DEFAULT_ROWS, ensure_landing_data

LINE = "I100001,C100001,Books,1,15.15,05-08-2022,Kanyon"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings of a checkout in tmp_path: its landing folder is state/landing."""
    # The server tests point LAKEHOUSE_LANDING_DIR at their shared data set; not here.
    monkeypatch.delenv("LAKEHOUSE_LANDING_DIR", raising=False)
    settings = Settings(state_dir=tmp_path / "state")
    assert settings.landing_dir == tmp_path / "state" / "landing"
    return settings


def files_in(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize("start", ["no state folder yet", "empty entity folders"])
def test_an_empty_landing_folder_gets_the_default_data_set(
    settings: Settings, start: str, capsys: pytest.CaptureFixture[str]
) -> None:
    landing = settings.landing_dir
    if start == "empty entity folders":
        (landing / "sales").mkdir(parents=True)
        (landing / "customers").mkdir()

    assert ensure_landing_data(settings) is True

    assert sorted(files_in(landing)) == [
        "customers/customer_data.parquet",
        "manifest.json",
        "sales/sales_data.csv",
    ]
    manifest = json.loads((landing / "manifest.json").read_text())
    sales, customers = manifest["files"]["sales"], manifest["files"]["customers"]
    assert manifest["options"]["rows"] == DEFAULT_ROWS == sales["base_invoices"]
    assert manifest["options"]["clean"] is False
    assert sum(entry["count"] for entry in manifest["anomalies"].values()) > 0, "no dirt"
    # The files hold what the manifest counts, at the default scale.
    lines = (landing / "sales" / "sales_data.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == SALES_HEADER
    assert len(lines) - 1 == sales["rows_total"]
    assert DEFAULT_ROWS <= sales["rows_total"] <= DEFAULT_ROWS * 1.05
    parquet_rows = pq.read_metadata(landing / "customers" / "customer_data.parquet").num_rows
    assert parquet_rows == customers["rows_total"]
    assert customers["real_customers"] <= parquet_rows <= DEFAULT_ROWS * 1.05

    out = capsys.readouterr().out
    assert f"The landing folder {landing} is empty and the lakehouse is new: generating" in out
    assert f"Wrote {sales['rows_total']:,} sales lines and {parquet_rows:,} customer rows." in out


def _sales(landing: Path, name: str) -> None:
    (landing / "sales").mkdir(parents=True, exist_ok=True)
    (landing / "sales" / name).write_text(SALES_HEADER + "\n" + LINE + "\n")


def _customers(landing: Path) -> None:
    (landing / "customers").mkdir(parents=True, exist_ok=True)
    columns = {"customer_id": ["C100001"], "gender": ["Female"], "age": [30.0]}
    table = pa.table({**columns, "payment_method": ["Cash"]})
    pq.write_table(table, landing / "customers" / "customer_data.parquet")


@pytest.mark.parametrize(
    "delivery", ["sales and customers", "a later sales delivery only", "customers only"]
)
def test_a_landing_folder_with_files_is_used_as_it_is(
    settings: Settings, delivery: str, capsys: pytest.CaptureFixture[str]
) -> None:
    landing = settings.landing_dir
    if delivery == "sales and customers":
        _sales(landing, "sales_data.csv")
        _customers(landing)
    elif delivery == "a later sales delivery only":
        _sales(landing, "sales_data_2023-03-09.csv")
    else:
        _customers(landing)
    before = files_in(landing)

    assert ensure_landing_data(settings) is False

    assert files_in(landing) == before  # the same files, byte for byte, and no manifest
    out = capsys.readouterr().out
    assert out == f"Using the landing files in {landing}\n"


def test_a_landing_folder_without_deliveries_but_other_files_is_not_overwritten(
    settings: Settings,
) -> None:
    landing = settings.landing_dir
    (landing / "sales").mkdir(parents=True)
    (landing / "manifest.json").write_text("{}")
    (landing / "sales" / "notes.txt").write_text("deliveries come on Mondays")
    before = files_in(landing)

    with pytest.raises(LakehouseError) as raised:
        ensure_landing_data(settings)

    message, hint = raised.value.message, raised.value.hint
    assert str(landing) in message and "manifest.json" in message and "sales/notes.txt" in message
    assert f"lakehouse generate --force --landing {landing}" in hint
    assert files_in(landing) == before


@pytest.mark.parametrize("folder", ["missing", "empty"])
def test_an_empty_or_missing_folder_chosen_by_setting_is_an_error(
    tmp_path: Path, folder: str
) -> None:
    """A typo in LAKEHOUSE_LANDING_DIR, an unmounted share: never filled with generated rows."""
    chosen = tmp_path / "mnt" / "deliveries"
    if folder == "empty":
        (chosen / "sales").mkdir(parents=True)
    settings = Settings(state_dir=tmp_path / "state", landing=chosen)

    with pytest.raises(LakehouseError) as raised:
        ensure_landing_data(settings)

    message = raised.value.message
    assert str(chosen) in message and "LAKEHOUSE_LANDING_DIR" in message
    assert ("does not exist" if folder == "missing" else "holds no delivery") in message
    assert "Nothing was built" in message
    assert files_in(tmp_path) == {}  # nothing generated anywhere


def test_an_empty_default_folder_beside_a_loaded_lakehouse_is_an_error(
    settings: Settings,
) -> None:
    """Files archived after loading: the lakehouse keeps their rows, and gets no sample."""
    landing = settings.landing_dir
    (landing / "sales").mkdir(parents=True)

    with pytest.raises(LakehouseError) as raised:
        ensure_landing_data(settings, lakehouse_exists=True)

    assert str(landing) in raised.value.message
    assert "already holds loaded deliveries" in raised.value.message
    assert "LAKEHOUSE_LANDING_DIR" in raised.value.hint
    assert files_in(landing) == {}
