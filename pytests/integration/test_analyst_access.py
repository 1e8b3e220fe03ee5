"""Analysts' access: the analyses over JDBC, dbt docs in a browser, authentication, and
readers that keep querying while dbt rebuilds the marts.

The analyses run through beeline (Spark's Hive JDBC client, what analysts use) and are
compared with an independent pandas computation over the same landing files
(pytests/support/independent.py). Every connection a test opens goes to 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.request
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest
from browser import headless
from helpers import GOLD_MODELS, LAKEHOUSE, free_port, isolated_env, lakehouse_cli
from independent import accepted_customers, accepted_sales

from lakehouse.analyst import COMPILED_ANALYSES_DIR, analysis_names
from lakehouse.config import PROJECT_DIR, Settings, dbt_env
from lakehouse.connection import beeline_rows, connect, query, run_beeline
from lakehouse.dbt_runner import dbt_executable, run_dbt

CENT = Decimal("0.01")
ANALYSES = [
    "revenue_by_mall_and_month",
    "top_customers_by_revenue",
    "category_mix_by_age_band_and_gender",
    "payment_method_trends",
    "average_order_value_by_mall",
    "outlier_invoices_for_review",
]
# Shares in percent are rounded by Spark in two decimal steps; allow one unit of the last digit.
PERCENT_COLUMNS = {"revenue_share_pct", "invoice_share_pct"}


def money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# ------------------------------------------------------------------ the independent figures


@pytest.fixture(scope="module")
def landing_frames(built_pipeline) -> tuple[pd.DataFrame, pd.DataFrame]:
    sales = accepted_sales(built_pipeline.landing_dir).copy()
    customers = accepted_customers(built_pipeline.landing_dir)
    sales["amount_try"] = sales["amount_try"].map(Decimal)
    sales["month_start_date"] = sales["invoice_date"].map(lambda day: day.replace(day=1))
    return sales, customers


def _grouped(frame: pd.DataFrame, keys: list[str]) -> list[tuple[tuple, pd.DataFrame]]:
    return sorted(frame.groupby(keys, sort=False), key=lambda item: item[0])


def expected_rows(name: str, sales: pd.DataFrame, customers: pd.DataFrame) -> list[dict]:
    """What each analysis should return, computed without Spark or dbt, in its order."""
    with_customers = sales.merge(customers, on="customer_id", how="inner")
    rows: list[dict] = []
    if name == "revenue_by_mall_and_month":
        for (month, mall), group in _grouped(sales, ["month_start_date", "shopping_mall"]):
            rows.append(
                {
                    "month_start_date": month,
                    "shopping_mall": mall,
                    "invoice_count": len(group),
                    "item_count": int(group["quantity"].sum()),
                    "revenue_try": money(sum(group["amount_try"])),
                }
            )
    elif name == "top_customers_by_revenue":
        per_customer = []
        for (customer_id,), group in _grouped(with_customers, ["customer_id"]):
            revenue = money(sum(group["amount_try"]))
            first = group.iloc[0]
            per_customer.append(
                {
                    "customer_id": customer_id,
                    "gender": first["gender"],
                    "age_band": first["age_band"],
                    "payment_method": first["payment_method"],
                    "invoice_count": len(group),
                    "revenue_try": revenue,
                    "average_order_value_try": money(revenue / len(group)),
                }
            )
        per_customer.sort(key=lambda row: (-row["revenue_try"], row["customer_id"]))
        rows = [{"revenue_rank": rank, **row} for rank, row in enumerate(per_customer[:20], 1)]
    elif name == "category_mix_by_age_band_and_gender":
        keys = ["age_band", "gender", "category"]
        totals: dict[tuple, Decimal] = defaultdict(Decimal)
        for (band, gender, category), group in _grouped(with_customers, keys):
            revenue = money(sum(group["amount_try"]))
            totals[(band, gender)] += revenue
            rows.append(
                {
                    "age_band": band,
                    "gender": gender,
                    "category": category,
                    "invoice_count": len(group),
                    "revenue_try": revenue,
                }
            )
        for row in rows:
            share = 100 * row["revenue_try"] / totals[(row["age_band"], row["gender"])]
            row["revenue_share_pct"] = money(share)
    elif name == "payment_method_trends":
        keys = ["month_start_date", "payment_method"]
        month_invoices = with_customers.groupby("month_start_date").size()
        for (month, method), group in _grouped(with_customers, keys):
            rows.append(
                {
                    "month_start_date": month,
                    "payment_method": method,
                    "invoice_count": len(group),
                    "revenue_try": money(sum(group["amount_try"])),
                    "invoice_share_pct": money(
                        Decimal(100 * len(group)) / int(month_invoices[month])
                    ),
                }
            )
    elif name == "average_order_value_by_mall":
        malls = pd.read_csv(PROJECT_DIR / "seeds" / "shopping_malls.csv", dtype=str)
        city_side = dict(zip(malls["shopping_mall"], malls["city_side"], strict=True))
        for (mall,), group in _grouped(sales, ["shopping_mall"]):
            revenue = money(sum(group["amount_try"]))
            rows.append(
                {
                    "shopping_mall": mall,
                    "city_side": city_side[mall],
                    "invoice_count": len(group),
                    "revenue_try": revenue,
                    "average_order_value_try": money(revenue / len(group)),
                    "average_items_per_invoice": money(
                        Decimal(int(group["quantity"].sum())) / len(group)
                    ),
                }
            )
        rows.sort(key=lambda row: (-row["average_order_value_try"], row["shopping_mall"]))
    elif name == "outlier_invoices_for_review":
        outliers = sales[sales["is_price_outlier"].astype(bool)]
        for row in outliers.itertuples():
            expected = money(row.quantity * Decimal(row.unit_price_try))
            rows.append(
                {
                    "invoice_no": row.invoice_no,
                    "invoice_date": row.invoice_date,
                    "shopping_mall": row.shopping_mall,
                    "customer_id": row.customer_id,
                    "category": row.category,
                    "quantity": int(row.quantity),
                    "unit_price_try": money(row.unit_price_try),
                    "amount_try": money(row.amount_try),
                    "expected_amount_try": expected,
                    "difference_try": money(row.amount_try) - expected,
                }
            )
        rows.sort(key=lambda row: (-row["amount_try"], row["invoice_no"]))
    else:  # pragma: no cover - a new analysis needs its independent computation here
        raise AssertionError(f"no independent computation for {name}")
    return rows


def as_text(value: object) -> str:
    """A value as beeline prints it."""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# ------------------------------------------------------------------ analyses over JDBC


@pytest.fixture(scope="module")
def compiled_analyses(built_pipeline) -> dict[str, str]:
    result = run_dbt(
        built_pipeline.settings, ["compile", "--select", "resource_type:analysis"], capture=True
    )
    assert result.returncode == 0, result.stdout[-3000:]
    return {name: (COMPILED_ANALYSES_DIR / f"{name}.sql").read_text() for name in ANALYSES}


def test_every_analysis_is_tested_and_documented() -> None:
    assert sorted(ANALYSES) == analysis_names()
    documented = (PROJECT_DIR / "analyses" / "_analyses.yml").read_text()
    for name in ANALYSES:
        assert f"- name: {name}\n" in documented


@pytest.mark.parametrize("name", ANALYSES)
def test_analysis_over_jdbc_matches_independent_figures(
    name: str, compiled_analyses: dict[str, str], landing_frames, built_pipeline
) -> None:
    sql = compiled_analyses[name]
    assert "{{" not in sql and "gold" in sql
    result = run_beeline(built_pipeline.settings, sql, schema="gold")
    assert result.returncode == 0, result.stderr[-3000:]
    actual = beeline_rows(result.stdout)
    expected = expected_rows(name, *landing_frames)
    assert expected, f"the generated data give {name} no rows: the test would prove nothing"
    assert len(actual) == len(expected)
    assert list(actual[0]) == list(expected[0])
    for got, want in zip(actual, expected, strict=True):
        for column, value in want.items():
            if column in PERCENT_COLUMNS:
                assert abs(Decimal(got[column]) - value) <= CENT, (column, got, want)
            else:
                assert got[column] == as_text(value), (column, got, want)


def test_lakehouse_sql_runs_a_compiled_analysis_as_json(compiled_analyses, built_pipeline) -> None:
    result = lakehouse_cli("sql", "--analysis", "average_order_value_by_mall", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 10
    assert {"shopping_mall", "average_order_value_try"} <= set(rows[0])


def test_lakehouse_sql_without_a_server_says_so(tmp_path: Path) -> None:
    port = free_port()
    env = isolated_env(tmp_path, LAKEHOUSE_PORT=str(port))
    result = lakehouse_cli("sql", "select 1", env=env)
    assert result.returncode == 1
    assert f"No Thrift server is answering on 127.0.0.1:{port}" in result.stderr
    assert "lakehouse server start" in result.stderr
    assert "Traceback" not in result.stderr


# ------------------------------------------------------------------ dbt docs in a browser


def _wait_for_http(url: str, process: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "lakehouse docs exited early"
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(1)
    pytest.fail(f"{url} did not answer within {timeout_s} s")


def _ancestors(parent_map: dict[str, list[str]], node: str) -> set[str]:
    seen: set[str] = set()
    todo = [node]
    while todo:
        for parent in parent_map.get(todo.pop(), []):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def test_docs_show_lineage_in_a_browser(built_pipeline, artifacts_dir: Path, tmp_path) -> None:
    port = free_port()
    docs = subprocess.Popen(
        [*LAKEHOUSE, "docs", "--port", str(port)],
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_http(f"{base}/index.html", docs, timeout_s=600)
        # What the page loads: the manifest gives the lineage, the catalog the column types.
        with urllib.request.urlopen(f"{base}/manifest.json", timeout=30) as response:
            manifest = json.load(response)
        with urllib.request.urlopen(f"{base}/catalog.json", timeout=30) as response:
            catalog = json.load(response)

        fct_sales = "model.retail_lakehouse.fct_sales"
        ancestors = _ancestors(manifest["parent_map"], fct_sales)
        sources = {node for node in ancestors if node.startswith("source.retail_lakehouse.")}
        assert any(".landing.sales" in node for node in sources), sorted(ancestors)
        assert "model.retail_lakehouse.stg_landing__sales" in ancestors
        assert "model.retail_lakehouse.int_sales_validated" in ancestors
        assert any(node.startswith("model.retail_lakehouse.stg_") for node in ancestors)

        page = f"{base}/#!/model/{fct_sales}"
        dom = headless(tmp_path / "profile-dom", "--dump-dom", page)
        assert dom.returncode == 0, dom.stderr[-2000:]
        assert "fct_sales" in dom.stdout
        assert "int_sales_validated" in dom.stdout  # the page's "Depends on" list
        assert "amount_try" in dom.stdout  # the columns table, from the catalog

        # Screenshots for a person: the model page, and its lineage graph from the sources.
        views = {
            "dbt_docs_fct_sales.png": page,
            "dbt_docs_fct_sales_lineage.png": f"{page}?g_v=1&g_i=%2Bfct_sales",
        }
        for index, (file_name, url) in enumerate(views.items()):
            screenshot = artifacts_dir / file_name
            screenshot.unlink(missing_ok=True)
            shot = headless(tmp_path / f"profile-shot{index}", f"--screenshot={screenshot}", url)
            assert shot.returncode == 0, shot.stderr[-2000:]
            assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            assert screenshot.stat().st_size > 20_000  # a rendered page, not a blank one
    finally:
        os.killpg(docs.pid, signal.SIGTERM)
        docs.wait(timeout=30)

    gold_models = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "gold"
    ]
    assert {node["name"] for node in gold_models} >= set(GOLD_MODELS)
    for node in gold_models:
        entry = catalog["nodes"].get(node["unique_id"])
        assert entry, f"{node['name']} is missing from the catalog"
        columns = entry["columns"]
        assert columns, f"{node['name']} has no columns in the catalog"
        untyped = [name for name, column in columns.items() if not column.get("type")]
        assert untyped == [], f"{node['name']}: columns without a type: {untyped}"
        documented = {name.lower() for name in node["columns"]}
        assert documented <= {name.lower() for name in columns}, node["name"]
    on_disk = json.loads((PROJECT_DIR / "target" / "catalog.json").read_text())
    assert on_disk["nodes"].keys() == catalog["nodes"].keys()


# ------------------------------------------------------------------ access control


def test_start_beyond_loopback_without_credentials_refuses(tmp_path: Path) -> None:
    env = isolated_env(tmp_path / "state", LAKEHOUSE_PORT=str(free_port()))
    env.pop("LAKEHOUSE_USER", None)
    env.pop("LAKEHOUSE_PASSWORD", None)
    result = lakehouse_cli("server", "start", "--host", "0.0.0.0", env=env)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "Refusing to start on 0.0.0.0 without authentication" in result.stderr
    assert "LAKEHOUSE_USER and LAKEHOUSE_PASSWORD" in result.stderr
    assert not (tmp_path / "state" / "thriftserver.pid").exists()


@pytest.fixture(scope="module")
def secured_server(lakehouse_server: Settings, tmp_path_factory) -> Settings:
    """A private server on 0.0.0.0 that requires a user and password (clients use 127.0.0.1)."""
    state = tmp_path_factory.mktemp("secured") / "state"
    shutil.copytree(lakehouse_server.jars_dir, state / "jars")
    port = free_port()
    env = isolated_env(
        state,
        LAKEHOUSE_PORT=str(port),
        LAKEHOUSE_USER="analyst",
        # No spaces: Spark's beeline script splits its `-p` argument on them.
        LAKEHOUSE_PASSWORD="correct-horse-42",
    )
    started = lakehouse_cli("server", "start", "--host", "0.0.0.0", "--master", "local[1]", env=env)
    assert started.returncode == 0, started.stdout + started.stderr
    settings = Settings(state_dir=state, host="0.0.0.0", port=port)
    yield settings
    stopped = lakehouse_cli("server", "stop", env=env)
    assert stopped.returncode == 0, stopped.stderr


def _as(monkeypatch, user: str | None, password: str | None) -> None:
    for name, value in (("LAKEHOUSE_USER", user), ("LAKEHOUSE_PASSWORD", password)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


def test_secured_server_keeps_the_password_out_of_its_environment(secured_server) -> None:
    from lakehouse.server import read_pid_file

    pid = read_pid_file(secured_server).pid
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    assert not any(entry.startswith(b"LAKEHOUSE_PASSWORD=") for entry in environ)
    assert b"LAKEHOUSE_AUTH_USER=analyst" in environ
    assert not any(b"correct-horse-42" in entry for entry in environ)


def test_beeline_login_to_the_secured_server(secured_server, monkeypatch) -> None:
    _as(monkeypatch, "analyst", "wrong password")
    refused = run_beeline(secured_server, "select 1 as ok")
    assert refused.returncode != 0
    assert "No current connection" in refused.stderr  # beeline could not log in

    _as(monkeypatch, "intruder", "correct-horse-42")
    wrong_user = run_beeline(secured_server, "select 1 as ok")
    assert wrong_user.returncode != 0

    _as(monkeypatch, None, None)
    anonymous = run_beeline(secured_server, "select 1 as ok")
    assert anonymous.returncode != 0

    _as(monkeypatch, "analyst", "correct-horse-42")
    accepted = run_beeline(secured_server, "select 1 as ok")
    assert accepted.returncode == 0, accepted.stderr[-2000:]
    assert beeline_rows(accepted.stdout) == [{"ok": "1"}]


def _dbt_debug(settings: Settings, user: str, password: str) -> subprocess.CompletedProcess:
    env = dbt_env(settings)
    env.update(LAKEHOUSE_USER=user, LAKEHOUSE_PASSWORD=password, LAKEHOUSE_DBT_TARGET="local")
    assert env["LAKEHOUSE_HOST"] == "127.0.0.1"
    return subprocess.run(
        [dbt_executable(), "debug"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_dbt_profile_login_to_the_secured_server(secured_server) -> None:
    refused = _dbt_debug(secured_server, "analyst", "wrong password")
    assert refused.returncode != 0
    assert "Error validating the login" in refused.stdout

    accepted = _dbt_debug(secured_server, "analyst", "correct-horse-42")
    assert accepted.returncode == 0, accepted.stdout[-3000:]
    assert "All checks passed" in accepted.stdout


# ------------------------------------------------------------------ readers during a rebuild


def test_readers_see_whole_versions_during_a_rebuild(built_pipeline) -> None:
    settings = built_pipeline.settings
    total_sql = "select sum(amount_try) as total from gold.fct_sales"
    # Two committed versions with different totals, so a reader's answer tells which one it
    # saw: drop one month from the fact now; the rebuild below writes it back.
    (built_total,) = query(settings, total_sql)[0]
    query(settings, "delete from gold.fct_sales where invoice_month = 1")
    (reduced_total,) = query(settings, total_sql)[0]
    assert reduced_total != built_total, "the deleted month held no sales"
    observed: list[Decimal | None] = []
    errors: list[str] = []
    queries = [0]
    done = threading.Event()
    lock = threading.Lock()

    def reader() -> None:
        with connect(settings) as connection:
            cursor = connection.cursor()
            while not done.is_set():
                try:
                    cursor.execute(total_sql)
                    (total,) = cursor.fetchone()
                except Exception as exc:  # every failure is a finding: keep them all
                    with lock:
                        errors.append(str(exc)[:500])
                    continue
                with lock:
                    observed.append(None if total is None else Decimal(str(total)))
                    queries[0] += 1
                time.sleep(0.5)  # two cores: leave the rebuild room

    threads = [threading.Thread(target=reader, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        rebuild = run_dbt(
            settings, ["build", "--full-refresh", "--select", "path:models/marts"], capture=True
        )
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=120)
    assert rebuild.returncode == 0, rebuild.stdout[-3000:]
    assert errors == []
    assert queries[0] >= 8, "too few reads overlapped the rebuild to show anything"
    # The readers saw the old version before the fact was replaced and the new one after
    # (the analyst tables and gold's tests run after fct_sales).
    assert Decimal(str(reduced_total)) in observed
    assert Decimal(str(built_total)) in observed
    assert query(settings, total_sql)[0][0] == built_total
    # Each answer is one committed version's total, never a half-written table's.
    whole_versions = {Decimal(str(reduced_total)), Decimal(str(built_total))}
    partial = sorted({total for total in observed if total not in whole_versions}, key=str)
    assert partial == [], f"totals matching no committed version: {partial}; {whole_versions}"
