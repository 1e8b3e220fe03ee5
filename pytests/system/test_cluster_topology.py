"""docker-compose's topology without containers: a Spark standalone master and worker from the
pip pyspark, PostgreSQL (Debian's packages) as the Hive metastore, and the Thrift server
started by `lakehouse server start --master spark://... --metastore postgresql://...`.

Everything here runs on its own free ports and folders and is stopped at the end, also when a
test fails. The session's own test server (Derby) only lends its cached Delta jars.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from helpers import GOLD_MODELS

from lakehouse import server
from lakehouse.analyst import analysis_names
from lakehouse.config import PROJECT_DIR, Settings
from lakehouse.connection import beeline_rows, run_beeline
from lakehouse.dbt_runner import run_dbt
from lakehouse.generate import generate
from lakehouse.metastore import DEFAULT_DRIVER_JAR, parse_url
from lakehouse.spark_home import spark_home

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
METASTORE_USER = "hive"
METASTORE_PASSWORD = "metastore-test-only"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run its tools as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _stop_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _wait(what: str, check, timeout_s: int = 180, log: Path | None = None):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception:  # not up yet
            pass
        time.sleep(2)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"{what} did not come up within {timeout_s} s\n{tail}")


# ---------------------------------------------------------------------------- fixtures


@dataclass
class Postgres:
    port: int
    bin_dir: Path

    @property
    def metastore_url(self) -> str:
        return f"postgresql://{METASTORE_USER}:{METASTORE_PASSWORD}@127.0.0.1:{self.port}/metastore"

    def psql(self, sql: str, database: str = "metastore") -> list[str]:
        result = subprocess.run(
            [str(self.bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(self.port),
             "-U", "postgres", "-d", database, "-tA", "-v", "ON_ERROR_STOP=1", "-c", sql],
            capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return [line for line in result.stdout.splitlines() if line]


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    """A throwaway PostgreSQL cluster on a free port, with an empty `metastore` database."""
    if not PG_BIN_DIRS or not DEFAULT_DRIVER_JAR.is_file():
        pytest.fail(
            "needs PostgreSQL and its JDBC driver: apt-get install postgresql "
            "libpostgresql-jdbc-java (make test checks them before it starts)"
        )
    bin_dir = PG_BIN_DIRS[0]
    root = tmp_path_factory.mktemp("postgres")
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        for parent in root.parents:  # the postgres user must reach its folder
            if parent == Path("/"):
                break
            parent.chmod(parent.stat().st_mode | 0o011)
    init = subprocess.run(
        _as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
                      "--auth=trust", "-E", "UTF8", "--no-sync"]),
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert init.returncode == 0, init.stdout + init.stderr
    port = free_port()
    pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data)]
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    started = subprocess.run(
        _as_postgres([*pg_ctl, "-l", str(root / "postgres.log"), "-o", options, "-w", "start"]),
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert started.returncode == 0, started.stdout + started.stderr
    instance = Postgres(port, bin_dir)
    try:
        instance.psql(
            f"create user {METASTORE_USER} password '{METASTORE_PASSWORD}'", database="postgres"
        )
        instance.psql(f"create database metastore owner {METASTORE_USER}", database="postgres")
        yield instance
    finally:
        subprocess.run(
            _as_postgres([*pg_ctl, "-m", "fast", "-w", "stop"]),
            capture_output=True, check=False, timeout=120,
        )  # fmt: skip


@dataclass
class SparkCluster:
    master_url: str
    web_port: int
    work_dir: Path

    def state(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}/json/", timeout=10) as r:
            return json.load(r)


@pytest.fixture(scope="module")
def spark_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkCluster]:
    """A standalone master and one worker (1 core, 1 GB) from the pip pyspark."""
    root = tmp_path_factory.mktemp("spark-cluster")
    spark_class = str(spark_home() / "bin" / "spark-class")
    env = dict(os.environ, SPARK_HOME=str(spark_home()), SPARK_LOG_DIR=str(root))
    env.pop("PYSPARK_SUBMIT_ARGS", None)
    port, web_port, worker_web_port = free_port(), free_port(), free_port()
    cluster = SparkCluster(f"spark://127.0.0.1:{port}", web_port, root / "work")
    cluster.work_dir.mkdir()
    processes: list[subprocess.Popen] = []

    def launch(name: str, args: list[str]) -> Path:
        log = root / f"{name}.log"
        with log.open("w") as out:
            processes.append(
                subprocess.Popen(
                    [spark_class, *args],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env=env,
                    cwd=root,
                    start_new_session=True,
                )  # fmt: skip
            )
        return log

    try:
        master_log = launch(
            "master",
            ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
             "--port", str(port), "--webui-port", str(web_port)],
        )  # fmt: skip
        _wait("the Spark master", lambda: cluster.state()["status"] == "ALIVE", log=master_log)
        worker_log = launch(
            "worker",
            ["org.apache.spark.deploy.worker.Worker", cluster.master_url, "--host", "127.0.0.1",
             "--cores", "1", "--memory", "1g", "--webui-port", str(worker_web_port),
             "--work-dir", str(cluster.work_dir)],
        )  # fmt: skip
        _wait("the Spark worker", lambda: cluster.state()["aliveworkers"] == 1, log=worker_log)
        yield cluster
    finally:
        for process in reversed(processes):
            _stop_group(process)


def _lakehouse(*args: str, env: dict[str, str], timeout: int = 600):
    return subprocess.run(
        [sys.executable, "-m", "lakehouse.cli", *args],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def _start_server(
    lakehouse_server: Settings, state: Path, master: str, metastore_url: str
) -> Settings:
    """`lakehouse server start --master M --metastore URL` on a free port, from cached jars."""
    shutil.copytree(lakehouse_server.jars_dir, state / "jars")
    settings = Settings(
        state_dir=state, port=free_port(), driver_memory="1g", master=master,
        metastore_url=metastore_url, start_timeout_s=420,
    )  # fmt: skip
    env = dict(
        os.environ,
        LAKEHOUSE_STATE_DIR=str(state),
        LAKEHOUSE_PORT=str(settings.port),
        LAKEHOUSE_HOST="127.0.0.1",
        LAKEHOUSE_DRIVER_MEMORY="1g",
        LAKEHOUSE_START_TIMEOUT="420",
    )
    for name in ("LAKEHOUSE_METASTORE_URL", "LAKEHOUSE_USER", "LAKEHOUSE_PASSWORD"):
        env.pop(name, None)
    started = _lakehouse(
        "server", "start", "--master", master, "--metastore", metastore_url, env=env
    )
    assert started.returncode == 0, started.stdout + started.stderr
    return settings


@pytest.fixture(scope="module")
def cluster_server(
    lakehouse_server: Settings,
    postgres: Postgres,
    spark_cluster: SparkCluster,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Settings]:
    state = tmp_path_factory.mktemp("cluster-server") / "state"
    settings = None
    try:
        settings = _start_server(
            lakehouse_server, state, spark_cluster.master_url, postgres.metastore_url
        )
        yield settings
    finally:
        server.stop(settings or Settings(state_dir=state))


@pytest.fixture(scope="module")
def cluster_build(cluster_server: Settings) -> Iterator[Settings]:
    """Small generated landing data, the whole `dbt build` (seeds, models, snapshot, data and
    unit tests) through the cluster's Thrift server, and the analyses compiled."""
    with pytest.MonkeyPatch.context() as patch:
        landing = cluster_server.state_dir / "landing"
        patch.setenv("LAKEHOUSE_LANDING_DIR", str(landing))
        # dbt's target/ and logs/ of this build stay apart from anyone else's runs.
        patch.setenv("DBT_TARGET_PATH", str(cluster_server.state_dir / "dbt-target"))
        patch.setenv("DBT_LOG_PATH", str(cluster_server.state_dir / "dbt-logs"))
        for name in ("LAKEHOUSE_USER", "LAKEHOUSE_PASSWORD", "LAKEHOUSE_DBT_TARGET"):
            patch.delenv(name, raising=False)
        generate(landing, rows=2000, seed=11, invoices_per_customer=2, overwrite=True)
        build = run_dbt(
            cluster_server, ["build", "--full-refresh", "--selector", "everything"], capture=True
        )
        assert build.returncode == 0, build.stdout[-5000:]
        assert " ERROR=0 " in build.stdout, build.stdout[-3000:]
        compiled = run_dbt(
            cluster_server, ["compile", "--select", "resource_type:analysis"], capture=True
        )
        assert compiled.returncode == 0, compiled.stdout[-3000:]
        yield cluster_server


# ---------------------------------------------------------------------------- tests


def beeline(settings: Settings, sql: str) -> list[dict[str, str]]:
    result = run_beeline(settings, sql)
    assert result.returncode == 0, result.stdout[-1500:] + result.stderr[-1500:]
    return beeline_rows(result.stdout)


def test_the_thrift_server_runs_its_jobs_on_the_standalone_worker(
    cluster_build: Settings, spark_cluster: SparkCluster
) -> None:
    state = spark_cluster.state()
    assert state["aliveworkers"] == 1
    apps = [app for app in state["activeapps"] if app["name"] == "retail-lakehouse-thriftserver"]
    assert len(apps) == 1, state["activeapps"]
    # The worker launched this application's executor: its folder holds the executor's logs.
    app_dir = spark_cluster.work_dir / apps[0]["id"]
    executors = [path for path in app_dir.iterdir() if (path / "stderr").is_file()]
    assert executors, f"no executor folder in {app_dir}"
    executor_log = (executors[0] / "stderr").read_text(errors="replace")
    assert "Successfully registered with driver" in executor_log
    assert "Finished task" in executor_log  # it did the work, not the driver
    # The server's own command line names the master it submitted to.
    info = server.read_pid_file(cluster_build)
    assert info is not None
    command_line = psutil.Process(info.pid).cmdline()
    assert command_line[command_line.index("--master") + 1] == spark_cluster.master_url


def test_the_tables_are_recorded_in_postgresql(cluster_build: Settings, postgres: Postgres) -> None:
    tables = set(postgres.psql('select "TBL_NAME" from "TBLS"'))
    assert set(GOLD_MODELS) <= tables, sorted(tables)
    schemas = set(postgres.psql('select "NAME" from "DBS"'))
    assert {"landing", "bronze", "silver", "gold"} <= schemas, sorted(schemas)
    # Not a Derby metastore in the state folder.
    assert not (cluster_build.state_dir / "metastore_db").exists()


def test_analyst_queries_over_jdbc(cluster_build: Settings) -> None:
    fact_rows = beeline(cluster_build, "select count(*) as n from gold.fct_sales")
    assert int(fact_rows[0]["n"]) > 1500  # 2000 generated lines, a few quarantined
    by_mall = beeline(
        cluster_build,
        "select mall.city_side, sum(sales.revenue_try) as revenue_try "
        "from gold.monthly_sales as sales "
        "inner join gold.dim_shopping_malls as mall on sales.shopping_mall = mall.shopping_mall "
        "group by mall.city_side order by mall.city_side",
    )
    assert [row["city_side"] for row in by_mall] == ["Asia", "Europe"]
    total = beeline(cluster_build, "select sum(amount_try) as total from gold.fct_sales")
    assert sum(float(row["revenue_try"]) for row in by_mall) == pytest.approx(
        float(total[0]["total"]), rel=1e-6
    )


def test_every_analysis_runs_over_jdbc_on_the_cluster(cluster_build: Settings) -> None:
    compiled_dir = cluster_build.state_dir / "dbt-target" / "compiled" / "retail_lakehouse"
    compiled = {path.stem: path for path in (compiled_dir / "analyses").glob("*.sql")}
    assert sorted(compiled) == analysis_names()
    for name, path in compiled.items():
        result = beeline(cluster_build, path.read_text())
        assert result, f"analysis {name} returned no rows"
    # One figure checked against the fact: revenue by mall and month adds up to all sales.
    by_month = beeline(cluster_build, compiled["revenue_by_mall_and_month"].read_text())
    total = beeline(cluster_build, "select sum(amount_try) as total from gold.fct_sales")
    revenue_column = next(name for name in by_month[0] if "revenue" in name)
    assert sum(float(row[revenue_column]) for row in by_month) == pytest.approx(
        float(total[0]["total"]), rel=1e-6
    )


def test_a_second_server_shares_the_postgresql_catalog(
    cluster_build: Settings,
    lakehouse_server: Settings,
    postgres: Postgres,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """What Derby cannot do: two servers on one catalog at the same time, each seeing the
    other's tables."""
    state = tmp_path_factory.mktemp("second-server") / "state"
    second = None
    try:
        second = _start_server(lakehouse_server, state, "local[1]", postgres.metastore_url)
        assert server.running_server(cluster_build) is not None  # the first is still up
        count_sql = "select count(*) as n from gold.fct_sales"
        assert beeline(second, count_sql) == beeline(cluster_build, count_sql)

        beeline(second, "create table default.shared_probe using delta as select 42 as answer")
        assert beeline(cluster_build, "select answer from default.shared_probe") == [
            {"answer": "42"}
        ]
        assert "shared_probe" in postgres.psql('select "TBL_NAME" from "TBLS"')
    finally:
        server.stop(second or Settings(state_dir=state))


def test_metastore_urls_are_parsed_and_checked() -> None:
    parsed = parse_url("postgresql://hive:p%40ss%3Aword@db.example:6543/meta")
    assert (parsed.host, parsed.port, parsed.database) == ("db.example", 6543, "meta")
    assert (parsed.user, parsed.password) == ("hive", "p@ss:word")
    assert parsed.jdbc_url == "jdbc:postgresql://db.example:6543/meta"
    assert "p@ss" not in repr(parsed)
    assert parse_url("postgres://hive@db/meta").port == 5432
    for bad in ("mysql://hive:x@db/meta", "postgresql://db:5432/meta", "postgresql://u@db/"):
        with pytest.raises(Exception) as error:
            parse_url(bad)
        assert "metastore URL" in str(error.value) or "PostgreSQL" in str(error.value)
