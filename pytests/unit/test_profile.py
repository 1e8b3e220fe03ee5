"""`lakehouse profile`: findings computed from the files agree with the generator's manifest,
the report is written, sampling is declared, and bad input fails with one clear line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from lakehouse import cli
from lakehouse.anomalies import ANOMALIES
from lakehouse.generate import generate
from lakehouse.generate.dirt import DEFAULT_RATES
from lakehouse.profile import REPORT_NAME, SUMMARY_NAME, profile

HEADER = "invoice_no,customer_id,category,quantity,price,invoice_date,shopping_mall"


def _generated(root: Path, **options) -> tuple[Path, dict]:
    """Landing files from the generator; the manifest is read, then deleted, so the profiler
    cannot lean on it."""
    landing = root / "landing"
    manifest = generate(landing, progress=False, **options)
    (landing / "manifest.json").unlink()
    return landing, manifest


@pytest.fixture(scope="module")
def default_run(tmp_path_factory) -> tuple[dict, dict, Path]:
    root = tmp_path_factory.mktemp("profile_default")
    landing, manifest = _generated(root, rows=20_000, seed=42)
    summary = profile(landing, root / "out", sample_rows=None)
    return manifest, summary, root / "out"


@pytest.fixture(scope="module")
def dirty_run(tmp_path_factory) -> tuple[dict, dict, Path]:
    """Every anomaly at 2% (sales 36% dirty in all), three invoices per customer."""
    root = tmp_path_factory.mktemp("profile_dirty")
    rates = {name: 0.02 for name in DEFAULT_RATES}
    landing, manifest = _generated(root, rows=5_000, seed=3, rates=rates, invoices_per_customer=3)
    summary = profile(landing, root / "out", sample_rows=None)
    return manifest, summary, root / "out"


@pytest.mark.parametrize("run", ["default_run", "dirty_run"])
def test_anomaly_counts_equal_the_manifest(run, request):
    manifest, summary, _ = request.getfixturevalue(run)
    expected = {name: entry["count"] for name, entry in manifest["anomalies"].items()}
    assert summary["anomalies"] == expected
    assert all(count > 0 for count in expected.values()), "every anomaly should be present"
    assert summary["manifest_used"] is False


@pytest.mark.parametrize("run", ["default_run", "dirty_run"])
def test_example_rows_are_the_injected_rows(run, request):
    """Same counts could hide swapped rows: the example lines must be the manifest's lines."""
    manifest, summary, _ = request.getfixturevalue(run)
    for name, examples in summary["anomaly_examples"].items():
        injected = set(manifest["anomalies"][name]["lines"])
        assert examples["lines"], name
        assert set(examples["lines"]) <= injected, name


def test_report_files_have_charts_and_every_anomaly_count(default_run):
    _, summary, out = default_run
    html = (out / REPORT_NAME).read_text(encoding="utf-8")
    assert html.count('<img alt="') >= 6
    assert '<img alt="price chart" src="data:image/png;base64,' in html
    assert "http://" not in html and "https://" not in html  # opens offline
    for name, count in summary["anomalies"].items():
        row = re.search(rf"<tr><td[^>]*><code>{name}</code>.*?</tr>", html)
        assert row, name
        assert f'<td class="n">{count:,}</td>' in row.group(0), name
    saved = json.loads((out / SUMMARY_NAME).read_text(encoding="utf-8"))
    assert saved["anomalies"] == summary["anomalies"]
    assert saved["sampled"] is False and saved["total_rows"] == summary["total_rows"]
    assert "ydata-profiling" in html


def test_default_run_findings(default_run):
    manifest, summary, _ = default_run
    assert summary["total_rows"] == manifest["files"]["sales"]["rows"]
    assert summary["files"]["customers"]["total_rows"] == manifest["files"]["customers"]["rows"]
    ri = summary["referential_integrity"]
    assert (
        ri["of_which_well_formed_orphans"] == manifest["anomalies"]["orphan_customer_id"]["count"]
    )
    assert (
        summary["columns"]["customers"]["age"]["nulls"]
        == manifest["anomalies"]["null_age"]["count"]
    )
    keys = {tuple(row["columns"]): row for row in summary["candidate_keys"]["customers"]["columns"]}
    assert not keys[("customer_id",)]["unique"]  # the conflicting duplicates
    assert summary["price_outliers"]["p99_threshold"] > 0
    assert set(summary["invoices_per_month"]) >= {"2021-01", "2023-03"}


def test_sampling_is_declared(default_run, tmp_path):
    manifest, full, _ = default_run
    landing = Path(full["landing_dir"])
    summary = profile(landing, tmp_path / "out", sample_rows=5_000)
    assert summary["sampled"] is True
    assert summary["sample_rows"] == 5_000
    assert summary["total_rows"] == full["total_rows"] > 5_000
    assert summary["files"]["sales"]["profiled_rows"] == 5_000
    html = (tmp_path / "out" / REPORT_NAME).read_text(encoding="utf-8")
    assert "class='banner'>Sampled: 5,000 of" in html
    for name, count in summary["anomalies"].items():
        assert count <= full["anomalies"][name], name


def _landing(root: Path, csv_lines: list[str], customers: pd.DataFrame | None = None) -> Path:
    landing = root / "landing"
    (landing / "sales").mkdir(parents=True)
    (landing / "customers").mkdir(parents=True)
    (landing / "sales" / "sales_data.csv").write_text("\n".join([HEADER, *csv_lines]) + "\n")
    if customers is None:
        customers = pd.DataFrame(
            {
                "customer_id": [f"C10000{i}" for i in range(10)],
                "gender": ["Female"] * 10,
                "age": [30.0] * 10,
                "payment_method": ["Cash"] * 10,
            }
        )
    customers.to_parquet(landing / "customers" / "customer_data.parquet", index=False)
    return landing


def test_hand_made_rows_are_classified(tmp_path):
    rows = [
        "I100000,C100000,Clothing,1,300.08,01-01-2022,Kanyon",  # clean
        "I100001,C100001,Clothing,1,300.08,2022-01-31,Kanyon",  # alt format
        "I100002,C100002,Clothing,1,300.08,5/3/2022,Kanyon",  # alt format
        "I100003,C100003,Clothing,1,300.08,31-02-2022,Kanyon",  # impossible
        "I100004,C100004,Clothing,two,300.08,01-01-2022,Kanyon",  # non-numeric quantity
        'I100005,C100005,"Clothing,1,300.08,01-01-2022,Kanyon',  # stray quote
        "I100006,C100006, food and beverage ,2,10.46,01-01-2022,kanyon",  # 1 row, 2 variants
        "I100007,C100007,Garden,1,300.08,01-01-2022,Kanyon",  # unknown category
        "I100008,C999999,Clothing,1,300.08,01-01-2022,Kanyon",  # orphan
        "I100009,C100009,Clothing,1,3600.96,01-01-2022,Kanyon",  # 12x: outlier
        "I100000,C100000,Clothing,1,300.08,01-01-2022,Kanyon",  # exact copy of the first
        "I100010,C100000,Clothing,2,-600.16,01-01-2022,Kanyon",  # non-positive price
        "I100011,C100001,Clothing,1,,01-01-2022",  # 6 fields
    ]
    summary = profile(_landing(tmp_path, rows), tmp_path / "out", sample_rows=None)
    found = {name: count for name, count in summary["anomalies"].items() if count}
    assert found == {
        "alt_date_format": 2,
        "impossible_date": 1,
        "non_numeric_quantity": 1,
        "malformed_line": 2,
        "variant_category": 1,  # the row's mall is a variant too: counted once, by precedence
        "unknown_category": 1,
        "orphan_customer_id": 1,
        "price_outlier": 1,
        "exact_duplicate": 1,
        "non_positive_price": 1,
    }
    assert summary["anomaly_rule_hits"]["variant_mall"] == 1
    assert summary["malformed_lines"]["by_problem"] == {"stray quote": 1, "too few fields": 1}
    formats = summary["schema_inconsistencies"]["date_formats"]
    assert formats["yyyy-mm-dd"] == 1 and formats["d/m/yyyy"] == 1


def test_customer_conflicts_and_variants(tmp_path):
    customers = pd.DataFrame(
        {
            "customer_id": ["C100000", "C100001", "C100001", "C100002", "C100002", "C100003"],
            "gender": ["Female", "Male", "Male", "Male", "Male", "Female"],
            "age": [30.0, 40.0, 41.0, 50.0, 50.0, None],
            "payment_method": ["Cash", "credit-card", "Cash", "Debit Card", "Debit Card", "Cash"],
        }
    )
    rows = ["I100000,C100000,Clothing,1,300.08,01-01-2022,Kanyon"]
    summary = profile(_landing(tmp_path, rows, customers), tmp_path / "out", sample_rows=None)
    assert summary["anomalies"]["duplicate_customer_conflict"] == 1
    assert summary["anomalies"]["variant_payment_method"] == 1
    assert summary["anomalies"]["null_age"] == 1
    assert summary["other_rule_failures"]["customers.exact_duplicate_customer"]["rows"] == 1


def _run_cli(args: list[str], capsys) -> tuple[int, str]:
    code = cli.main(["profile", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out + captured.err


def test_cli_writes_the_report(default_run, tmp_path, capsys):
    _, full, _ = default_run
    code, text = _run_cli(["--landing", full["landing_dir"], "--out", str(tmp_path)], capsys)
    assert code == 0
    assert str(tmp_path / REPORT_NAME) in text
    assert (tmp_path / SUMMARY_NAME).is_file()


def _break(landing: Path, problem: str) -> tuple[list[str], str]:
    sales = landing / "sales" / "sales_data.csv"
    customers = landing / "customers" / "customer_data.parquet"
    if problem == "missing sales":
        sales.unlink()
        return [], "sales_data.csv"
    if problem == "text as parquet":
        customers.write_text("customer_id,gender\nC100000,Female\n")
        return [], "customer_data.parquet"
    if problem == "empty parquet":
        customers.write_bytes(b"")
        return [], "customer_data.parquet"
    if problem == "empty csv":
        sales.write_bytes(b"")
        return [], "sales_data.csv"
    if problem == "wrong header":
        lines = sales.read_text().splitlines()
        lines[0] = lines[0].replace("shopping_mall", "mall")
        sales.write_text("\n".join(lines) + "\n")
        return [], "missing shopping_mall; unexpected 'mall'"
    if problem == "output not writable":
        blocker = landing / "a_file"
        blocker.write_text("x")
        return ["--out", str(blocker / "report")], "a_file/report"
    raise AssertionError(problem)


@pytest.mark.parametrize(
    "problem",
    [
        "missing sales",
        "text as parquet",
        "empty parquet",
        "empty csv",
        "wrong header",
        "output not writable",
    ],
)
def test_bad_input_fails_with_one_clear_line(problem, tmp_path, capsys):
    rows = ["I100000,C100000,Clothing,1,300.08,01-01-2022,Kanyon"]
    landing = _landing(tmp_path, rows)
    extra, expected = _break(landing, problem)
    args = ["--landing", str(landing), *(extra or ["--out", str(tmp_path / "out")])]
    code, text = _run_cli(args, capsys)
    assert code == 1
    first = text.strip().splitlines()[0]
    assert first.startswith("error: ") and expected in first, text


def test_catalogue_is_covered(default_run):
    _, summary, _ = default_run
    assert list(summary["anomalies"]) == [anomaly.name for anomaly in ANOMALIES]
    precedence = summary["precedence"]["sales"] + summary["precedence"]["customers"]
    assert sorted(precedence) == sorted(summary["anomalies"])


def test_no_leftovers_in_output(default_run):
    _, _, out = default_run
    assert sorted(path.name for path in out.iterdir()) == [REPORT_NAME, SUMMARY_NAME]


def test_every_delivery_is_profiled_and_listed(tmp_path):
    """The profiler reads what dbt reads: every sales/*.csv and customers/*.parquet, not one
    fixed file name; files that are not deliveries are left out, and the summary and the
    report name the files read."""
    first = ["I100000,C100000,Clothing,1,300.08,01-01-2022,Kanyon"]
    landing = _landing(tmp_path, first)
    later = [
        "I100001,C100001,Clothing,1,300.08,02-01-2022,Kanyon",
        "I100002,C100002,Clothing,two,300.08,02-01-2022,Kanyon",  # non-numeric quantity
    ]
    (landing / "sales" / "sales_2022-01-02.csv").write_text("\n".join([HEADER, *later]) + "\n")
    (landing / "sales" / "_SUCCESS").write_bytes(b"")
    (landing / "sales" / "notes.txt").write_text("not a delivery\n")

    summary = profile(landing, tmp_path / "out", sample_rows=None)

    sales = summary["files"]["sales"]
    read = [Path(file["path"]).name for file in sales["files"]]
    assert read == ["sales_2022-01-02.csv", "sales_data.csv"]
    assert [file["total_rows"] for file in sales["files"]] == [2, 1]
    assert summary["total_rows"] == sales["total_rows"] == sales["profiled_rows"] == 3
    assert summary["anomalies"]["non_numeric_quantity"] == 1
    example = summary["anomaly_examples"]["non_numeric_quantity"]
    assert example["lines"] == [2] and example["files"] == ["sales_2022-01-02.csv"]
    html = (tmp_path / "out" / REPORT_NAME).read_text(encoding="utf-8")
    assert "sales_2022-01-02.csv" in html and "notes.txt" not in html


def test_sampling_spans_the_deliveries_in_name_order(tmp_path):
    rows = [f"I10000{i},C10000{i},Clothing,1,300.08,01-01-2022,Kanyon" for i in range(3)]
    landing = _landing(tmp_path, rows)
    (landing / "sales" / "a_first.csv").write_text("\n".join([HEADER, *rows[:2]]) + "\n")

    summary = profile(landing, tmp_path / "out", sample_rows=4)

    assert summary["sampled"] is True
    assert summary["total_rows"] == 5
    assert summary["files"]["sales"]["profiled_rows"] == 4
