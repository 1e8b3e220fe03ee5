"""docker-compose.yml and its image: static checks (no Docker engine needed), then the stack
built and brought up for real, and checked from the host (test_the_stack_*)."""

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
import yaml
from helpers import GOLD_MODELS

from lakehouse.config import DELTA_VERSION, PROJECT_DIR
from lakehouse.connection import beeline_rows
from lakehouse.generate import generate
from lakehouse.spark_home import beeline, spark_home

COMPOSE_FILE = PROJECT_DIR / "docker-compose.yml"
ENV_EXAMPLE = PROJECT_DIR / ".env.example"
DOCKERFILES = sorted((PROJECT_DIR / "docker").rglob("Dockerfile*"))
SECRET_KEY = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$", re.IGNORECASE)
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?][^}]*)?\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict) -> dict[str, dict]:
    return compose["services"]


def test_the_topology_is_there(services: dict[str, dict]) -> None:
    assert set(services) == {
        "postgres",
        "spark-master",
        "spark-worker",
        "thriftserver",
        "dbt",
        "docs",
    }
    assert services["thriftserver"]["environment"]["SPARK_MASTER_URL"] == (
        "spark://spark-master:7077"
    )
    assert "spark://spark-master:7077" in services["spark-worker"]["command"]
    assert services["thriftserver"]["environment"]["LAKEHOUSE_METASTORE_URL"].startswith(
        "postgresql://"
    )
    assert "@postgres:5432/" in services["thriftserver"]["environment"]["LAKEHOUSE_METASTORE_URL"]
    assert services["dbt"]["environment"]["LAKEHOUSE_DBT_TARGET"] == "docker"
    assert services["dbt"]["environment"]["LAKEHOUSE_HOST"] == "thriftserver"


def test_every_service_has_an_image_a_health_check_and_a_restart_policy(
    services: dict[str, dict],
) -> None:
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        assert service.get("restart") in ("no", "always", "on-failure", "unless-stopped"), name
        if name == "dbt":
            continue  # the one-shot job: it is done when it exits, not healthy
        test = service.get("healthcheck", {}).get("test")
        assert test and test != ["NONE"], f"{name} has no health check"
    assert services["dbt"]["restart"] == "no"  # the one-shot job, explicitly
    assert "healthcheck" not in services["dbt"]
    assert services["thriftserver"]["restart"] == "unless-stopped"


def test_images_are_pinned(services: dict[str, dict]) -> None:
    for name, service in services.items():
        image = service.get("image", "")
        if "build" not in service:
            repository, _, tag = image.rpartition(":")
            assert repository and tag and tag != "latest", f"{name}: {image!r} is not pinned"
            assert re.match(r"\d+\.\d+", tag), f"{name}: {image!r} needs a version tag"
    built = {service["image"] for service in services.values() if "build" in service}
    assert len(built) == 1, "one image for every Spark role, so they run the same Spark"
    assert built.pop().endswith(f"-delta{DELTA_VERSION}")


def test_dependencies_wait_for_health(services: dict[str, dict]) -> None:
    for name, service in services.items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on needs conditions"
        for other, condition in depends.items():
            assert other in services
            # The one-shot job is waited for until it has succeeded, the others until healthy.
            wanted = "service_completed_successfully" if other == "dbt" else "service_healthy"
            assert condition == {"condition": wanted}, (name, other)
    assert set(services["thriftserver"]["depends_on"]) == {
        "postgres",
        "spark-master",
        "spark-worker",
    }
    assert set(services["dbt"]["depends_on"]) == {"thriftserver"}
    assert set(services["docs"]["depends_on"]) == {"dbt"}


def _with_defaults(text: str) -> str:
    """A compose value as it is with nothing set in .env: ${NAME:-default} -> default."""
    return re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}", r"\1", text)


def published_ports(services: dict[str, dict]) -> list[tuple[str, str, str, str]]:
    """(service, host address, host port, container port) of every published port, by default;
    a mapping without an address publishes on every interface of the host (0.0.0.0)."""
    found = []
    for name, service in services.items():
        for spec in service.get("ports", []):
            parts = _with_defaults(str(spec)).split(":")
            address = parts[0] if len(parts) == 3 else "0.0.0.0"
            found.append((name, address, parts[-2], parts[-1]))
    return found


def test_ports_and_volumes_are_declared(compose: dict, services: dict[str, dict]) -> None:
    published = {port: name for name, _, port, _ in published_ports(services)}
    assert published["10000"] == "thriftserver"  # JDBC
    assert published["4040"] == "thriftserver"  # the application's Spark UI
    assert published["8080"] == "spark-master"  # the master's UI
    assert published["8088"] == "docs"
    assert set(compose["volumes"]) >= {"warehouse", "metastore", "landing"}
    mounts = {
        name: {volume.split(":")[0] for volume in s.get("volumes", [])}
        for name, s in services.items()
    }
    assert "metastore" in mounts["postgres"]
    # Driver and executors see the same warehouse and landing paths.
    for name in ("thriftserver", "spark-worker"):
        assert {"warehouse", "landing"} <= mounts[name], name
    for name, used in mounts.items():
        assert used <= set(compose["volumes"]), f"{name} mounts an undeclared volume"


def test_the_web_uis_are_published_on_loopback_unless_opened(services: dict[str, dict]) -> None:
    """The Spark UIs and the docs ask for no login (the application UI shows every SQL text):
    by default the host publishes them on 127.0.0.1 only; LAKEHOUSE_UI_BIND opens them."""
    addresses = {port: address for _, address, port, _ in published_ports(services)}
    for port in ("4040", "8080", "8088"):
        assert addresses[port] == "127.0.0.1", f"port {port} is published on {addresses[port]}"
    specs = [str(spec) for s in services.values() for spec in s.get("ports", [])]
    for port in ("4040", "8080", "8088"):
        (spec,) = [spec for spec in specs if _with_defaults(spec).split(":")[-2] == port]
        assert spec.startswith("${LAKEHOUSE_UI_BIND:-127.0.0.1}:"), spec
    # JDBC asks for the user and password of .env, so it stays reachable from the network.
    assert addresses["10000"] == "0.0.0.0"


def _environment_values(services: dict[str, dict]) -> list[tuple[str, str, str]]:
    found = []
    for name, service in services.items():
        environment = service.get("environment", {})
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) for item in environment)
        found += [(name, key, str(value)) for key, value in environment.items()]
    return found


def test_no_secret_literals(services: dict[str, dict]) -> None:
    values = _environment_values(services)
    secrets = [(name, key, value) for name, key, value in values if SECRET_KEY.search(key)]
    assert secrets, "the compose file sets passwords somewhere"
    for name, key, value in secrets:
        assert re.fullmatch(r"\$\{[A-Z_]+\}", value), f"{name}.{key} is a literal: {value!r}"
    # Nor inside a URL: the metastore URL takes its password from a variable.
    url = services["thriftserver"]["environment"]["LAKEHOUSE_METASTORE_URL"]
    assert re.match(r"postgresql://\$\{\w+\}:\$\{\w+\}@", url), url


def test_env_file_is_ignored_and_its_template_lists_every_variable() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".env"], cwd=PROJECT_DIR, check=False
    ).returncode
    assert ignored == 0, ".env must be git-ignored"
    tracked_template = subprocess.run(
        ["git", "check-ignore", "-q", ".env.example"], cwd=PROJECT_DIR, check=False
    ).returncode
    assert tracked_template == 1, ".env.example must not be ignored"
    referenced = set(VARIABLE.findall(COMPOSE_FILE.read_text()))
    template = {
        line.split("=", 1)[0].strip()
        for line in ENV_EXAMPLE.read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    assert referenced, "compose references no variables"
    assert referenced <= template, f"missing from .env.example: {sorted(referenced - template)}"


def test_dockerfiles_pin_their_versions() -> None:
    assert DOCKERFILES, "no Dockerfile under docker/"
    for dockerfile in DOCKERFILES:
        text = dockerfile.read_text()
        # The base is a build argument whose default, the official image, is pinned; every
        # other FROM names a stage of the same file.
        (default_base,) = re.findall(r"^ARG BASE_IMAGE=(\S+)$", text, flags=re.MULTILINE)
        assert re.search(r":\d+\.\d+\.\d+", default_base), f"{dockerfile.name}: {default_base}"
        stages = set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", text, flags=re.MULTILINE))
        for base in re.findall(r"^FROM\s+(\S+)", text, flags=re.MULTILINE):
            assert base == "${BASE_IMAGE}" or base in stages, f"{dockerfile.name}: FROM {base}"
        assert f"DELTA_VERSION={DELTA_VERSION}" in text
        assert re.search(r"POSTGRES_JDBC_VERSION=\d+\.\d+\.\d+", text)
        assert "repo1.maven.org/maven2" in text  # fetched from Maven Central at build time
        # The Python packages come from the project's lock file, all pinned.
        assert "-r requirements.lock" in text
    lock = (PROJECT_DIR / "requirements.lock").read_text()
    assert "pyspark==4.2.0" in lock


def test_files_the_images_copy_exist() -> None:
    for dockerfile in DOCKERFILES:
        for line in re.findall(r"^COPY\s+(.+)$", dockerfile.read_text(), flags=re.MULTILINE):
            *sources, _destination = line.split()
            if sources[0].startswith("--from="):
                continue  # copied from another stage of the build
            for source in sources:
                assert (PROJECT_DIR / source).exists(), f"{dockerfile.name}: COPY {source}"
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    for service in compose["services"].values():
        build = service.get("build")
        if build:
            assert (PROJECT_DIR / build["context"] / build["dockerfile"]).is_file()


def test_the_docker_profile_target_reads_the_compose_settings() -> None:
    profile = yaml.safe_load((PROJECT_DIR / "profiles" / "profiles.yml").read_text())
    docker = profile["retail_lakehouse"]["outputs"]["docker"]
    assert docker["method"] == "thrift"
    for variable in ("LAKEHOUSE_HOST", "LAKEHOUSE_PORT", "LAKEHOUSE_USER", "LAKEHOUSE_PASSWORD"):
        assert variable in str(docker), variable


def test_scripts_are_executable() -> None:
    for script in Path(PROJECT_DIR / "docker").glob("*.sh"):
        assert script.stat().st_mode & 0o111, script
        assert script.read_text().startswith("#!/bin/sh\n")


def test_extra_ca_certificates_stay_out_of_git_and_of_the_final_image() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "docker/extra-ca/proxy.crt"], cwd=PROJECT_DIR, check=False
    ).returncode
    assert ignored == 0, "docker/extra-ca/*.crt must be git-ignored"
    text = (PROJECT_DIR / "docker" / "Dockerfile").read_text()
    final_stage = text.rpartition("\nFROM ")[2]
    assert "extra-ca" not in final_stage, "the final stage must not copy the extra CA files"
    assert "COPY docker/extra-ca/" in text.partition("AS build")[2].partition("\nFROM ")[0]


# ------------------------------------------------------------------ the stack, for real
#
# One module fixture builds the image (on a Debian base made with debootstrap unless
# LAKEHOUSE_COMPOSE_BASE_IMAGE names one), brings the stack up with `docker compose up -d`
# under a compose project of its own, and takes it down with `down -v` at the end. The tests
# below run in file order against it; the last one takes it down and checks nothing is left.
# As root on Linux, a missing Docker engine is installed and started (and stopped again), so
# there the tests fail rather than skip. They carry the `server` mark: `make test-fast` leaves
# them out, `make test` (and CI) runs them.

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


@pytest.mark.server
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


@pytest.mark.server
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


@pytest.mark.server
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


@pytest.mark.server
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


@pytest.mark.server
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


@pytest.mark.server
def test_the_stack_down_v_leaves_nothing(running_stack: RunningStack) -> None:
    stack = running_stack.stack
    compose_stack.must(stack("down", "-v", "--remove-orphans", timeout=300), "down -v")
    assert stack.leftovers() == {"containers": [], "networks": [], "volumes": []}
