"""The delivery contract check (lakehouse/landing.py), on small files: no server needed."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lakehouse.errors import LakehouseError
from lakehouse.landing import SALES_HEADER, check_landing, dbt_args_checked

LINE = "I100001,C100001,Books,1,15.15,05-08-2022,Kanyon"


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    (tmp_path / "sales").mkdir()
    (tmp_path / "customers").mkdir()
    (tmp_path / "sales" / "sales_data.csv").write_text(SALES_HEADER + "\n" + LINE + "\n")
    pq.write_table(
        pa.table(
            {
                "customer_id": ["C100001"],
                "gender": ["Female"],
                "age": [30.0],
                "payment_method": ["Cash"],
            }
        ),
        tmp_path / "customers" / "customer_data.parquet",
    )
    return tmp_path


def test_contract_files_pass_without_remarks(landing: Path) -> None:
    check = check_landing(landing)
    assert (check.problems, check.warnings, check.notes, check.sales_layouts) == ([], [], [], {})
    assert dbt_args_checked(landing, ["build"]) == ["build"]


def test_a_reordered_header_with_extra_columns_gets_a_layout(landing: Path) -> None:
    header = "customer_id,invoice_no,note,category,quantity,price,invoice_date,shopping_mall"
    (landing / "sales" / "drift.csv").write_text(
        header + "\nC1,I1,x,Books,1,15.15,01-01-2022,Kanyon\n"
    )
    check = check_landing(landing)
    assert check.problems == []
    assert check.warnings == ["sales/drift.csv: extra column(s) 'note' ignored."]
    layout = check.sales_layouts["drift.csv"]
    assert layout["header"] == header and layout["width"] == 8
    assert layout["positions"]["invoice_no"] == 1 and layout["positions"]["shopping_mall"] == 7
    args = dbt_args_checked(landing, ["build", "--full-refresh"])
    assert args[:3] == ["build", "--full-refresh", "--vars"]
    assert json.loads(args[3])["sales_file_layouts"]["drift.csv"] == layout
    # Commands that do not read the landing files, and explicit --vars, are left alone.
    assert dbt_args_checked(landing, ["docs", "generate"]) == ["docs", "generate"]
    assert dbt_args_checked(landing, ["build", "--vars", "{}"]) == ["build", "--vars", "{}"]


def test_every_problem_is_named_with_its_file_and_column(landing: Path) -> None:
    sales = landing / "sales"
    (sales / "no_price.csv").write_text(SALES_HEADER.replace(",price", "") + "\n")
    (sales / "twice.csv").write_text(SALES_HEADER + ",quantity\n")
    (sales / "garbage.csv").write_bytes(b"invoice_no\x00\xff\xfe")
    (sales / "latin1.csv").write_bytes(
        SALES_HEADER.encode() + b"\nI1,C1,Books,1,1,01-01-2022,Caf\xe9\n"
    )
    customers = landing / "customers"
    pq.write_table(pa.table({"customer_id": ["C1"], "gender": ["F"]}), customers / "thin.parquet")
    (customers / "broken.parquet").write_bytes(b"PAR1 not really")
    problems = check_landing(landing).problems
    assert problems == [
        "sales/garbage.csv is not a UTF-8 text CSV file (binary content: a NUL byte at offset 10).",
        f"sales/latin1.csv is not a UTF-8 text CSV file "
        f"(byte 0xe9 at offset {len(SALES_HEADER) + 31} is not UTF-8).",
        f"sales/no_price.csv: required column 'price' is missing (header: "
        f"{SALES_HEADER.replace(',price', '')}).",
        "sales/twice.csv: column 'quantity' appears more than once.",
        problems[4],  # pyarrow's own wording of the broken footer, checked below
        "customers/thin.parquet: required column 'age' is missing (columns: customer_id, gender).",
        "customers/thin.parquet: required column 'payment_method' is missing "
        "(columns: customer_id, gender).",
    ]
    assert problems[4].startswith("customers/broken.parquet is not a readable Parquet file (")
    with pytest.raises(LakehouseError, match="breaks the delivery contract; no table was changed"):
        dbt_args_checked(landing, ["run"])


def test_empty_header_only_and_hidden_files(landing: Path) -> None:
    (landing / "sales" / "empty.csv").write_bytes(b"")
    (landing / "sales" / "header_only.csv").write_text(SALES_HEADER + "\r\n")
    (landing / "sales" / "_SUCCESS").write_bytes(b"\x00")  # Spark skips it, so does the check
    (landing / "sales" / ".part.crc").write_bytes(b"\x00")
    (landing / "customers" / "empty.parquet").write_bytes(b"")
    check = check_landing(landing)
    assert check.problems == [] and check.sales_layouts == {}
    assert check.notes == [
        "sales/empty.csv is empty: it loads zero rows.",
        "sales/header_only.csv has a header and no data lines: it loads zero rows.",
        "customers/empty.parquet is empty: it loads zero rows.",
    ]
