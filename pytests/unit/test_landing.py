"""The delivery contract check (lakehouse/landing/check.py), on small files: no server needed."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from lakehouse.config import PROJECT_DIR
from lakehouse.errors import LakehouseError
from lakehouse.landing import contract
from lakehouse.landing.check import check_landing
from lakehouse.landing.contract import SALES_HEADER
from lakehouse.landing.dbt_args import dbt_args_checked, dbt_command

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
    # Commands that do not read the landing files are left alone.
    assert dbt_args_checked(landing, ["docs", "generate"]) == ["docs", "generate"]
    assert dbt_args_checked(landing, ["seed"]) == ["seed"]


def test_the_users_vars_and_global_flags_do_not_skip_the_check(landing: Path) -> None:
    header = "customer_id,invoice_no,category,quantity,price,invoice_date,shopping_mall"
    (landing / "sales" / "reordered.csv").write_text(header + "\n")
    layout = check_landing(landing).sales_layouts["reordered.csv"]
    # The user's own --vars are kept and the layouts added to them (dbt reads the last
    # --vars only, so there is exactly one), in either spelling of the option.
    for given in (["--vars", "{day: '2023-03-10'}"], ["--vars={day: '2023-03-10'}"]):
        args = dbt_args_checked(landing, ["run", *given, "-s", "bronze"])
        assert args[:3] == ["run", "-s", "bronze"] and args[3] == "--vars"
        assert json.loads(args[4]) == {
            "day": "2023-03-10",
            "sales_file_layouts": {"reordered.csv": layout},
        }
    # Global flags before the command, with and without a value of their own.
    args = dbt_args_checked(landing, ["--debug", "--log-level", "info", "build"])
    assert args[:5] == ["--debug", "--log-level", "info", "build", "--vars"]
    assert json.loads(args[5]) == {"sales_file_layouts": {"reordered.csv": layout}}
    assert dbt_command(["--log-path", "build", "seed"]) == "seed"  # a value, not the command
    assert dbt_command(["--log-format=json", "-t", "local", "retry"]) == "retry"

    # A broken file stops every spelling of a build, whatever flags and vars come with it.
    (landing / "sales" / "renamed.csv").write_text(SALES_HEADER.replace("price", "amount") + "\n")
    for command in (
        ["build", "--vars", "{x: 1}"],
        ["--no-partial-parse", "build"],
        ["--log-level", "debug", "run", "--vars={}"],
        ["-q", "test"],
        ["retry"],
    ):
        with pytest.raises(LakehouseError, match="renamed.csv: required column 'price'"):
            dbt_args_checked(landing, command)


def test_vars_that_are_not_a_mapping_are_refused(landing: Path) -> None:
    (landing / "sales" / "reordered.csv").write_text(
        "customer_id,invoice_no,category,quantity,price,invoice_date,shopping_mall\n"
    )
    with pytest.raises(LakehouseError, match="--vars must be a mapping"):
        dbt_args_checked(landing, ["build", "--vars", "[1, 2]"])


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
        "sales/garbage.csv is not a UTF-8 text CSV file "
        "(binary content: a NUL byte at offset 10, line 1).",
        f"sales/latin1.csv is not a UTF-8 text CSV file "
        f"(byte 0xe9 at offset {len(SALES_HEADER) + 31}, line 2, is not UTF-8).",
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


def test_a_bad_byte_deep_in_a_big_file_is_found_with_its_line(landing: Path) -> None:
    # Far past the first 64 KiB and across several read chunks: line 900,002 of the file.
    good = (LINE + "\n").encode() * 900_000
    (landing / "sales" / "late_latin1.csv").write_bytes(
        SALES_HEADER.encode() + b"\n" + good + b"I2,C1,Books,1,1,01-01-2022,Caf\xe9\n" + good
    )
    (landing / "sales" / "late_nul.csv").write_bytes(
        SALES_HEADER.encode() + b"\n" + good + b"I3,C1,Books,1,1,01-01-2022,Kan\x00yon\n"
    )
    bad_at = len(SALES_HEADER) + 1 + len(good) + 30
    assert check_landing(landing).problems == [
        f"sales/late_latin1.csv is not a UTF-8 text CSV file "
        f"(byte 0xe9 at offset {bad_at}, line 900002, is not UTF-8).",
        f"sales/late_nul.csv is not a UTF-8 text CSV file "
        f"(binary content: a NUL byte at offset {bad_at}, line 900002).",
    ]
    with pytest.raises(LakehouseError, match="late_latin1.csv .* line 900002"):
        dbt_args_checked(landing, ["build"])


def test_characters_cut_by_a_read_chunk_are_fine_but_not_at_the_end_of_the_file(
    landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "Çarşı" around every possible chunk boundary of a small chunk size.
    text = (SALES_HEADER + "\n" + "I1,C1,Books,1,1,01-01-2022,Çarşı\n" * 50).encode()
    (landing / "sales" / "turkish.csv").write_bytes(text)
    (landing / "sales" / "cut.csv").write_bytes(text + "ş".encode()[:1])
    for size in (1, 2, 3, 7, 64):
        monkeypatch.setattr("lakehouse.landing.check._SCAN_CHUNK_BYTES", size)
        assert check_landing(landing).problems == [
            f"sales/cut.csv is not a UTF-8 text CSV file (byte 0xc5 at offset "
            f"{len(text)}, line 52, is not UTF-8 (a character cut off at the end of the file)).",
        ], size


def test_lakehouse_dbt_passes_global_flags_and_checks_first(
    landing: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    import subprocess

    from lakehouse import cli
    from lakehouse.commands import dbt as dbt_command_module

    ran: list[list[str]] = []

    def fake_run_dbt(settings, args, capture=False):
        ran.append(args)
        return subprocess.CompletedProcess(args, 0)

    monkeypatch.setattr(dbt_command_module, "run_dbt", fake_run_dbt)
    monkeypatch.setenv("LAKEHOUSE_LANDING_DIR", str(landing))
    reordered = "customer_id,invoice_no,category,quantity,price,invoice_date,shopping_mall"
    (landing / "sales" / "reordered.csv").write_text(reordered + "\n")

    assert cli.main(["dbt", "--log-level", "info", "build", "--vars", "{x: 1}"]) == 0
    assert ran[-1][:4] == ["--log-level", "info", "build", "--vars"]
    assert json.loads(ran[-1][4])["x"] == 1
    assert "reordered.csv" in json.loads(ran[-1][4])["sales_file_layouts"]

    (landing / "sales" / "renamed.csv").write_text(SALES_HEADER.replace("price", "amount") + "\n")
    assert cli.main(["dbt", "--debug", "run", "--vars", "{x: 1}"]) == 1
    assert len(ran) == 1  # dbt never started
    assert "renamed.csv: required column 'price' is missing" in capsys.readouterr().err


def test_the_dbt_vars_are_the_contract() -> None:
    """dbt reads the contract from vars (bronze's columns, the hook's checks, the landing
    tables' columns and file globs); they must say what lakehouse/landing/contract.py says."""
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    dbt_vars = project["vars"]
    assert dbt_vars["sales_csv_header"] == contract.SALES_HEADER
    assert dbt_vars["customer_columns"] == contract.CUSTOMER_TYPES
    assert list(dbt_vars["customer_columns"]) == list(contract.CUSTOMER_COLUMNS)  # order too
    assert dbt_vars["landing_file_globs"] == contract.FILE_GLOBS


def test_one_rule_says_which_files_are_deliveries(landing: Path, tmp_path: Path) -> None:
    """The check, the profiler, the main job and the generator all go by
    lakehouse/landing/files.py: a file that is not a delivery (no kind suffix, or a name
    Spark skips) is ignored by every one of them."""
    from types import SimpleNamespace

    from lakehouse.generate import generate
    from lakehouse.landing.files import all_deliveries
    from lakehouse.pipeline import landing_is_empty
    from lakehouse.profile import profile

    not_deliveries = {
        "sales/notes.txt": b"deliveries come on Mondays\n",
        "sales/_SUCCESS": b"\x00",
        "sales/.sales_data.csv.tmp": b"\x00",
        "customers/_SUCCESS": b"\x00",
        "customers/readme.txt": b"not Parquet\n",
    }
    for name, data in not_deliveries.items():
        (landing / name).write_bytes(data)
    deliveries = [
        landing / "customers" / "customer_data.parquet",
        landing / "sales" / "sales_data.csv",
    ]

    assert all_deliveries(landing) == deliveries
    assert check_landing(landing).problems == []  # the NUL bytes are not looked at
    summary = profile(landing, tmp_path / "out", sample_rows=None)
    read = [
        file["path"] for kind in ("customers", "sales") for file in summary["files"][kind]["files"]
    ]
    assert read == [str(path) for path in deliveries]
    assert not landing_is_empty(SimpleNamespace(landing_dir=landing))

    for path in deliveries:
        path.unlink()
    assert landing_is_empty(SimpleNamespace(landing_dir=landing))
    generate(landing, rows=1_000, seed=1)  # the files left are no reason to refuse
    generate(landing, rows=1_000, seed=2, overwrite=True)  # nor removed when forced
    for name, data in not_deliveries.items():
        if not name.endswith(".tmp"):  # a temp file is a crashed write's leftover: cleared
            assert (landing / name).read_bytes() == data, name
    assert all_deliveries(landing) == deliveries
