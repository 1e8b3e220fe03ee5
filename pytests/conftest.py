"""Test tiers and shared fixtures.

The tier of a test is its folder, and its marker follows from it:
- unit/: no server, no network, no program beyond the project's virtualenv; seconds.
- integration/: the one shared Thrift server and the builds on it (plus Chromium, the shells).
- system/: what starts other programs around the lakehouse: docker-compose, a Spark cluster
  with PostgreSQL, Airflow.
`pytest -m unit` (or `pytest pytests/unit`) runs one tier; support code lives in support/.

One Thrift server serves the whole test session.

The tests use their own state folder and port (LAKEHOUSE_TEST_STATE_DIR, default
.lakehouse-test/; LAKEHOUSE_TEST_PORT, default 10011), so a developer's own server on 10000
and its tables are never touched. A test server already running there is reused; one the
session started is stopped at the end (set LAKEHOUSE_KEEP_TEST_SERVER=1 to keep it up
between runs while iterating).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import (
    ARTIFACTS_DIR,
    PIPELINE_INVOICES_PER_CUSTOMER,
    PIPELINE_RATES,
    PIPELINE_ROWS,
    PIPELINE_SEED,
    BuiltPipeline,
)

from lakehouse import server
from lakehouse.config import PROJECT_DIR, Settings, load_settings
from lakehouse.connection import query


def test_settings() -> Settings:
    state_dir = Path(
        os.environ.get("LAKEHOUSE_TEST_STATE_DIR", str(PROJECT_DIR / ".lakehouse-test"))
    ).resolve()
    port = int(os.environ.get("LAKEHOUSE_TEST_PORT", "10011"))
    return load_settings().with_overrides(state_dir=state_dir, port=port, host="127.0.0.1")


TIERS = ("unit", "integration", "system")
# Fixtures that start or need the shared server: never in a unit test.
SERVER_FIXTURES = {"lakehouse_server", "built_pipeline"}


def tier_of(path: Path) -> str:
    """The tier folder a test file lives in, e.g. pytests/unit/test_x.py -> unit."""
    tests_root = Path(__file__).resolve().parent
    relative = path.resolve().relative_to(tests_root)
    if len(relative.parts) < 2 or relative.parts[0] not in TIERS:
        raise pytest.UsageError(
            f"{path}: a test module belongs in one of pytests/{{{','.join(TIERS)}}}/"
        )
    return relative.parts[0]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test with its folder's tier; a unit test that asks for the server fails
    collection, so the unit tier stays free of servers."""
    for item in items:
        tier = tier_of(Path(str(item.path)))
        item.add_marker(getattr(pytest.mark, tier))
        needs_server = SERVER_FIXTURES & set(getattr(item, "fixturenames", ()))
        if tier == "unit" and needs_server:
            raise pytest.UsageError(
                f"{item.nodeid} is in the unit tier but uses {sorted(needs_server)}: "
                "move it to pytests/integration/"
            )


@pytest.fixture(scope="session")
def lakehouse_server() -> Settings:
    """Settings of a running test server (started once, reused by every test)."""
    settings = test_settings()
    # Point everything this process starts (dbt, the CLI) at the test server.
    os.environ["LAKEHOUSE_STATE_DIR"] = str(settings.state_dir)
    os.environ["LAKEHOUSE_PORT"] = str(settings.port)
    os.environ["LAKEHOUSE_HOST"] = settings.host
    info, already_running = server.start(settings)
    yield settings
    if not already_running and os.environ.get("LAKEHOUSE_KEEP_TEST_SERVER") != "1":
        server.stop(settings)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests keep what a person may want to look at afterwards (screenshots, reports)."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    return ARTIFACTS_DIR


@pytest.fixture(scope="session")
def built_pipeline(lakehouse_server: Settings) -> BuiltPipeline:
    """Generated landing data and one run of the main job on it: `lakehouse run
    --full-refresh` (dbt build, docs generate, the doctor's checks, the summary)."""
    from lakehouse.generate import generate

    landing_dir = lakehouse_server.landing_dir
    os.environ["LAKEHOUSE_LANDING_DIR"] = str(landing_dir)
    manifest = generate(
        landing_dir,
        rows=PIPELINE_ROWS,
        seed=PIPELINE_SEED,
        invoices_per_customer=PIPELINE_INVOICES_PER_CUSTOMER,
        rates=PIPELINE_RATES,
        overwrite=True,
    )
    # The job finds the test server (state folder, host, port) and the landing folder in the
    # environment that lakehouse_server and this fixture set; the landing folder is not empty,
    # so it builds this data set. Unbuffered, the job's own lines stay in order with dbt's.
    run = subprocess.run(
        [sys.executable, "-m", "lakehouse.cli", "run", "--full-refresh"],
        cwd=PROJECT_DIR,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-3000:]
    _, done, after = run.stdout.rpartition("\n==> Done in")
    assert done, f"no summary in the output of `lakehouse run`:\n{run.stdout[-3000:]}"
    summary = after.partition("\n")[2]
    ((invocation_id,),) = query(
        lakehouse_server,
        "select invocation_id from audit.data_test_history "
        "where dbt_command = 'build' order by run_started_at desc limit 1",
    )
    return BuiltPipeline(
        lakehouse_server, landing_dir, manifest, run.stdout, summary, invocation_id
    )
