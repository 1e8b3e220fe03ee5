"""Tests of the bench's pieces: sizes, percentiles, the new-day file, the report, and (on the
test server) the files a query reads, as Spark's own scan metrics count them.

The bench itself is `lakehouse bench`; its timings live in its report, never in assertions.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from lakehouse.bench import same_work
from lakehouse.bench.delivery import write_new_day
from lakehouse.bench.nodes import node_seconds
from lakehouse.bench.report import node_time_section, render_markdown, targets, write_report
from lakehouse.bench.sizes import parse_size, parse_sizes, size_label
from lakehouse.bench.stats import percentile, summary
from lakehouse.errors import LakehouseError
from lakehouse.landing.contract import SALES_COLUMNS as COLUMNS
from lakehouse.landing.contract import SALES_HEADER as HEADER


@pytest.mark.parametrize(
    ("text", "rows"),
    [("100k", 100_000), ("1M", 1_000_000), ("10m", 10_000_000), ("2.5M", 2_500_000),
     ("250000", 250_000), (" 1_000 ", 1_000)],
)  # fmt: skip
def test_sizes_parse_as_people_write_them(text: str, rows: int) -> None:
    assert parse_size(text) == rows


@pytest.mark.parametrize("text", ["", "abc", "1.5k5", "10", "-1M", "0.0001k", "1G"])
def test_bad_sizes_are_refused_with_a_clear_message(text: str) -> None:
    with pytest.raises(LakehouseError, match="is not a size in rows"):
        parse_size(text)


def test_size_lists_are_sorted_and_deduplicated_and_labels_read_back() -> None:
    assert parse_sizes("10M,100k,1M,1000k") == [100_000, 1_000_000, 10_000_000]
    assert [size_label(n) for n in (100_000, 1_000_000, 1_500_000, 1_234)] == [
        "100k", "1M", "1.5M", "1234"
    ]  # fmt: skip
    with pytest.raises(LakehouseError):
        parse_sizes(" , ")


def test_percentiles_interpolate_between_ranks() -> None:
    values = [5.0, 1.0, 3.0, 2.0, 4.0]
    assert percentile(values, 50) == 3.0
    assert percentile(values, 0) == 1.0 and percentile(values, 100) == 5.0
    assert percentile(values, 95) == pytest.approx(4.8)
    assert percentile([2.0, 4.0], 50) == 3.0
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)
    stats = summary([1.0, 2.0, 4.0])
    assert (stats["median"], stats["min"], stats["max"], stats["n"]) == (2.0, 1.0, 4.0, 3)
    assert stats["spread"] == pytest.approx(1.5)


def _landing_with(tmp_path: Path, lines: list[str]) -> Path:
    landing = tmp_path / "landing"
    (landing / "sales").mkdir(parents=True)
    (landing / "sales" / "sales_data.csv").write_text(HEADER + "\n" + "\n".join(lines) + "\n")
    (landing / "manifest.json").write_text(json.dumps({"ids": {"invoice_no": "I + 6 digits"}}))
    return landing


def test_new_day_delivery_has_the_contract_header_new_invoices_and_corrections(
    tmp_path: Path,
) -> None:
    clean = [f"I10000{n},C20000{n},Books,2,30.3,0{n + 1}-02-2022,Kanyon" for n in range(5)]
    dirty = ["I999999,C200009,Books,2,99.99,01-02-2022,Kanyon", 'I9,"broken']
    landing = _landing_with(tmp_path, dirty + clean)

    delivery = write_new_day(landing, new_rows=7, corrections=2)

    assert delivery.path == landing / "sales" / "sales_data_2023-03-09.csv"
    with delivery.path.open() as handle:
        assert handle.readline().strip() == HEADER
    with delivery.path.open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(COLUMNS)
    new, corrected = rows[:7], rows[7:]
    assert len(new) == delivery.new_rows == 7 and len(corrected) == delivery.corrections == 2
    assert {row["invoice_date"] for row in new} == {"09-03-2023"}
    assert [row["invoice_no"] for row in new] == [f"I{9_000_000 + n}" for n in range(7)]
    assert {row["customer_id"] for row in new} <= {f"C20000{n}" for n in range(5)}
    # Corrections re-deliver the first clean invoices (never the dirty ones) with another
    # quantity and its price, everything else unchanged.
    assert [row["invoice_no"] for row in corrected] == ["I100000", "I100001"]
    assert [(row["quantity"], row["price"]) for row in corrected] == [("3", "45.45")] * 2
    assert corrected[0]["invoice_date"] == "01-02-2022"

    second = write_new_day(landing, new_rows=7, corrections=2, serial=2)
    with second.path.open() as handle:
        later = list(csv.DictReader(handle))
    assert second.day.isoformat() == "2023-03-10"
    assert later[0]["invoice_no"] == "I9000007"  # no collision with the first day
    assert [row["invoice_no"] for row in later[7:]] == ["I100002", "I100003"]


def _fake_results() -> dict:
    def phase(*runs: float) -> dict:
        return {"runs_s": list(runs), **summary(list(runs))}

    def size(rows: int, floor: float, full: float, incr: float, error: str | None = None):
        return {
            "rows": rows,
            "run_started_at": "2026-01-01T00:00:00+00:00",
            "completed": ["generate", "floor", "full_build", "incremental_build", "queries"],
            "error": error,
            "run_settings": {"driver_memory": "6g"},
            "generate": {"seconds": 1.0, "peak_rss_mb": 300.0, "sales_lines": rows + 10},
            "floor": phase(floor, floor * 1.1),
            "full_build": phase(full),
            "same_work": {**phase(full / 2), "left_out": ["tests"], "rows_match_build": True},
            "incremental_build": phase(incr),
            "queries": {"top_customers": {"runs_s": [0.5, 0.7], **summary([0.5, 0.7])}},
            "scan": {
                "month": "2022-06",
                "months": 27,
                "fact_files": 54,
                "fact_bytes": 2**20,
                "month_files": 2,
                "share_read": 2 / 54,
                "unpruned_files": 54,
                "source": "Spark SQL metric",
            },  # fmt: skip
            "server_peak_rss_mb": {"floor": 1500.0, "full_build": 2500.0},
            "server_kernel_peak_rss_mb": 9216.0,
            "load_average": {"floor": 3.5},
        }

    return {
        "run": {
            "started_at": "2026-01-01T00:00:00+00:00",
            "machine": {"cores": 2},
            "settings": {"query_repeats": 2},
        },  # fmt: skip
        "sizes": {
            "1M": size(1_000_000, 20.0, 100.0, 40.0),
            "100k": size(100_000, 5.0, 30.0, 25.0),
            "10M": size(10_000_000, 150.0, 900.0, 80.0, error="incremental_build: boom"),
        },
    }


def test_targets_say_met_or_by_how_much_they_missed() -> None:
    verdicts = {row["target"]: row for row in targets(_fake_results())}
    full_vs_floor = verdicts["full build at 1M <= 3x the floor job"]
    assert full_vs_floor["measured"] == "4.76x"  # 100 / median(20, 22)
    assert full_vs_floor["status"] == "missed by 59%"
    assert verdicts["full build 1M -> 10M <= 10x"]["status"] == "met"
    orchestration = verdicts[
        "full build at 1M <= 3x the same-work floor (the price of orchestration)"
    ]
    assert (orchestration["measured"], orchestration["status"]) == ("2.00x", "met")  # 100 / 50
    test_mean = (
        "a data test at 1M <= 0.3 s on average (`dbt build` with nothing new: tests that pass)"
    )
    assert verdicts[test_mean]["status"] == "not measured"
    incremental = verdicts["one new day at 1M <= 25% of the full build"]
    assert (incremental["measured"], incremental["status"]) == ("40%", "missed by 60%")
    assert verdicts["one new day at 1M <= 25 s"]["status"] == "missed by 60%"  # 40 s
    assert verdicts["a build with no new file at 1M <= 15 s"]["status"] == "not measured"
    assert verdicts["one-month query at 1M reads <= 1/10 of the fact's files"]["status"] == "met"
    assert verdicts["10M rows end to end without failure"]["status"].startswith("missed: ")
    # 6g of heap is within the target; the process's kernel peak (9 GiB) is reported beyond it.
    memory = verdicts["10M: server driver memory <= 8 GiB"]
    assert memory["status"] == "met for the heap; process RSS over 8 GiB by 12%"


def test_ratios_between_sizes_measured_with_other_code_are_not_judged() -> None:
    results = _fake_results()
    results["sizes"]["1M"]["git_commit"] = "abc1234"  # 10M kept from a run of other code
    verdicts = {row["target"]: row for row in targets(results)}
    growth = verdicts["full build 1M -> 10M <= 10x"]
    assert growth["status"] == "not comparable: rerun 10M"
    assert growth["measured"].startswith("9.00x (10M from an earlier run (2026-01-01")
    assert verdicts["one new day at 10M <= 1.3x the same at 1M"]["status"] == (
        "not comparable: rerun 10M"
    )
    results["sizes"]["10M"]["git_commit"] = "abc1234"
    verdicts = {row["target"]: row for row in targets(results)}
    assert verdicts["full build 1M -> 10M <= 10x"]["status"] == "met"


def test_report_renders_tables_and_writes_json_chart_and_docs_copy(tmp_path: Path) -> None:
    results = _fake_results()
    markdown = render_markdown(results, findings="## Findings\n\nbloom filters")
    # floor 21 (median of 20 and 22), same-work 50, full build 100: the two ratios at each size
    assert "| 1M | 1,000,010 | 1.0 | 21.0 | 50.0 | 100.0 | 40.0 | - | - | 4.8x | 2.0x | 2.4x |" in (
        markdown
    )
    assert "| 1M | 2022-06 | 27 | 54 | 1.0 | 2 | 3.7% | 54 | Spark scan metric |" in markdown
    assert markdown.index("| 100k |") < markdown.index("| 1M |") < markdown.index("| 10M |")
    assert "`top_customers`" in markdown and "0.60 / 0.69" in markdown
    assert "## Failures and interruptions" in markdown and "incremental_build: boom" in markdown
    assert "| 1M | 300 | 1500 | 2500 | - | - | - | - | 9216 | 6g |" in markdown  # memory table
    assert "| 1M | - | 3.5 | - | - | - | - | - |" in markdown  # load average after each phase
    assert markdown.rstrip().endswith("bloom filters")

    output, docs = tmp_path / "benchmarks", tmp_path / "docs" / "benchmarks.md"
    write_report(results, output, docs)
    assert json.loads((output / "results.json").read_text())["sizes"]["1M"]["rows"] == 1_000_000
    assert (output / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "![build time and rows/s against rows](chart.png)" in (output / "REPORT.md").read_text()
    assert "(../benchmarks/chart.png)" in docs.read_text()


def _model(name: str, schema: str, materialized: str, parents: list[str], **config) -> dict:
    return {
        "unique_id": f"model.p.{name}",
        "resource_type": "model",
        "name": name,
        "schema": schema,
        "relation_name": f"{schema}.{name}",
        "compiled_code": f"select * from {name}_input;\n",
        "depends_on": {"nodes": parents},
        "config": {"materialized": materialized, "file_format": "delta", **config},
    }


def test_same_work_runs_every_model_in_dag_order_as_a_full_refresh(tmp_path: Path) -> None:
    manifest = {
        "nodes": {
            # Listed children first: the order must come from the dependencies.
            "model.p.fct": _model(
                "fct", "gold", "incremental", ["model.p.checked", "model.p.inlined"],
                partition_by=["y", "m"], tblproperties={"delta.appendOnly": "false"},
            ),
            "model.p.checked": _model("checked", "silver", "view", ["model.p.raw"]),
            "model.p.inlined": _model("inlined", "silver", "ephemeral", []),
            "model.p.raw": _model("raw", "bronze", "table", ["source.p.landing.lines"]),
            "seed.p.codes": {"resource_type": "seed", "relation_name": "reference.codes"},
            "test.p.not_null": {"resource_type": "test", "config": {}},
        }
    }  # fmt: skip

    plan = same_work.build_plan(manifest, tmp_path, {"reference.codes": "file:/w/codes"})

    assert plan["tables"] == ["bronze.raw", "silver.checked", "gold.fct"]
    statements = {step["name"]: step["sql"] for step in plan["timed"]}
    assert statements["raw"] == (
        "create or replace table bronze.raw\nusing delta\nas\nselect * from raw_input"
    )
    assert (
        statements["checked"]
        == "create or replace view silver.checked as\nselect * from checked_input"
    )
    assert statements["fct"].startswith(
        "create or replace table gold.fct\nusing delta\npartitioned by (y, m)\n"
        "tblproperties ('delta.appendOnly' = 'false')\nas\n"
    )
    names = [step["name"] for step in plan["timed"]]
    assert names.index("landing tables") < names.index("schema bronze") < names.index("raw")
    landing = [step["sql"] for step in plan["timed"] if step["name"] == "landing tables"]
    assert landing == same_work.landing_statements(tmp_path)
    sales = f"location '{tmp_path.resolve()}/sales'"
    assert f"create table landing.sales_lines (value string) using text {sales}" in landing
    # Seeds are copied before the clock starts; tests are not run at all.
    assert plan["setup"][-1] == (
        "create or replace table reference.codes using delta as select * from delta.`file:/w/codes`"
    )
    assert not any("not_null" in step["sql"] for step in plan["timed"])


def test_node_seconds_add_up_per_kind_and_the_report_shows_them(tmp_path: Path) -> None:
    results = [
        ("seed.p.codes", 0.5),
        ("model.p.a", 2.0),
        ("model.p.b", 1.0),
        ("test.p.not_null_a", 0.25),
        ("test.p.unique_a", 0.75),
        ("unit_test.p.a.checks", 1.5),
        ("operation.p.p-on-run-start-0", 0.4),
        ("exposure.p.dashboard", 0.0),
    ]
    path = tmp_path / "build.run_results.json"
    path.write_text(json.dumps({
        "elapsed_time": 4.2,
        "results": [{"unique_id": uid, "execution_time": s} for uid, s in results],
    }))  # fmt: skip
    nodes = node_seconds(path)
    assert nodes["elapsed_s"] == 4.2
    assert nodes["models"] == {"nodes": 2, "seconds": 3.0, "mean_s": 1.5}
    assert nodes["data tests"] == {"nodes": 2, "seconds": 1.0, "mean_s": 0.5}
    assert nodes["unit tests"]["nodes"] == 1 and nodes["hooks"]["seconds"] == 0.4
    assert "exposures" not in nodes and "snapshots" not in nodes
    assert node_seconds(tmp_path / "missing.json") == {}

    lines = node_time_section([("100k", {"rows": 100_000, "full_build": {"nodes": nodes}})])
    row = next(line for line in lines if line.startswith("| 100k"))
    assert row.split(" | ")[1:5] == ["full build", "4.2", "1 / 0.5 / 0.50", "2 / 3.0 / 1.50"]
    assert node_time_section([("100k", {"rows": 100_000})]) == []
