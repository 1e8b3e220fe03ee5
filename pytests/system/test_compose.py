"""The docker-compose stack for real: the image built on a Debian base, the stack brought up,
checked from the host (JDBC with the login, UIs on loopback, two workers, a restart), and taken
down leaving nothing."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import compose_stack
import psutil
import pytest
from helpers import GOLD_MODELS

from lakehouse.connection import beeline_rows
from lakehouse.generate import generate
from lakehouse.spark_home import beeline, spark_home

# One module fixture builds the image (on a Debian base made with debootstrap unless
# LAKEHOUSE_COMPOSE_BASE_IMAGE names one), brings the stack up with `docker compose up -d`
# under a compose project of its own, and takes it down with `down -v` at the end. The tests
# below run in file order against it; the last one takes it down and checks nothing is left.
# As root on Linux, a missing Docker engine is installed and started (and stopped again), so
# there the tests fail rather than skip.

COMPOSE_PROJECT = "lakehouse-compose-test"
SAMPLE_ROWS = 2_000
STACK_SERVICES = ("postgres", "spark-master", "spark-worker", "thriftserver", "docs")


@dataclass
class RunningStack:
    stack: compose_stack.Stack
    env: dict[str, str]
    up_output: str

    def port(self, name: str) -> int:
        return int(self.env[name])

    @property
    def jdbc_url(self) -> str:
        return f"jdbc:hive2://127.0.0.1:{self.port('LAKEHOUSE_JDBC_PORT')}/gold"

    def beeline(self, sql: str, login: bool = True) -> subprocess.CompletedProcess[str]:
        """Spark's JDBC client on the host, as an analyst would run it."""
        credentials = ["-n", self.env["LAKEHOUSE_USER"], "-p", self.env["LAKEHOUSE_PASSWORD"]]
        return compose_stack.run(
            [str(beeline()), "-u", self.jdbc_url, *(credentials if login else []),
             "--silent=true", "--outputformat=csv2", "-e", sql],
            timeout=180,
            env=dict(os.environ, SPARK_HOME=str(spark_home())),
        )  # fmt: skip

    def query(self, *statements: str) -> list[list[tuple]]:
        """Rows of each statement over one PyHive connection (dbt's driver) with the login:
        much faster than a beeline JVM per statement when there are many."""
        from pyhive import hive

        connection = hive.connect(
            host="127.0.0.1",
            port=self.port("LAKEHOUSE_JDBC_PORT"),
            auth="CUSTOM",
            username=self.env["LAKEHOUSE_USER"],
            password=self.env["LAKEHOUSE_PASSWORD"],
        )
        try:
            cursor = connection.cursor()
            results = []
            for sql in statements:
                cursor.execute(sql)
                results.append(list(cursor.fetchall()))
            return results
        finally:
            connection.close()

    def rows(self, sql: str) -> list[dict[str, str]]:
        result = self.beeline(sql)
        assert result.returncode == 0, f"{sql}\n{result.stdout[-2000:]}{result.stderr[-3000:]}"
        return beeline_rows(result.stdout)


@pytest.fixture(scope="module")
def running_stack(tmp_path_factory: pytest.TempPathFactory) -> RunningStack:
    engine = None
    if not compose_stack.engine_answers():
        if not compose_stack.can_manage_engine():
            pytest.skip("no Docker engine answers, and only root on Linux may start one here")
        compose_stack.install_engine()
        engine = compose_stack.start_engine(tmp_path_factory.mktemp("dockerd") / "dockerd.log")
    base_image = os.environ.get("LAKEHOUSE_COMPOSE_BASE_IMAGE") or (
        compose_stack.make_local_base_image()
    )
    # A TLS-inspecting network needs its CA in the build; on any other network the host's
    # bundle only repeats the roots the image trusts already. "" leaves it out.
    extra_ca = os.environ.get("LAKEHOUSE_COMPOSE_EXTRA_CA", str(compose_stack.HOST_CA_BUNDLE))
    context = compose_stack.build_context(
        tmp_path_factory.mktemp("compose-context"),
        Path(extra_ca) if extra_ca and Path(extra_ca).is_file() else None,
    )
    ports = compose_stack.free_ports(4)
    env = compose_stack.write_env(
        context,
        {
            "METASTORE_PASSWORD": "metastore-" + secrets.token_hex(8),
            "LAKEHOUSE_USER": "analyst",
            "LAKEHOUSE_PASSWORD": "analyst-" + secrets.token_hex(8),
            "LAKEHOUSE_JDBC_PORT": str(ports[0]),
            "LAKEHOUSE_MASTER_UI_PORT": str(ports[1]),
            "LAKEHOUSE_APP_UI_PORT": str(ports[2]),
            "LAKEHOUSE_DOCS_PORT": str(ports[3]),
            "LAKEHOUSE_BASE_IMAGE": base_image,
            "SAMPLE_ROWS": str(SAMPLE_ROWS),
        },
    )
    stack = compose_stack.Stack(context, COMPOSE_PROJECT)
    stack("down", "-v", "--remove-orphans", timeout=300)  # what an interrupted run left
    try:
        # One build: every service runs the same image.
        compose_stack.must(stack("build", "spark-master", timeout=1800), "docker compose build")
        up = stack("up", "-d", timeout=1800)
        yield RunningStack(stack, env, up.stdout + up.stderr)
    finally:
        stack("down", "-v", "--remove-orphans", timeout=300)
        if engine is not None:
            compose_stack.stop_engine(engine)


def _dbt_container(stack: compose_stack.Stack) -> dict:
    (container,) = stack.containers("dbt")
    return container


def test_the_stack_comes_up_and_the_dbt_job_succeeds(running_stack: RunningStack) -> None:
    stack = running_stack.stack
    logs = stack("logs", "--no-color", "dbt").stdout
    container = _dbt_container(stack)
    assert container["State"]["Status"] == "exited", container["State"]
    assert container["State"]["ExitCode"] == 0, logs[-5000:]
    # dbt's closing line: everything passed (warnings allowed), nothing failed or errored.
    done = re.findall(r"Done\. PASS=(\d+) WARN=(\d+) ERROR=(\d+) SKIP=(\d+)", logs)
    assert done, logs[-5000:]
    passed, _warned, errors, _skipped = (int(n) for n in done[-1])
    assert errors == 0 and passed > 0, done[-1]
    # `up -d` came back without errors, and every long-running service is (or soon turns)
    # healthy: `up` waits for the health of what others depend on, not of the docs server.
    assert "ERROR" not in running_stack.up_output, running_stack.up_output[-3000:]
    for service in STACK_SERVICES:
        stack.wait_healthy(service, timeout_s=120)
        assert len(stack.containers(service)) == 1, service


def test_the_stack_answers_jdbc_with_the_env_credentials_only(
    running_stack: RunningStack, tmp_path: Path
) -> None:
    # What the job's generator promised, computed again on the host from the same options.
    expected = generate(tmp_path / "landing", rows=SAMPLE_ROWS)["expected"]
    (counts,) = running_stack.rows(
        "select (select count(*) from fct_sales) as sales, "
        "(select count(*) from dim_customers) as customers"
    )
    assert counts == {
        "sales": str(expected["sales"]["silver_rows"]),
        "customers": str(expected["customers"]["silver_rows"]),
    }
    for gold_model in GOLD_MODELS:
        (row,) = running_stack.rows(f"select count(*) as n from gold.{gold_model}")
        assert int(row["n"]) > 0, gold_model

    refused = running_stack.beeline("select count(*) from fct_sales", login=False)
    assert refused.returncode != 0, refused.stdout[-2000:]
    assert "fct_sales" not in beeline_rows(refused.stdout)
    text = refused.stdout + refused.stderr
    assert re.search(r"authenticat|Peer indicated failure|Could not open", text, re.I), text[-3000:]


def _loopback_listeners(port: int) -> set[str]:
    return {
        conn.laddr.ip
        for conn in psutil.net_connections(kind="tcp")
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port
    }


def test_the_stack_serves_the_uis_and_docs_on_loopback_only(running_stack: RunningStack) -> None:
    master = running_stack.port("LAKEHOUSE_MASTER_UI_PORT")
    app = running_stack.port("LAKEHOUSE_APP_UI_PORT")
    docs = running_stack.port("LAKEHOUSE_DOCS_PORT")
    status = compose_stack.http_json(f"http://127.0.0.1:{master}/json/")
    assert status["status"] == "ALIVE"
    applications = compose_stack.http_json(f"http://127.0.0.1:{app}/api/v1/applications")
    assert [a["name"] for a in applications] == ["retail-lakehouse-thriftserver"]
    code, page = compose_stack.http_get(f"http://127.0.0.1:{docs}/")
    assert code == 200 and b"dbt" in page
    catalog = compose_stack.http_json(f"http://127.0.0.1:{docs}/catalog.json")
    documented = {node["metadata"]["name"] for node in catalog["nodes"].values()}
    assert set(GOLD_MODELS) <= documented, sorted(documented)
    # What the engine publishes, and what listens on the host: loopback only for the UIs.
    for service, port in (("spark-master", master), ("thriftserver", app), ("docs", docs)):
        (container,) = running_stack.stack.containers(service)
        bindings = [
            binding
            for spec, published in container["NetworkSettings"]["Ports"].items()
            for binding in published or []
            if int(binding["HostPort"]) == port
        ]
        assert bindings and {b["HostIp"] for b in bindings} == {"127.0.0.1"}, (service, bindings)
        listeners = _loopback_listeners(port)
        assert listeners <= {"127.0.0.1"}, (service, port, listeners)


def _application_executors(running_stack: RunningStack) -> list[dict]:
    base = f"http://127.0.0.1:{running_stack.port('LAKEHOUSE_APP_UI_PORT')}/api/v1/applications"
    (application,) = compose_stack.http_json(base)
    executors = compose_stack.http_json(f"{base}/{application['id']}/executors")
    return [e for e in executors if e["id"] != "driver"]


def _executor_hosts(executors: list[dict]) -> set[str]:
    """Hosts of the active executors; one still registering has no address yet ('')."""
    hosts = {e["hostPort"].rpartition(":")[0] for e in executors if e["isActive"]}
    return hosts - {""}


def _wait_for(what: str, check, timeout_s: float = 180):
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not so after {timeout_s:.0f} s")
        time.sleep(2)


def test_the_stack_scales_to_two_workers_that_run_the_tasks(running_stack: RunningStack) -> None:
    stack = running_stack.stack
    master_json = f"http://127.0.0.1:{running_stack.port('LAKEHOUSE_MASTER_UI_PORT')}/json/"
    status = compose_stack.http_json(master_json)
    assert status["aliveworkers"] == 1, status["workers"]

    # Only the worker service: the one-shot job must not run again.
    compose_stack.must(
        stack("up", "-d", "--no-deps", "--scale", "spark-worker=2", "spark-worker"), "scale up"
    )
    stack.wait_healthy("spark-worker", timeout_s=180)
    workers = stack.containers("spark-worker", every=False)
    assert len(workers) == 2
    worker_ips = {
        network["IPAddress"]
        for worker in workers
        for network in worker["NetworkSettings"]["Networks"].values()
    }
    _wait_for(
        "the master lists two alive workers",
        lambda: compose_stack.http_json(master_json)["aliveworkers"] == 2,
    )
    # The standalone master gives the running application an executor on the new worker too.

    def executors_on_two_hosts() -> list[dict] | None:
        executors = _application_executors(running_stack)
        return executors if len(_executor_hosts(executors)) == 2 else None

    executors = _wait_for(
        "the Thrift server has an executor on each worker", executors_on_two_hosts
    )
    assert _executor_hosts(executors) == worker_ips
    tasks_before = sum(e["totalTasks"] for e in executors)
    (row,) = running_stack.rows(
        "select count(distinct customer_id) as customers from gold.fct_sales"
    )
    assert int(row["customers"]) > 0
    executors = _application_executors(running_stack)
    assert sum(e["totalTasks"] for e in executors) > tasks_before, executors
    assert _executor_hosts(executors) <= worker_ips, executors


def _table_counts(running_stack: RunningStack) -> dict[str, int]:
    """Row count of every table of the three layers, as the catalog lists them."""
    names = [
        f"{schema}.{row[1]}"
        for schema in ("bronze", "silver", "gold")
        for row in running_stack.query(f"show tables in {schema}")[0]
    ]
    counts = running_stack.query(*(f"select count(*) from {name}" for name in names))
    return {name: int(rows[0][0]) for name, rows in zip(names, counts, strict=True)}


def test_the_stack_keeps_every_table_across_a_thrift_server_restart(
    running_stack: RunningStack,
) -> None:
    stack = running_stack.stack
    before = _table_counts(running_stack)
    assert {f"gold.{model}" for model in GOLD_MODELS} <= set(before), sorted(before)
    (container,) = stack.containers("thriftserver")
    compose_stack.must(stack("restart", "thriftserver", timeout=300), "restart thriftserver")
    (restarted,) = stack.containers("thriftserver")
    assert restarted["State"]["StartedAt"] != container["State"]["StartedAt"]
    stack.wait_healthy("thriftserver", timeout_s=600)
    assert _table_counts(running_stack) == before


def test_the_stack_down_v_leaves_nothing(running_stack: RunningStack) -> None:
    stack = running_stack.stack
    compose_stack.must(stack("down", "-v", "--remove-orphans", timeout=300), "down -v")
    assert stack.leftovers() == {"containers": [], "networks": [], "volumes": []}
