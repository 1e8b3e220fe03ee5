"""The data generator: the source contract, determinism, and dirt that matches its manifest.

The anomaly checks here are written from the contract (docs/landing_contract.md, the seeds
and the catalogue in lakehouse/anomalies.py), reading the files with csv, pandas and pyarrow,
not with the generator's own code: the manifest must agree with what an outsider finds in the
files.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import math
import os
import re
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lakehouse import cli
from lakehouse.anomalies import ANOMALIES, BY_NAME, names
from lakehouse.config import PROJECT_DIR
from lakehouse.errors import LakehouseError
from lakehouse.generate import generate

SALES_COLUMNS = [
    "invoice_no",
    "customer_id",
    "category",
    "quantity",
    "price",
    "invoice_date",
    "shopping_mall",
]
CATEGORY_SHARES = {
    "Clothing": 0.35, "Cosmetics": 0.15, "Food & Beverage": 0.15, "Toys": 0.10,
    "Shoes": 0.10, "Souvenir": 0.05, "Technology": 0.05, "Books": 0.05,
}  # fmt: skip
MALL_SHARES = {
    "Mall of Istanbul": 0.20, "Kanyon": 0.20, "Metrocity": 0.15, "Metropol AVM": 0.10,
    "Istinye Park": 0.10, "Zorlu Center": 0.05, "Cevahir AVM": 0.05, "Forum Istanbul": 0.05,
    "Viaport Outlet": 0.05, "Emaar Square Mall": 0.05,
}  # fmt: skip
PAYMENT_SHARES = {"Cash": 0.45, "Credit Card": 0.35, "Debit Card": 0.20}
GENDER_SHARES = {"Female": 0.60, "Male": 0.40}
FIRST_DAY, LAST_DAY = dt.date(2021, 1, 1), dt.date(2023, 3, 8)
DD_MM_YYYY = re.compile(r"^(\d{2})-(\d{2})-(\d{4})$")
YYYY_MM_DD = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
D_M_YYYY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


# --- reading the files and the reference data, independently of the generator ----------------


def seed_rows(name: str) -> list[dict[str, str]]:
    with (PROJECT_DIR / "seeds" / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


UNIT_PRICES = {
    row["category"]: float(row["unit_price_try"]) for row in seed_rows("product_categories.csv")
}
MALLS = {row["shopping_mall"] for row in seed_rows("shopping_malls.csv")}
PAYMENTS = {row["payment_method"] for row in seed_rows("payment_methods.csv")}
ALIASES: dict[str, dict[str, str]] = defaultdict(dict)
for _row in seed_rows("value_aliases.csv"):
    ALIASES[_row["domain"]][_row["alias"].lower()] = _row["canonical_value"]


def resolve(domain: str, canonical: set[str], text: str) -> tuple[str | None, bool]:
    """(canonical value or None, is_variant) by the rules: exact, lower/trim, alias."""
    if text in canonical:
        return text, False
    key = text.strip().lower()
    for value in canonical:
        if value.lower() == key:
            return value, True
    if key in ALIASES[domain]:
        return ALIASES[domain][key], True
    return None, False


def parse_date(text: str) -> tuple[str, dt.date | None]:
    """('ok'|'alt'|'impossible'|'garbage', date)."""
    for pattern, kind, order in (
        (DD_MM_YYYY, "ok", (2, 1, 0)),
        (YYYY_MM_DD, "alt", (0, 1, 2)),
        (D_M_YYYY, "alt", (2, 1, 0)),
    ):
        match = pattern.match(text)
        if match:
            parts = [int(part) for part in match.groups()]
            try:
                return kind, dt.date(parts[order[0]], parts[order[1]], parts[order[2]])
            except ValueError:
                return ("impossible" if kind == "ok" else "garbage"), None
    return "garbage", None


def read_customers(landing: Path) -> pa.Table:
    return pq.read_table(landing / "customers" / "customer_data.parquet")


def read_sales_lines(landing: Path) -> tuple[list[str], list[list[str]]]:
    path = landing / "sales" / "sales_data.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        records = list(csv.reader(handle))
    return records[0], records[1:]


def find_customer_anomalies(table: pa.Table) -> dict[str, list[tuple[int, str]]]:
    """(0-based row, customer_id) per anomaly, from the contract."""
    found: dict[str, list[tuple[int, str]]] = defaultdict(list)
    first: dict[str, tuple] = {}
    first_row: dict[str, int] = {}
    per_row: dict[int, list[str]] = defaultdict(list)
    for row, record in enumerate(table.to_pylist()):
        customer_id = record["customer_id"]
        values = (record["gender"], record["age"], record["payment_method"])
        if customer_id in first:
            assert values != first[customer_id], f"row {row}: exact copy of a customer"
            per_row[row].append("duplicate_customer_conflict")
            continue
        first[customer_id], first_row[customer_id] = values, row
        if record["age"] is None:
            per_row[row].append("null_age")
        assert record["gender"] in GENDER_SHARES, record
        value, is_variant = resolve("payment_method", PAYMENTS, record["payment_method"])
        assert value is not None, f"row {row}: unknown payment_method {record}"
        if is_variant:
            per_row[row].append("variant_payment_method")
    for row, anomalies in per_row.items():
        assert len(anomalies) == 1, f"row {row} carries {anomalies}"
        customer_id = table.column("customer_id")[row].as_py()
        found[anomalies[0]].append((row, customer_id))
    # The kept (first) row of a conflicting duplicate is clean.
    for _row, customer_id in found.get("duplicate_customer_conflict", []):
        assert first_row[customer_id] not in per_row
    return dict(found)


def find_sales_anomalies(landing: Path, customer_ids: set[str]) -> dict[str, list[tuple]]:
    """(1-based data line, invoice_no) per anomaly, from the contract."""
    header, records = read_sales_lines(landing)
    assert header == SALES_COLUMNS
    per_line: dict[int, list[str]] = {}
    keys: dict[int, str] = {}
    for line, fields in enumerate(records, start=1):
        found: list[str] = []
        keys[line] = fields[0].strip() if fields else ""
        per_line[line] = found
        if len(fields) != len(SALES_COLUMNS):
            found.append("malformed_line")
            continue
        invoice_no, customer_id, category, quantity, price, invoice_date, mall = fields
        if not invoice_no.strip():
            found.append("missing_invoice_no")
        else:
            assert re.fullmatch(r"I\d{6,}", invoice_no), fields
        if not customer_id.strip():
            found.append("missing_customer_id")
        elif customer_id not in customer_ids:
            assert re.fullmatch(r"C\d{6,}", customer_id), fields
            found.append("orphan_customer_id")
        if not invoice_date.strip():
            found.append("missing_invoice_date")
        else:
            kind, day = parse_date(invoice_date)
            assert kind != "garbage", fields
            if kind == "impossible":
                found.append("impossible_date")
            else:
                assert FIRST_DAY <= day <= LAST_DAY, fields
                if kind == "alt":
                    found.append("alt_date_format")
        qty = int(quantity) if re.fullmatch(r"-?\d+", quantity) else None
        if qty is None:
            found.append("non_numeric_quantity")
        elif not 1 <= qty <= 5:
            found.append("quantity_out_of_range")
        canonical_category, is_variant = resolve("category", set(UNIT_PRICES), category)
        if canonical_category is None:
            found.append("unknown_category")
        elif is_variant:
            found.append("variant_category")
        canonical_mall, is_variant = resolve("shopping_mall", MALLS, mall)
        if canonical_mall is None:
            found.append("unknown_mall")
        elif is_variant:
            found.append("variant_mall")
        amount = float(price)
        assert re.fullmatch(r"-?\d+\.\d{1,2}", price), fields
        if amount <= 0:
            found.append("non_positive_price")
        elif qty is not None and 1 <= qty <= 5 and canonical_category is not None:
            ratio = amount / round(qty * UNIT_PRICES[canonical_category], 2)
            if ratio >= 10:
                assert ratio <= 50.01, fields
                found.append("price_outlier")
            elif abs(ratio - 1) > 0.01:
                assert 0.5 <= ratio <= 2.0, fields
                found.append("price_mismatch")

    # Duplicates, among the lines a reader can map onto the columns.
    by_invoice: dict[str, list[int]] = defaultdict(list)
    seen_text: dict[tuple, int] = {}
    for line, fields in enumerate(records, start=1):
        if len(fields) != len(SALES_COLUMNS) or not fields[0].strip():
            continue
        by_invoice[fields[0]].append(line)
        if tuple(fields) in seen_text:
            assert per_line[seen_text[tuple(fields)]] == [], "a dirty row was duplicated"
            per_line[line].append("exact_duplicate")
        else:
            seen_text[tuple(fields)] = line
    for lines in by_invoice.values():
        versions = {tuple(records[line - 1]) for line in lines}
        if len(versions) > 1:
            for line in lines:
                if "exact_duplicate" not in per_line[line]:
                    per_line[line].append("conflicting_duplicate_invoice")

    found_by_name: dict[str, list[tuple]] = defaultdict(list)
    for line, anomalies in per_line.items():
        assert len(anomalies) <= 1, f"line {line} carries {anomalies}: {records[line - 1]}"
        if anomalies:
            found_by_name[anomalies[0]].append((line, keys[line]))
    return dict(found_by_name)


def manifest_pairs(manifest: dict, name: str) -> list[tuple]:
    entry = manifest["anomalies"][name]
    assert not entry["truncated"]
    return sorted(zip(entry["lines"], entry["keys"], strict=True))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- runs shared by the tests -------------------------------------------------------------------

DIRTY_RATES = {anomaly.name: 0.004 for anomaly in ANOMALIES}


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory) -> tuple[Path, dict]:
    landing = tmp_path_factory.mktemp("clean")
    return landing, generate(landing, rows=20_000, seed=42, clean=True)


@pytest.fixture(scope="module")
def dirty_run(tmp_path_factory) -> tuple[Path, dict]:
    """Every anomaly at 0.4%, in chunks of 4,000 rows so chunk boundaries are crossed."""
    landing = tmp_path_factory.mktemp("dirty")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("lakehouse.generate.plan.CHUNK_ROWS", 4_000)
        manifest = generate(landing, rows=20_000, seed=7, rates=DIRTY_RATES)
    return landing, manifest


# --- contract ------------------------------------------------------------------------------------


def test_layout_and_columns(dirty_run):
    landing, manifest = dirty_run
    assert sorted(str(p.relative_to(landing)) for p in landing.rglob("*") if p.is_file()) == [
        "customers/customer_data.parquet",
        "manifest.json",
        "sales/sales_data.csv",
    ]
    schema = pq.read_schema(landing / "customers" / "customer_data.parquet")
    assert schema.names == ["customer_id", "gender", "age", "payment_method"]
    assert [str(t) for t in schema.types] == ["string", "string", "double", "string"]
    data = (landing / "sales" / "sales_data.csv").read_bytes()
    assert data.startswith(b"invoice_no,customer_id,category,quantity,price,invoice_date,")
    assert b"\r" not in data and data.endswith(b"\n")
    assert data.count(b"\n") == manifest["files"]["sales"]["physical_lines"]
    assert json.loads((landing / "manifest.json").read_text()) == manifest


def test_clean_values_follow_the_source(clean_run):
    landing, manifest = clean_run
    header, records = read_sales_lines(landing)
    sales = pd.DataFrame(records, columns=header)
    customers = read_customers(landing).to_pandas()
    assert len(sales) == manifest["files"]["sales"]["rows"] == 20_000
    assert len(customers) == 20_000

    # Ids: the source's formats, unique; every invoice's customer exists, one invoice each.
    assert sales.invoice_no.str.fullmatch(r"I\d{6}").all() and sales.invoice_no.is_unique
    assert customers.customer_id.str.fullmatch(r"C\d{6}").all()
    assert customers.customer_id.is_unique
    assert set(sales.customer_id) == set(customers.customer_id)
    assert sales.customer_id.is_unique

    # Shares, within a few standard errors.
    def shares_close(series: pd.Series, expected: dict[str, float]) -> None:
        observed = series.value_counts(normalize=True).to_dict()
        assert set(observed) == set(expected)
        for value, share in expected.items():
            assert abs(observed[value] - share) < 0.015, (value, observed[value], share)

    shares_close(sales.category, CATEGORY_SHARES)
    shares_close(sales.shopping_mall, MALL_SHARES)
    shares_close(customers.payment_method, PAYMENT_SHARES)
    shares_close(customers.gender, GENDER_SHARES)

    # Quantities 1-5 about uniform; price = quantity x unit price, 2 decimals at most.
    quantity = sales.quantity.astype(int)
    assert set(quantity) == {1, 2, 3, 4, 5}
    assert abs(quantity.mean() - 3.0) < 0.05
    expected_price = [
        round(q * UNIT_PRICES[c], 2) for q, c in zip(quantity, sales.category, strict=True)
    ]
    assert (sales.price.astype(float) == expected_price).all()
    assert sales.price.str.fullmatch(r"\d+\.\d{1,2}").all()
    assert sales.price.astype(float).max() == 5250.0

    # Dates dd-mm-yyyy within the source's range, spread over it.
    assert sales.invoice_date.str.fullmatch(DD_MM_YYYY.pattern).all()
    days = pd.to_datetime(sales.invoice_date, format="%d-%m-%Y")
    assert days.min().date() >= FIRST_DAY and days.max().date() <= LAST_DAY
    assert (days.max() - days.min()).days > 780
    assert 0.05 < (days.dt.year == 2023).mean() < 0.12  # 67 of 797 days

    # Ages whole years 18-69, about uniform, none missing in clean data.
    assert customers.age.notna().all()
    assert (customers.age == customers.age.round()).all()
    assert customers.age.min() == 18 and customers.age.max() == 69
    assert abs(customers.age.mean() - 43.5) < 0.5


def test_clean_data_breaks_no_rule(clean_run):
    landing, manifest = clean_run
    table = read_customers(landing)
    assert find_customer_anomalies(table) == {}
    customer_ids = set(table.column("customer_id").to_pylist())
    assert find_sales_anomalies(landing, customer_ids) == {}
    assert all(entry["count"] == 0 for entry in manifest["anomalies"].values())
    for entity in ("customers", "sales"):
        expected = manifest["expected"][entity]
        assert expected["silver_rows"] == expected["rows_total"] == 20_000
        assert expected["quarantined_total"] == expected["collapsed_duplicates"] == 0


def test_csv_quotes_only_where_needed(clean_run, dirty_run):
    for landing, _ in (clean_run, dirty_run):
        text = (landing / "sales" / "sales_data.csv").read_text(encoding="utf-8")
        # Clean lines never need a quote ('Food & Beverage' included).
        quoted = [line for line in text.splitlines() if '"' in line]
        assert "Food & Beverage" in text
        for line in quoted:  # only the malformed "quoted comma" lines
            assert line.count('"') == 2


# --- determinism -----------------------------------------------------------------------------


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    paths = ["customers/customer_data.parquet", "sales/sales_data.csv", "manifest.json"]
    hashes = {}
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        generate(tmp_path / name, rows=3_000, seed=seed, rates={"malformed_line": 0.01})
        hashes[name] = [sha256(tmp_path / name / path) for path in paths]
    assert hashes["a"] == hashes["b"]
    assert all(x != y for x, y in zip(hashes["a"], hashes["c"], strict=True))
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["files"]["sales"]["sha256"] == hashes["a"][1]


# --- dirt and its manifest -------------------------------------------------------------------


def test_manifest_names_every_anomaly_of_the_catalogue(dirty_run):
    _, manifest = dirty_run
    assert list(manifest["anomalies"]) == [anomaly.name for anomaly in ANOMALIES]
    assert manifest["options"]["rates"] == DIRTY_RATES
    for name, entry in manifest["anomalies"].items():
        assert entry["count"] > 0, name
        assert len(entry["keys"]) == len(entry["lines"]) == entry["count"]


def test_customer_anomalies_match_the_manifest(dirty_run):
    landing, manifest = dirty_run
    table = read_customers(landing)
    assert table.num_rows == manifest["files"]["customers"]["rows"]
    found = find_customer_anomalies(table)
    for name in names("customers"):
        assert sorted(found.get(name, [])) == manifest_pairs(manifest, name), name
    real = manifest["files"]["customers"]["real_customers"]
    assert len(set(table.column("customer_id").to_pylist())) == real == 20_000
    assert manifest["anomalies"]["null_age"]["count"] == round(0.004 * real)


def test_sales_anomalies_match_the_manifest(dirty_run):
    landing, manifest = dirty_run
    customer_ids = set(read_customers(landing).column("customer_id").to_pylist())
    found = find_sales_anomalies(landing, customer_ids)
    assert set(found) <= set(names("sales"))
    for name in names("sales"):
        assert sorted(found.get(name, [])) == manifest_pairs(manifest, name), name
    # Base rows 20,000 plus the extra lines: copies and lines without a real customer.
    extra = sum(
        manifest["anomalies"][name]["count"]
        for name in ("exact_duplicate", "orphan_customer_id", "missing_customer_id")
    )
    extra += manifest["anomalies"]["conflicting_duplicate_invoice"]["count"] // 2
    assert manifest["files"]["sales"]["rows"] == 20_000 + extra


def test_every_customer_keeps_its_invoice(dirty_run):
    landing, _ = dirty_run
    _, records = read_sales_lines(landing)
    referenced = {fields[1] for fields in records if len(fields) > 1}
    assert set(read_customers(landing).column("customer_id").to_pylist()) <= referenced


def test_malformed_lines_stay_on_their_line_in_csv_and_pandas(dirty_run):
    landing, manifest = dirty_run
    path = landing / "sales" / "sales_data.csv"
    rows = manifest["files"]["sales"]["rows"]
    _, records = read_sales_lines(landing)
    assert len(records) == rows
    bad: list[list[str]] = []
    frame = pd.read_csv(
        path,
        engine="python",
        dtype=str,
        keep_default_na=False,
        on_bad_lines=lambda line: bad.append(line),
    )
    assert len(frame) + len(bad) == rows
    assert manifest["anomalies"]["malformed_line"]["count"] >= len(bad) > 0


def test_reconciliation_totals(dirty_run):
    landing, manifest = dirty_run
    for entity in ("customers", "sales"):
        expected = manifest["expected"][entity]
        assert expected["rows_total"] == manifest["files"][entity]["rows_total"]
        assert sum(expected["quarantined_rows"].values()) == expected["quarantined_total"]
        assert (
            expected["silver_rows"]
            + expected["quarantined_total"]
            + expected["collapsed_duplicates"]
            == expected["rows_total"]
        )
        by_reason: Counter = Counter()
        for name in names(entity):
            anomaly = BY_NAME[name]
            if anomaly.outcome == "quarantined":
                by_reason[anomaly.reason] += manifest["anomalies"][name]["count"]
        assert expected["quarantined_rows"] == {k: v for k, v in by_reason.items()}
    assert (
        manifest["expected"]["sales"]["collapsed_duplicates"]
        == (manifest["anomalies"]["exact_duplicate"]["count"])
    )
    # Silver customers are the distinct ids (the first row of each is kept).
    customers = read_customers(landing)
    assert manifest["expected"]["customers"]["silver_rows"] == len(
        set(customers.column("customer_id").to_pylist())
    )


def test_default_rates_are_small(tmp_path):
    manifest = generate(tmp_path, rows=20_000, seed=3)
    sales = manifest["expected"]["sales"]
    assert 0 < sales["rows_total"] - sales["clean_rows"] < 0.05 * sales["rows_total"]
    assert manifest["anomalies"]["null_age"]["count"] == 24  # 0.12% of 20,000 customers


def test_invoices_per_customer(tmp_path):
    manifest = generate(tmp_path, rows=10_000, seed=11, invoices_per_customer=5, clean=True)
    _, records = read_sales_lines(tmp_path)
    per_customer = Counter(fields[1] for fields in records)
    customers = read_customers(tmp_path)
    assert customers.num_rows == manifest["files"]["customers"]["rows"] == math.ceil(10_000 / 5)
    assert set(per_customer) == set(customers.column("customer_id").to_pylist())
    assert sum(per_customer.values()) / len(per_customer) == pytest.approx(5.0)
    assert max(per_customer.values()) <= 5


def test_odd_chunking_and_a_single_customer(tmp_path):
    """A short last chunk joins the one before; dirt never needs more rows than a chunk has."""
    rates = {name: 0.02 for name in names("sales")} | {
        "null_age": 0.2, "variant_payment_method": 0.2, "duplicate_customer_conflict": 0.1
    }  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("lakehouse.generate.plan.CHUNK_ROWS", 1_000)
        manifest = generate(tmp_path, rows=2_100, seed=4, invoices_per_customer=2_100, rates=rates)
    table = read_customers(tmp_path)
    assert len(set(table.column("customer_id").to_pylist())) == 1
    found = find_sales_anomalies(tmp_path, set(table.column("customer_id").to_pylist()))
    for name in names("sales"):
        assert sorted(found.get(name, [])) == manifest_pairs(manifest, name), name
    assert manifest["anomalies"]["malformed_line"]["count"] == 42  # 2% of 2,100


# --- landing folder and CLI -------------------------------------------------------------------


def test_refuses_a_used_landing_unless_forced(tmp_path):
    generate(tmp_path, rows=1_000, seed=1)
    stray = tmp_path / "sales" / "old_export.csv"
    stray.write_text("invoice_no\n")
    with pytest.raises(LakehouseError, match="already holds files"):
        generate(tmp_path, rows=1_000, seed=2)
    manifest = generate(tmp_path, rows=1_000, seed=2, overwrite=True)
    assert manifest["seed"] == 2 and not stray.exists()


def test_a_failed_run_leaves_no_half_file(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk gone")

    monkeypatch.setattr("lakehouse.generate.sales.build", broken)
    with pytest.raises(RuntimeError):
        generate(tmp_path, rows=1_000)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["generate", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_writes_and_reports_throughput(tmp_path, capsys):
    code, out, err = run_cli(
        capsys,
        "--landing",
        str(tmp_path),
        "--rows",
        "2000",
        "--seed",
        "9",
        "--rate",
        "exact_duplicate=0.01",
    )
    assert code == 0, err
    assert "rows/s" in out and "exact_duplicate 20" in out
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["seed"] == 9 and manifest["options"]["rows"] == 2_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rows", "999"], "--rows 999 is too small"),
        (["--rate", "typo_name=0.01"], "Unknown anomaly 'typo_name'"),
        (["--rate", "null_age=0.5"], "outside 0..0.2"),
        (["--rate", "null_age"], "is not NAME=VALUE"),
        (["--clean", "--rate", "null_age=0.01"], "contradict"),
        (["--invoices-per-customer", "0"], "--invoices-per-customer 0"),
    ],
)
def test_cli_rejects_bad_options(tmp_path, capsys, args, message):
    code, _, err = run_cli(capsys, "--landing", str(tmp_path / "landing"), *args)
    assert code == 1
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "landing" / "manifest.json").exists()


def test_cli_refuses_a_used_landing(tmp_path, capsys):
    assert run_cli(capsys, "--landing", str(tmp_path), "--rows", "1000")[0] == 0
    code, _, err = run_cli(capsys, "--landing", str(tmp_path), "--rows", "1000")
    assert code == 1 and "--force" in err
    assert run_cli(capsys, "--landing", str(tmp_path), "--rows", "1000", "--force")[0] == 0


def test_cli_reports_an_unwritable_landing(tmp_path, capsys):
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = locked / "landing"
    else:  # root may write anywhere a mode allows; sysfs refuses new folders even to root
        target = Path("/sys/lakehouse-landing-test")
        try:
            target.mkdir()
        except PermissionError:
            pass
        else:  # pragma: no cover
            target.rmdir()
            pytest.skip("no unwritable place to test with")
    code, _, err = run_cli(capsys, "--landing", str(target), "--rows", "1000")
    assert code == 1
    assert "not writable" in err and str(target) in err
