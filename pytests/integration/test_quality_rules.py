"""Data quality of the pipeline: the rules of the analysis as dbt tests, the failure-tolerance
policy (bronze/silver warn and keep the failing rows in `audit`, gold errors), the test
history in audit.data_test_history and `lakehouse quality`.

On the shared dirty build (`built_pipeline`) every injected anomaly type makes its rule warn
and nothing errors; a duplicate invoice forced into gold stops the build; on a clean feed
nothing warns. The clean rebuild replaces the shared landing data, so it comes last, and this
module sorts after test_pipeline.py, the other user of the dirty build.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from helpers import PIPELINE_INVOICES_PER_CUSTOMER, PIPELINE_SEED, BuiltPipeline

from lakehouse import quality
from lakehouse.anomalies import ANOMALIES
from lakehouse.config import PROJECT_DIR, dbt_env
from lakehouse.connection import query
from lakehouse.dbt_runner import dbt_executable, run_dbt

# The tests that must warn when the feed carries an anomaly type (tests/…, model YAMLs).
ANOMALY_RULES: dict[str, set[str]] = {
    "null_age": {"stg_customers__age_present"},
    "variant_payment_method": {"stg_customers__payment_method_canonical"},
    "duplicate_customer_conflict": {
        "source_unique_landing_customers_customer_id",
        "stg_customers__customer_id_unique",
        "int_customers__one_row_per_customer_per_delivery",
    },
    "missing_invoice_no": {"stg_sales__invoice_no_present"},
    "missing_customer_id": {"stg_sales__customer_id_present"},
    "missing_invoice_date": {"stg_sales__invoice_date_present"},
    "orphan_customer_id": {"stg_sales__customer_id_known"},
    "exact_duplicate": {"stg_sales__no_exact_duplicate_lines", "stg_sales__invoice_no_unique"},
    "conflicting_duplicate_invoice": {
        "stg_sales__invoice_no_unique",
        "int_sales__invoice_no_unique_per_delivery",
    },
    "alt_date_format": {"stg_sales__invoice_date_dd_mm_yyyy"},
    "impossible_date": {"int_sales__invoice_date_is_calendar_day"},
    "non_positive_price": {"int_sales__price_positive"},
    "price_mismatch": {"int_sales__price_equals_quantity_x_unit_price"},
    "price_outlier": {"int_sales__price_equals_quantity_x_unit_price"},
    "quantity_out_of_range": {"stg_sales__quantity_1_to_5"},
    "non_numeric_quantity": {"stg_sales__quantity_1_to_5"},
    "variant_category": {"stg_sales__category_canonical"},
    "unknown_category": {"stg_sales__category_canonical"},
    "variant_mall": {"stg_sales__shopping_mall_canonical"},
    "unknown_mall": {"stg_sales__shopping_mall_canonical"},
    "malformed_line": {"stg_sales__lines_well_formed"},
}
# Tests that may warn on the dirty feed without being required to: a missing invoice_no is
# sometimes null (this not_null warns) and sometimes blank (only the *_present rule sees it).
ALSO_EXPLAINED = {"not_null_stg_landing__sales_invoice_no"}
# Rules whose failing rows are exactly the injected rows of these anomaly types.
EXACT_COUNTS = {
    "stg_customers__age_present": ("null_age",),
    "stg_customers__customer_id_unique": ("duplicate_customer_conflict",),
    "stg_sales__invoice_no_present": ("missing_invoice_no",),
    "stg_sales__customer_id_present": ("missing_customer_id",),
    "stg_sales__invoice_date_present": ("missing_invoice_date",),
    "stg_sales__no_exact_duplicate_lines": ("exact_duplicate",),
    "stg_sales__quantity_1_to_5": ("quantity_out_of_range", "non_numeric_quantity"),
    "stg_sales__category_canonical": ("variant_category", "unknown_category"),
    "stg_sales__shopping_mall_canonical": ("variant_mall", "unknown_mall"),
    "int_sales__invoice_date_is_calendar_day": ("impossible_date",),
    "int_sales__price_positive": ("non_positive_price",),
    "int_sales__price_equals_quantity_x_unit_price": ("price_mismatch", "price_outlier"),
}
RECONCILIATION_TESTS = {
    "assert_sales_reconcile_per_delivery",
    "assert_customers_reconcile_per_delivery",
    "assert_fct_sales_revenue_matches_silver",
}
INJECTED_SOURCE_FILE = "injected_gold_break"


# Schemas of the clean-feed build, beside the shared build's.
CLEAN_PREFIX = "clean_"


def history_of(pipeline: BuiltPipeline, invocation_id: str) -> dict[str, tuple]:
    """test name -> (status, failures, severity, tested node, failures relation)."""
    rows = query(
        pipeline.settings,
        "select test_name, status, failures, severity, tested_node, failures_relation "
        f"from audit.data_test_history where invocation_id = '{invocation_id}'",
    )
    return {name: tuple(rest) for name, *rest in rows}


@pytest.fixture(scope="module")
def dirty_build(built_pipeline: BuiltPipeline) -> dict[str, tuple]:
    """The recorded results of the shared full build (later builds record their own)."""
    return history_of(built_pipeline, built_pipeline.build_invocation_id)


def anomaly_counts(pipeline: BuiltPipeline) -> dict[str, int]:
    return {name: entry["count"] for name, entry in pipeline.manifest["anomalies"].items()}


def run_results(target: Path) -> dict:
    return json.loads((target / "run_results.json").read_text())


def test_every_anomaly_type_has_a_rule() -> None:
    assert set(ANOMALY_RULES) == {anomaly.name for anomaly in ANOMALIES}


def test_dirty_build_is_green_and_warns_on_each_injected_anomaly(
    built_pipeline: BuiltPipeline, dirty_build: dict[str, tuple]
) -> None:
    done = re.findall(r"Done\. PASS=(\d+) WARN=(\d+) ERROR=(\d+)", built_pipeline.build_output)
    assert done and int(done[-1][2]) == 0 and int(done[-1][1]) > 0, done
    warned_in_output = set(re.findall(r"\bWARN \d+ (\S+) \.", built_pipeline.build_output))

    statuses = {name: entry[0] for name, entry in dirty_build.items()}
    assert not {name for name, status in statuses.items() if status in ("fail", "error")}
    counts = anomaly_counts(built_pipeline)
    injected = {name for name, count in counts.items() if count > 0}
    assert injected == set(ANOMALY_RULES), "the shared build should carry every anomaly type"
    for anomaly in sorted(injected):
        for test_name in ANOMALY_RULES[anomaly]:
            assert statuses.get(test_name) == "warn", (anomaly, test_name, statuses.get(test_name))
            assert test_name in warned_in_output, (anomaly, test_name)
    # Nothing else warns: every warning is explained by an injected anomaly type.
    explained = set().union(*ANOMALY_RULES.values()) | ALSO_EXPLAINED
    assert {name for name, status in statuses.items() if status == "warn"} <= explained
    for test_name, anomalies in EXACT_COUNTS.items():
        expected = sum(counts[anomaly] for anomaly in anomalies)
        assert dirty_build[test_name][1] == expected, test_name


def test_bronze_and_silver_warn_and_gold_and_reconciliation_error(
    dirty_build: dict[str, tuple],
) -> None:
    severities = {name: entry[2] for name, entry in dirty_build.items()}
    nodes = {name: entry[3] for name, entry in dirty_build.items()}
    for name in RECONCILIATION_TESTS:
        assert (dirty_build[name][0], severities[name]) == ("pass", "error"), name
    assert severities["unique_fct_sales_invoice_no"] == "error"
    assert severities["stg_sales__lines_well_formed"] == "warn"
    assert severities["int_sales__price_equals_quantity_x_unit_price"] == "warn"
    assert nodes["unique_fct_sales_invoice_no"] == "fct_sales"
    assert nodes["source_unique_landing_customers_customer_id"] == "landing.customers"


def test_failing_rows_are_stored_in_the_audit_schema(
    built_pipeline: BuiltPipeline, dirty_build: dict[str, tuple]
) -> None:
    relation = dirty_build["stg_customers__age_present"][4]
    assert relation and relation.startswith("audit."), relation
    # Later incremental builds of other tests store the failing rows of their own batch;
    # `dbt test` judges the whole table and stores all of them again.
    retest = run_dbt(
        built_pipeline.settings, ["test", "--select", "stg_customers__age_present"], capture=True
    )
    assert retest.returncode == 0, retest.stdout[-3000:]
    stored = query(built_pipeline.settings, f"select customer_id, age from {relation}")
    expected = built_pipeline.manifest["anomalies"]["null_age"]["keys"]
    assert sorted(customer_id for customer_id, _ in stored) == sorted(expected)
    assert {age for _, age in stored} == {None}


def test_failing_rows_are_kept_only_for_tests_that_found_some(
    built_pipeline: BuiltPipeline,
) -> None:
    """A passing warn test is one query and leaves no view behind; a warning one keeps its
    failing rows in `audit`. Judged on a run of its own: every later run of a test replaces
    what an earlier one kept."""
    run = run_dbt(
        built_pipeline.settings, ["test", "--select", "stg_landing__customers"], capture=True
    )
    assert run.returncode == 0, run.stdout[-3000:]
    ((invocation_id,),) = query(
        built_pipeline.settings,
        "select invocation_id from audit.data_test_history order by run_started_at desc limit 1",
    )
    recorded = history_of(built_pipeline, invocation_id)
    passed = sorted(name for name, entry in recorded.items() if entry[0] == "pass")
    warned = sorted(name for name, entry in recorded.items() if entry[0] == "warn")
    assert passed and warned, recorded  # the dirty feed has customers without an age
    views = {row[1] for row in query(built_pipeline.settings, "show views in audit")}
    assert [name for name in passed if recorded[name][4] is not None] == []
    assert [name for name in passed if name in views] == []
    relations = {name: recorded[name][4] or "" for name in warned}
    assert [name for name in warned if not relations[name].startswith("audit.")] == []
    assert [name for name in warned if relations[name].split(".")[1] not in views] == []


def test_unit_tests_run_on_request_and_not_in_the_daily_build(
    built_pipeline: BuiltPipeline, tmp_path: Path
) -> None:
    ((daily_unit_tests,),) = query(
        built_pipeline.settings,
        "select count(*) from audit.data_test_history "
        f"where invocation_id = '{built_pipeline.build_invocation_id}' "
        "and test_kind = 'unit_test'",
    )
    assert daily_unit_tests == 0
    target = tmp_path / "target"
    unit = run_dbt(
        built_pipeline.settings,
        ["test", "--select", "test_type:unit", "--target-path", str(target)],
        capture=True,
    )
    assert unit.returncode == 0, unit.stdout[-3000:]
    results = run_results(target)["results"]
    ran = {
        r["unique_id"]: r["status"] for r in results if not r["unique_id"].startswith("operation.")
    }
    # The hooks aside, the selection ran the eight unit tests and nothing else.
    assert len(ran) == 8 and all(key.startswith("unit_test.") for key in ran), ran
    assert set(ran.values()) == {"pass"}


def test_lakehouse_quality_prints_the_latest_run_and_the_trend(
    built_pipeline: BuiltPipeline,
) -> None:
    ((invocation_id, tests),) = query(
        built_pipeline.settings,
        "select invocation_id, count(*) from audit.data_test_history "
        "group by invocation_id order by max(run_started_at) desc limit 1",
    )
    result = subprocess.run(
        [sys.executable, "-m", "lakehouse.cli", "quality", "--runs", "3"],
        cwd=PROJECT_DIR,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"invocation {invocation_id}" in result.stdout
    # The latest run lists every test it ran (one, when the latest run is a single `dbt test`).
    assert f"({tests} row{'s' if tests != 1 else ''})" in result.stdout
    assert "Trend over the last" in result.stdout


def test_quality_trend_marks_failures_per_run() -> None:
    older = quality.Run("a", datetime(2026, 1, 1, 8, 0), "build", 2, 1, 1, 0)
    newer = quality.Run("b", datetime(2026, 1, 2, 8, 0), "test", 2, 1, 0, 1)
    results = [
        quality.TestResult("a", "rule_x", "fct_sales", "warn", 3, 0.5),
        quality.TestResult("a", "rule_y", "fct_sales", "pass", 0, 0.5),
        quality.TestResult("b", "rule_x", "fct_sales", "pass", 0, 0.5),
        quality.TestResult("b", "rule_y", "fct_sales", "fail", 2, 0.5),
    ]
    trend = quality.format_trend([newer, older], results)
    assert re.search(r"\| rule_x +\| fct_sales +\| W 3 +\| \. +\|", trend), trend
    assert re.search(r"\| rule_y +\| fct_sales +\| \. +\| F 2 +\|", trend), trend
    latest = quality.format_latest(newer, results, failing_only=True)
    assert "rule_y" in latest and "rule_x" not in latest


def test_a_duplicate_invoice_forced_into_gold_stops_the_build(
    built_pipeline: BuiltPipeline, tmp_path: Path
) -> None:
    settings = built_pipeline.settings
    query(
        settings,
        "insert into gold.fct_sales select invoice_no, customer_id, category, shopping_mall, "
        "invoice_date, quantity, unit_price_try, amount_try, is_price_outlier, invoice_year, "
        f"invoice_month, '{INJECTED_SOURCE_FILE}', _delivered_at, _checked_at "
        "from gold.fct_sales limit 1",
    )
    try:
        target = tmp_path / "target"
        arguments = ["build", "--select", "fct_sales+", "--target-path", str(target)]
        build = run_dbt(settings, arguments, capture=True)
        assert build.returncode != 0, build.stdout[-3000:]
        results = run_results(target)
        statuses = {r["unique_id"].split(".")[2]: r["status"] for r in results["results"]}
        assert statuses["unique_fct_sales_invoice_no"] == "fail"
        assert statuses["assert_fct_sales_revenue_matches_silver"] == "fail"
        # Analysts' tables downstream of the broken fact are not rebuilt from it.
        assert statuses["monthly_sales"] == statuses["sales_by_customer"] == "skipped"
        recorded = history_of(built_pipeline, results["metadata"]["invocation_id"])
        assert recorded["unique_fct_sales_invoice_no"][:3] == ("fail", 1, "error")
    finally:
        query(settings, f"delete from gold.fct_sales where _source_file = '{INJECTED_SOURCE_FILE}'")


def test_a_clean_feed_builds_without_warnings(
    built_pipeline: BuiltPipeline, tmp_path: Path
) -> None:
    """A clean feed, built from a landing folder and into schemas of its own (prefix
    `clean_`), so the shared build the other tests read stays as it was."""
    from lakehouse.generate import generate

    settings = built_pipeline.settings
    landing = tmp_path / "clean-landing"
    generate(
        landing,
        rows=5_000,
        seed=PIPELINE_SEED,
        invoices_per_customer=PIPELINE_INVOICES_PER_CUSTOMER,
        clean=True,
        overwrite=True,
    )
    target = tmp_path / "target"
    try:
        build = subprocess.run(
            [dbt_executable(), "build", "--full-refresh", "--target-path", str(target),
             "--vars", f"{{schema_prefix: {CLEAN_PREFIX}}}"],
            cwd=PROJECT_DIR, env=dict(dbt_env(settings), LAKEHOUSE_LANDING_DIR=str(landing)),
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    finally:
        for schema in ("landing", "bronze", "silver", "gold", "snapshots", "reference", "audit"):
            query(settings, f"drop schema if exists {CLEAN_PREFIX}{schema} cascade")
    assert build.returncode == 0, build.stdout[-3000:]
    results = run_results(target)
    tests = {
        r["unique_id"].split(".")[2]: r["status"]
        for r in results["results"]
        if r["unique_id"].startswith(("test.", "unit_test."))
    }
    assert len(tests) > 50
    assert {name: status for name, status in tests.items() if status != "pass"} == {}
    recorded = history_of(built_pipeline, results["metadata"]["invocation_id"])
    assert {entry[0] for entry in recorded.values()} == {"pass"}
