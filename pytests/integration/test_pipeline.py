"""The medallion pipeline on generated dirty data: nothing lost, every anomaly accounted for,
gold equal to an independent computation, a summary that tells the truth, idempotent, and
incremental by delivery.

The tests in this module share one run of the main job, `lakehouse run` (the `built_pipeline`
session fixture); the summary tests come before anything changes the tables, then the
incremental test adds a sales delivery, and the snapshot test, last, a customers delivery.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import independent
import pandas as pd
import pytest
from helpers import (
    GOLD_MODELS,
    BuiltPipeline,
    differences_from_the_oracle,
    fingerprints,
    lakehouse_cli,
    outcomes_per_file,
)

from lakehouse.anomalies import ANOMALIES
from lakehouse.cli import build_parser
from lakehouse.connection import beeline_rows, client_host, query, run_beeline
from lakehouse.dbt_runner import run_dbt
from lakehouse.summary import LAYER_TABLES


def rows(pipeline: BuiltPipeline, sql: str) -> list[tuple]:
    return query(pipeline.settings, sql)


def outcome_counts(pipeline: BuiltPipeline, entity: str) -> dict[tuple[str, str], int]:
    result = rows(
        pipeline,
        f"select _source_file, outcome, count(*) from silver.int_{entity}_checked group by 1, 2",
    )
    return {(source_file, outcome): count for source_file, outcome, count in result}


@pytest.mark.parametrize(
    ("entity", "bronze_model"),
    [("sales", "stg_landing__sales"), ("customers", "stg_landing__customers")],
)
def test_every_received_row_is_accounted_for_per_delivery(
    built_pipeline: BuiltPipeline, entity: str, bronze_model: str
) -> None:
    """bronze = silver + quarantined + collapsed duplicates (+ superseded), per source file."""
    bronze = dict(
        rows(built_pipeline, f"select _source_file, count(*) from bronze.{bronze_model} group by 1")
    )
    silver = dict(
        rows(
            built_pipeline,
            f"select _source_file, count(*) from silver.int_{entity}_validated group by 1",
        )
    )
    quarantine = dict(
        rows(
            built_pipeline,
            f"select _source_file, count(*) from silver.int_{entity}_quarantined group by 1",
        )
    )
    outcomes = outcome_counts(built_pipeline, entity)
    assert bronze, "bronze is empty"
    for source_file, received in bronze.items():
        collapsed = outcomes.get((source_file, "collapsed"), 0)
        superseded = outcomes.get((source_file, "superseded"), 0)
        accounted = silver.get(source_file, 0) + quarantine.get(source_file, 0)
        assert received == accounted + collapsed + superseded, source_file


def test_each_delivery_files_counts_equal_the_independent_computation(
    built_pipeline: BuiltPipeline,
) -> None:
    """Per delivery file, the rows received and how many were accepted, quarantined, collapsed
    and superseded equal what pytests/support/independent.py computes from the landing files: a row
    lost before bronze, or given the wrong outcome, shows here even when the pipeline's own
    outcome column adds up."""
    counts = outcomes_per_file(built_pipeline.settings)
    assert {entity for entity, _ in counts} == {"sales", "customers"}
    assert differences_from_the_oracle(built_pipeline.settings, built_pipeline.landing_dir) == {}


def test_bronze_holds_every_line_of_the_landing_files(built_pipeline: BuiltPipeline) -> None:
    files = built_pipeline.manifest["files"]
    ((sales_rows,),) = rows(built_pipeline, "select count(*) from bronze.stg_landing__sales")
    ((customer_rows,),) = rows(built_pipeline, "select count(*) from bronze.stg_landing__customers")
    assert sales_rows == files["sales"]["rows_total"]
    assert customer_rows == files["customers"]["rows_total"]


def test_each_anomaly_lands_where_the_catalogue_says(built_pipeline: BuiltPipeline) -> None:
    manifest = built_pipeline.manifest["anomalies"]
    expected_reasons: Counter[tuple[str, str]] = Counter()
    for anomaly in ANOMALIES:
        if anomaly.outcome == "quarantined":
            expected_reasons[(anomaly.entity, anomaly.reason)] += manifest[anomaly.name]["count"]
    found: Counter[tuple[str, str]] = Counter()
    for entity in ("sales", "customers"):
        for reason, count in rows(
            built_pipeline,
            f"select primary_reason, count(*) from silver.int_{entity}_quarantined group by 1",
        ):
            found[(entity, reason)] = count
    assert +found == +expected_reasons
    assert all(count > 0 for count in expected_reasons.values()), "some anomaly was not injected"

    ((collapsed,),) = rows(
        built_pipeline, "select count(*) from silver.int_sales_checked where outcome = 'collapsed'"
    )
    assert collapsed == manifest["exact_duplicate"]["count"]


def test_quarantined_rows_keep_their_keys_and_raw_values(built_pipeline: BuiltPipeline) -> None:
    manifest = built_pipeline.manifest["anomalies"]
    orphans = {
        invoice_no
        for (invoice_no,) in rows(
            built_pipeline,
            "select invoice_no from silver.int_sales_quarantined "
            "where primary_reason = 'orphan_customer_id'",
        )
    }
    assert orphans == set(manifest["orphan_customer_id"]["keys"])
    impossible = rows(
        built_pipeline,
        "select invoice_no, invoice_date, _raw_line, _source_file "
        "from silver.int_sales_quarantined where primary_reason = 'invalid_invoice_date'",
    )
    assert {row[0] for row in impossible} == set(manifest["impossible_date"]["keys"])
    for invoice_no, invoice_date, raw_line, source_file in impossible:
        assert invoice_date in raw_line and invoice_no in raw_line
        assert source_file == "sales_data.csv"


def test_repaired_anomalies_reach_silver(built_pipeline: BuiltPipeline) -> None:
    """Alternative date formats and spelling variants are accepted with canonical values."""
    manifest = built_pipeline.manifest["anomalies"]
    repaired = set(manifest["alt_date_format"]["keys"]) | set(manifest["variant_category"]["keys"])
    repaired |= set(manifest["variant_mall"]["keys"])
    in_list = ", ".join(f"'{key}'" for key in sorted(repaired))
    found = rows(
        built_pipeline,
        "select s.invoice_no, s.category, s.shopping_mall from silver.int_sales_validated as s "
        f"where s.invoice_no in ({in_list})",
    )
    categories = set(pd.read_csv(independent.SEEDS / "product_categories.csv")["category"])
    malls = set(pd.read_csv(independent.SEEDS / "shopping_malls.csv")["shopping_mall"])
    assert {row[0] for row in found} == repaired
    assert all(row[1] in categories and row[2] in malls for row in found)

    null_age = manifest["null_age"]["keys"]
    bands = rows(
        built_pipeline,
        "select distinct age_band from gold.dim_customers where customer_id in ("
        + ", ".join(f"'{key}'" for key in null_age)
        + ")",
    )
    assert bands == [("Unknown",)]


def test_gold_equals_the_independent_computation(built_pipeline: BuiltPipeline) -> None:
    sales = independent.accepted_sales(built_pipeline.landing_dir)
    customers = independent.accepted_customers(built_pipeline.landing_dir)

    ((invoices, revenue, outliers),) = rows(
        built_pipeline,
        "select count(*), sum(amount_try), sum(cast(is_price_outlier as int)) from gold.fct_sales",
    )
    assert invoices == len(sales)
    assert Decimal(str(revenue)) == sum(sales["amount_try"])
    assert outliers == int(sales["is_price_outlier"].sum())

    sales["month"] = sales["invoice_date"].map(lambda day: day.replace(day=1))
    expected = {
        (str(month), mall): total
        for (month, mall), total in sales.groupby(["month", "shopping_mall"])["amount_try"]
        .sum()
        .items()
    }
    actual = {
        (str(month), mall): Decimal(str(total))
        for month, mall, total in rows(
            built_pipeline,
            "select month_start_date, shopping_mall, sum(revenue_try) from gold.monthly_sales "
            "group by 1, 2",
        )
    }
    assert actual == expected

    ((customer_count, unknown_ages),) = rows(
        built_pipeline,
        "select count(*), sum(cast(age_band = 'Unknown' as int)) from gold.dim_customers",
    )
    assert customer_count == len(customers)
    assert unknown_ages == int((customers["age_band"] == "Unknown").sum())

    per_customer = sales.groupby("customer_id")["amount_try"].sum()
    top = rows(
        built_pipeline,
        "select customer_id, revenue_try, invoice_count from gold.sales_by_customer "
        "order by revenue_try desc, customer_id limit 5",
    )
    for customer_id, revenue_try, invoice_count in top:
        assert Decimal(str(revenue_try)) == per_customer[customer_id]
        assert invoice_count == int((sales["customer_id"] == customer_id).sum())


# ---------------------------------------------------------------- the main job's summary


def summary_sections(summary: str) -> dict[str, list[str]]:
    """The summary's indented lines under each heading ("Rows per layer:", ...)."""
    sections: dict[str, list[str]] = {}
    heading = ""
    for line in summary.splitlines():
        if line.startswith("  ") and heading:
            sections[heading].append(line.strip())
        elif line.strip():
            heading = line.strip()
            sections.setdefault(heading, [])
    return sections


def section(sections: dict[str, list[str]], prefix: str) -> list[str]:
    (heading,) = [heading for heading in sections if heading.startswith(prefix)]
    return sections[heading]


def number(text: str) -> int:
    return int(text.replace(",", ""))


def test_the_main_job_reused_the_test_server_and_built_the_shared_data(
    built_pipeline: BuiltPipeline,
) -> None:
    output = built_pipeline.build_output
    assert "Reusing the server" in output  # the session's test server, not a second one
    assert f"Using the landing files in {built_pipeline.landing_dir}\n" in output
    assert "is empty: generating" not in output
    assert "data tests (full refresh)" in output
    assert re.search(r"Catalog written to \S+catalog\.json", output), "no docs generated"
    passed = re.search(r"^(\d+) of (\d+) checks passed$", output, re.MULTILINE)
    assert passed and passed[1] == passed[2], "the doctor's checks did not all pass"


def _commits(pipeline: BuiltPipeline) -> list[str]:
    """Every Delta commit of every table in the warehouse: a write adds one."""
    warehouse = pipeline.settings.warehouse_dir
    return sorted(
        str(path.relative_to(warehouse)) for path in warehouse.glob("*/*/_delta_log/*.json")
    )


@pytest.mark.parametrize("folder", ["empty", "missing"])
def test_run_with_an_empty_or_missing_landing_folder_changes_nothing(
    built_pipeline: BuiltPipeline, tmp_path: Path, folder: str
) -> None:
    """A mistyped LAKEHOUSE_LANDING_DIR or an unmounted share beside a built lakehouse: an
    error naming the folder and the setting; no generated rows, no table written."""
    landing = tmp_path / "deliveries"
    if folder == "empty":
        (landing / "sales").mkdir(parents=True)
    before = _commits(built_pipeline)
    env = dict(os.environ, LAKEHOUSE_LANDING_DIR=str(landing))
    result = lakehouse_cli("run", env=env, timeout=600)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"The landing folder {landing} " in result.stderr
    assert "LAKEHOUSE_LANDING_DIR" in result.stderr and "Nothing was built" in result.stderr
    assert "generating" not in result.stdout
    assert not landing.exists() or not any(landing.rglob("*.*"))
    assert _commits(built_pipeline) == before


def test_summary_counts_equal_the_tables(built_pipeline: BuiltPipeline) -> None:
    sections = summary_sections(built_pipeline.summary)

    printed = {}
    for line in sections["Rows per layer:"]:
        layer, label, count = re.fullmatch(r"(\w+)\s+(.+?)\s+([\d,]+)", line).groups()
        printed[(layer, label)] = number(count)
    assert list(printed) == [(layer, label) for layer, _, label in LAYER_TABLES]
    for layer, table, label in LAYER_TABLES:
        ((count,),) = rows(built_pipeline, f"select count(*) from {layer}.{table}")
        assert printed[(layer, label)] == count, (table, label)
    files = built_pipeline.manifest["files"]
    assert printed[("bronze", "sales lines received")] == files["sales"]["rows_total"]
    assert printed[("bronze", "customer rows received")] == files["customers"]["rows_total"]

    reasons: dict[tuple[str, str], int] = {}
    for line in section(sections, "Quarantined rows by reason"):
        if line == "none":
            continue
        entity, reason, count = line.split()
        reasons[(entity, reason)] = number(count)
    for entity in ("sales", "customers"):
        table = f"silver.int_{entity}_quarantined"
        in_table = dict(
            rows(built_pipeline, f"select primary_reason, count(*) from {table} group by 1")
        )
        printed_here = {reason: n for (name, reason), n in reasons.items() if name == entity}
        assert printed_here and printed_here == in_table, entity
        ((total,),) = rows(built_pipeline, f"select count(*) from {table}")
        assert sum(printed_here.values()) == total == printed[("silver", f"{entity} quarantined")]


def test_summary_names_the_tests_that_warned_in_the_build(built_pipeline: BuiltPipeline) -> None:
    """target/run_results.json, which the summary read right after `dbt build`, was replaced by
    `dbt docs generate` within the same job; the build's own records are dbt's log lines and
    the rows its on-run-end hook wrote to audit.data_test_history."""
    sections = summary_sections(built_pipeline.summary)
    (heading,) = [heading for heading in sections if heading.startswith("Data tests:")]
    listed = {}
    for line in sections[heading]:
        status, test, failures = re.fullmatch(r"(\w+)\s+(\S+)  \((\d+) rows\)", line).groups()
        listed[test] = (status, int(failures))

    recorded = rows(
        built_pipeline,
        "select test_name, status, failures from audit.data_test_history "
        f"where invocation_id = '{built_pipeline.build_invocation_id}' "
        "and status in ('warn', 'fail', 'error')",
    )
    assert recorded, "the dirty build should warn"
    assert listed == {test: (status, failures) for test, status, failures in recorded}
    assert {status for status, _ in listed.values()} == {"warn"}

    output = built_pipeline.build_output
    assert set(listed) == set(re.findall(r"\bWARN \d+ (\S+) \.", output))
    (warned,) = re.findall(r"Done\. PASS=\d+ WARN=(\d+) ERROR=0 ", output)
    assert heading.startswith(f"Data tests: {warned} warned, 0 failed")
    assert int(warned) == len(listed)


def test_summary_tells_how_to_connect_open_the_docs_and_stop(
    built_pipeline: BuiltPipeline,
) -> None:
    settings, summary = built_pipeline.settings, built_pipeline.summary

    urls = re.findall(r"jdbc:hive2://[\w.:-]+/\w+", summary)
    assert f"jdbc:hive2://{client_host(settings)}:{settings.port}/gold" in urls, summary
    assert all(url.endswith("/gold") for url in urls), urls
    # The URL's database is gold: an analyst's unqualified table names resolve there.
    result = run_beeline(settings, "select count(*) as invoices from fct_sales", schema="gold")
    assert result.returncode == 0, result.stderr[-2000:]
    ((fact_rows,),) = rows(built_pipeline, "select count(*) from gold.fct_sales")
    assert beeline_rows(result.stdout) == [{"invoices": str(fact_rows)}]

    # The printed commands exist: `lakehouse --help` parses them (without running them).
    docs = re.search(r"^.*\blakehouse (docs\b[^\n(,;]*).*$", summary, re.MULTILINE)
    assert docs, summary
    parsed = build_parser().parse_args(docs[1].split())
    assert parsed.command == "docs" and parsed.handler
    # Where to open them: where that command serves them.
    address = re.search(r"http://[\w.]+:(\d+)", docs[0])
    assert address and int(address[1]) == parsed.port, docs[0]
    stop = re.search(r"\blakehouse (server stop\b[^\n(,;]*)", summary)
    assert stop, summary
    parsed = build_parser().parse_args(stop[1].split())
    assert (parsed.command, parsed.action) == ("server", "stop")


def test_a_second_build_changes_nothing(built_pipeline: BuiltPipeline) -> None:
    """`lakehouse dbt build` again on the same landing files: every bronze, silver, gold and
    snapshot table holds the same rows (load and check times aside), and the build is green."""
    schemas = ("bronze", "silver", "gold", "snapshots")
    before = fingerprints(built_pipeline.settings, schemas)
    assert set(GOLD_MODELS) <= {table.removeprefix("gold.") for table in before}
    assert "snapshots.snp_customers" in before
    result = lakehouse_cli("dbt", "build", timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert re.search(r"Done\. PASS=\d+ WARN=\d+ ERROR=0 ", result.stdout), result.stdout[-2000:]
    assert fingerprints(built_pipeline.settings, schemas) == before


# ---------------------------------------------------------------- a new delivery, last


def _table_location(pipeline: BuiltPipeline, table: str) -> Path:
    result = query(pipeline.settings, f"describe detail {table}")
    location = str(result[0][4])
    return Path(location.removeprefix("file:"))


def _last_insert_commit_actions(table_dir: Path) -> list[dict]:
    """The actions of the latest commit that inserted rows: dbt's merge of the new deliveries
    (the post-hooks after it delete or re-flag rows, or optimise, and insert nothing)."""
    for log in sorted((table_dir / "_delta_log").glob("*.json"), reverse=True):
        actions = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        info = next(a["commitInfo"] for a in actions if "commitInfo" in a)
        if int(info.get("operationMetrics", {}).get("numTargetRowsInserted", "0")) > 0:
            return actions
    raise AssertionError(f"no commit of {table_dir} inserted rows")


def test_incremental_delivery_adds_new_rows_and_updates_corrections_only(
    built_pipeline: BuiltPipeline,
) -> None:
    sales = independent.accepted_sales(built_pipeline.landing_dir)
    customers = sorted(independent.accepted_customers(built_pipeline.landing_dir)["customer_id"])
    prices = independent.unit_prices()
    ((fact_rows_before,),) = rows(built_pipeline, "select count(*) from gold.fct_sales")

    # One new day of sales (after the last invoice date) for existing customers ...
    new_day = "09-03-2023"
    new_lines = []
    for number in range(25):
        quantity = number % 5 + 1
        new_lines.append(
            f"I9{number:06d},{customers[number]},Books,{quantity},"
            f"{quantity * prices['Books']},{new_day},Kanyon"
        )
    # ... and a corrected re-delivery of an old invoice: quantity and price changed.
    old = sales.sort_values("invoice_date").iloc[0]
    new_quantity = 5 if old["quantity"] != 5 else 4
    corrected_amount = new_quantity * old["unit_price_try"]
    new_lines.append(
        f"{old['invoice_no']},{old['customer_id']},{old['category']},{new_quantity},"
        f"{corrected_amount},{old['invoice_date']:%d-%m-%Y},{old['shopping_mall']}"
    )
    delivery = built_pipeline.landing_dir / "sales" / "sales_data_2023-03-09.csv"
    delivery.write_text(independent.SALES_HEADER + "\n" + "\n".join(new_lines) + "\n")

    result = run_dbt(built_pipeline.settings, ["run"], capture=True)
    assert result.returncode == 0, result.stdout[-3000:]

    ((fact_rows_after,),) = rows(built_pipeline, "select count(*) from gold.fct_sales")
    assert fact_rows_after == fact_rows_before + 25
    ((quantity, amount, source_file),) = rows(
        built_pipeline,
        "select quantity, amount_try, _source_file from gold.fct_sales "
        f"where invoice_no = '{old['invoice_no']}'",
    )
    assert (quantity, Decimal(str(amount)), source_file) == (
        new_quantity,
        corrected_amount,
        delivery.name,
    )

    # The merge touched only the new day's month and the corrected invoice's month.
    touched = {("2023", "3"), (str(old["invoice_date"].year), str(old["invoice_date"].month))}
    actions = _last_insert_commit_actions(_table_location(built_pipeline, "gold.fct_sales"))
    changed = [a.get("add") or a.get("remove") for a in actions if "add" in a or "remove" in a]
    assert changed, "the merge wrote nothing"
    partitions = {(c["partitionValues"]["invoice_year"], c["partitionValues"]["invoice_month"])
                  for c in changed}  # fmt: skip
    assert partitions <= touched
    metrics = next(a["commitInfo"] for a in actions if "commitInfo" in a)["operationMetrics"]
    assert metrics["numTargetRowsInserted"] == "25"
    assert metrics["numTargetRowsUpdated"] == "1"

    # And gold still equals the independent computation over all deliveries.
    expected = independent.accepted_sales(built_pipeline.landing_dir)
    ((invoices, revenue),) = rows(
        built_pipeline, "select count(*), sum(amount_try) from gold.fct_sales"
    )
    assert invoices == len(expected)
    assert Decimal(str(revenue)) == sum(expected["amount_try"])


def test_a_rejected_correction_takes_the_invoice_out_of_gold(
    built_pipeline: BuiltPipeline,
) -> None:
    # A later delivery of an accepted invoice whose mall is unknown: that version is
    # quarantined and supersedes the accepted one, so silver accepts no version of the
    # invoice any more, and gold must not keep the old one.
    landing = built_pipeline.landing_dir
    old = independent.accepted_sales(landing).sort_values("invoice_no").iloc[0]
    delivery = landing / "sales" / "sales_data_2023-03-11.csv"
    delivery.write_text(
        independent.SALES_HEADER
        + "\n"
        + f"{old['invoice_no']},{old['customer_id']},{old['category']},{old['quantity']},"
        f"{old['amount_try']},{old['invoice_date']:%d-%m-%Y},Nowhere Mall\n"
    )

    # The whole build, with gold's reconciliation test (gold = silver) at severity error.
    result = run_dbt(built_pipeline.settings, ["build"], capture=True)
    assert result.returncode == 0, result.stdout[-3000:]

    invoice = old["invoice_no"]
    fact_rows = rows(built_pipeline, f"select 1 from gold.fct_sales where invoice_no = '{invoice}'")
    assert fact_rows == []
    quarantined = rows(
        built_pipeline,
        "select primary_reason from silver.int_sales_quarantined "
        f"where invoice_no = '{invoice}' and _source_file = '{delivery.name}'",
    )
    assert quarantined == [("unknown_mall",)]
    expected = independent.accepted_sales(landing)
    ((invoices, revenue),) = rows(
        built_pipeline, "select count(*), sum(amount_try) from gold.fct_sales"
    )
    assert (invoices, Decimal(str(revenue))) == (len(expected), sum(expected["amount_try"]))
    # The outlier flag of every fact row follows silver's current threshold.
    ((disagreeing,),) = rows(
        built_pipeline,
        "select count(*) from gold.fct_sales as fact join silver.int_sales_validated as silver "
        "on fact.invoice_no = silver.invoice_no "
        "where fact.is_price_outlier != silver.is_price_outlier",
    )
    assert disagreeing == 0


def test_fct_sales_is_compacted_and_z_ordered_after_fragmenting_loads(
    built_pipeline: BuiltPipeline,
) -> None:
    # The shared build leaves about one file per month, under the post-hook's threshold; with
    # the threshold at 0 files per partition, the same macro must optimise the table.
    fact = "gold.fct_sales"
    totals_before = rows(built_pipeline, f"select count(*), sum(amount_try) from {fact}")
    args = {
        "relation": fact,
        "zorder_by": ["shopping_mall", "category"],
        "max_files_per_partition": 0,
    }
    result = run_dbt(
        built_pipeline.settings,
        ["run-operation", "optimize_if_fragmented", "--args", json.dumps(args)],
        capture=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "OPTIMIZE ZORDER BY shopping_mall, category" in result.stdout

    # describe history: version, timestamp, userId, userName, operation, operationParameters
    (latest,) = rows(built_pipeline, f"describe history {fact} limit 1")
    operation, parameters = latest[4], latest[5]
    assert operation == "OPTIMIZE"
    assert re.search(r"zOrderBy.*shopping_mall.*category", str(parameters)), parameters
    assert rows(built_pipeline, f"select count(*), sum(amount_try) from {fact}") == totals_before


def test_a_changed_customer_keeps_its_history_in_the_snapshot(
    built_pipeline: BuiltPipeline,
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    customers_dir = built_pipeline.landing_dir / "customers"
    accepted = independent.accepted_customers(built_pipeline.landing_dir)
    customer = accepted.sort_values("customer_id").iloc[0]
    new_method = "Cash" if customer["payment_method"] != "Cash" else "Debit Card"
    versions_sql = (
        "select payment_method, dbt_valid_to is null from snapshots.snp_customers "
        f"where customer_id = '{customer['customer_id']}' order by dbt_valid_from"
    )
    totals_sql = (
        "select count_if(dbt_valid_to is null), count_if(dbt_valid_to is not null) "
        "from snapshots.snp_customers"
    )
    versions_before = rows(built_pipeline, versions_sql)
    assert versions_before[-1] == (customer["payment_method"], True)
    ((current_before, closed_before),) = rows(built_pipeline, totals_sql)

    # A later delivery with one customer whose payment method changed, in the contract's schema.
    schema = pq.read_schema(customers_dir / "customer_data.parquet")
    change = pa.Table.from_pylist(
        [
            {
                "customer_id": customer["customer_id"],
                "gender": customer["gender"],
                "age": None if pd.isna(customer["age"]) else float(customer["age"]),
                "payment_method": new_method,
            }
        ],
        schema=schema,
    )
    pq.write_table(change, customers_dir / "customer_data_2023-03-10.parquet")

    result = run_dbt(built_pipeline.settings, ["build", "--select", "+snp_customers"], capture=True)
    assert result.returncode == 0, result.stdout[-3000:]

    # The old version is closed, the new one current; nobody else changed.
    assert rows(built_pipeline, versions_sql) == [
        *versions_before[:-1],
        (customer["payment_method"], False),
        (new_method, True),
    ]
    assert rows(built_pipeline, totals_sql) == [(current_before, closed_before + 1)]
