"""The runtime: a dbt-built Delta table readable over JDBC, the server lifecycle, its errors."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import subprocess
from pathlib import Path

import psutil
import pytest
from helpers import free_port, isolated_env, lakehouse_cli

from lakehouse import jars, server
from lakehouse.config import Settings
from lakehouse.connection import beeline_rows, jdbc_url, run_beeline
from lakehouse.dbt_runner import run_dbt
from lakehouse.java import find_java
from lakehouse.spark_home import spark_home

# ------------------------------------------------------------------ against the shared server


@pytest.fixture(scope="module")
def built_reference(lakehouse_server: Settings) -> Settings:
    result = run_dbt(
        lakehouse_server,
        ["build", "--select", "shopping_malls", "dim_shopping_malls"],
        capture=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    return lakehouse_server


def test_dbt_built_table_is_delta_and_readable_over_jdbc(built_reference: Settings) -> None:
    # The seed is the Delta table; gold's dim_shopping_malls is a view over it.
    detail = run_beeline(built_reference, "describe detail reference.shopping_malls")
    assert detail.returncode == 0, detail.stderr[-2000:]
    assert beeline_rows(detail.stdout)[0]["format"] == "delta"

    rows = run_beeline(
        built_reference,
        "select city_side, count(*) as malls from gold.dim_shopping_malls "
        "group by city_side order by city_side",
    )
    assert rows.returncode == 0, rows.stderr[-2000:]
    assert beeline_rows(rows.stdout) == [
        {"city_side": "Asia", "malls": "3"},
        {"city_side": "Europe", "malls": "7"},
    ]


def test_dbt_debug_passes(lakehouse_server: Settings) -> None:
    result = run_dbt(lakehouse_server, ["debug"], capture=True)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "All checks passed" in result.stdout


def test_doctor_passes_every_check(lakehouse_server: Settings) -> None:
    result = lakehouse_cli("doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 of 8 checks passed" in result.stdout
    assert "FAIL" not in result.stdout


def test_status_reports_the_running_server(lakehouse_server: Settings) -> None:
    result = lakehouse_cli("server", "status")
    assert result.returncode == 0, result.stderr
    info = server.read_pid_file(lakehouse_server)
    assert info is not None
    assert f"up: pid {info.pid}, 127.0.0.1:{lakehouse_server.port}" in result.stdout
    assert "uptime" in result.stdout


def listening_sockets(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket the process and its children listen on."""
    root = psutil.Process(pid)
    found = []
    for process in [root, *root.children(recursive=True)]:
        for conn in process.net_connections(kind="inet"):
            if conn.status == psutil.CONN_LISTEN:
                found.append((_plain_ip(conn.laddr.ip), conn.laddr.port))
    return sorted(set(found))


def _plain_ip(text: str) -> str:
    """Java listens on IPv6 sockets: '::ffff:127.0.0.1' is IPv4's 127.0.0.1."""
    address = ipaddress.ip_address(text)
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


def test_the_default_server_listens_on_loopback_only(lakehouse_server: Settings) -> None:
    """With the default host every port the server opens (Thrift, the Spark UI with every
    SQL text, the driver's RPC and block manager) is on loopback, none on another interface."""
    info = server.read_pid_file(lakehouse_server)
    assert info is not None
    sockets = listening_sockets(info.pid)
    assert (lakehouse_server.host, lakehouse_server.port) in sockets, sockets
    assert len(sockets) >= 3, sockets  # Thrift, the UI, the driver's RPC at least
    beyond_loopback = [
        (ip, port) for ip, port in sockets if not ipaddress.ip_address(ip).is_loopback
    ]
    assert beyond_loopback == [], f"listening beyond loopback: {beyond_loopback} (all: {sockets})"


def test_start_when_running_says_so_and_exits_zero(lakehouse_server: Settings) -> None:
    result = lakehouse_cli("server", "start")
    assert result.returncode == 0, result.stderr
    assert "already running" in result.stdout


def test_doctor_fails_cleanly_when_no_server(tmp_path: Path) -> None:
    env = isolated_env(tmp_path / "state", LAKEHOUSE_PORT=str(free_port()))
    result = lakehouse_cli("doctor", env=env)
    assert result.returncode == 1
    assert "thrift connection" in result.stdout and "FAIL" in result.stdout
    assert "Traceback" not in result.stderr


def test_hive_function_registry_loads_on_the_server_classpath(
    lakehouse_server: Settings, tmp_path: Path
) -> None:
    """Closing a session initialises Hive's FunctionRegistry; every class it needs is there.

    Spark 4 dropped hive-llap-common, which FunctionRegistry refers to: without the jar the
    project adds, a session close could fail with NoClassDefFoundError (LlapSigner$Signable).
    """
    check = tmp_path / "LoadFunctionRegistry.java"
    check.write_text(
        "public class LoadFunctionRegistry { public static void main(String[] a) throws Exception {"
        ' Class.forName("org.apache.hadoop.hive.ql.exec.FunctionRegistry");'
        ' System.out.println("FunctionRegistry initialised"); } }\n'
    )
    classpath = os.pathsep.join(
        [str(spark_home() / "jars" / "*"), *map(str, jars.cached_jars(lakehouse_server))]
    )
    opens = [f"--add-opens=java.base/{pkg}=ALL-UNNAMED" for pkg in ("java.lang", "java.net")]
    result = subprocess.run(
        [str(find_java()), *opens, "-cp", classpath, str(check)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "FunctionRegistry initialised" in result.stdout


# ------------------------------------------------------------------ a second, private server


def test_lifecycle_with_cached_jars_leaves_no_process(
    lakehouse_server: Settings, tmp_path: Path
) -> None:
    """Start from cached jars (no download), status, stop, and nothing left running."""
    state = tmp_path / "state"
    shutil.copytree(lakehouse_server.jars_dir, state / "jars")
    port = free_port()
    # A tiny log size, so that the start alone makes the server log roll over.
    env = isolated_env(
        state,
        LAKEHOUSE_PORT=str(port),
        LAKEHOUSE_MAVEN_REPO="http://127.0.0.1:9",
        LAKEHOUSE_LOG_MAX_SIZE="8KB",
    )

    started = lakehouse_cli("server", "start", "--master", "local[1]", env=env)
    assert started.returncode == 0, started.stdout + started.stderr
    assert "Fetching" not in started.stdout
    out_log = (state / "logs" / "thriftserver.out").read_text()
    assert "resolving dependencies" not in out_log and "downloading" not in out_log
    pid = int(server.read_pid_file(Settings(state_dir=state)).pid)

    status = lakehouse_cli("server", "status", env=env)
    assert status.returncode == 0 and f"pid {pid}" in status.stdout

    stopped = lakehouse_cli("server", "stop", env=env)
    assert stopped.returncode == 0 and f"Stopped the Thrift server (pid {pid})" in stopped.stdout
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    # process_iter's prefetched info is None for zombies and processes we may not read.
    leftovers = [
        p.pid
        for p in psutil.process_iter(["cmdline"])
        if str(state) in " ".join(p.info["cmdline"] or [])
    ]
    assert leftovers == []
    # Logs stay bounded: the log rolled at 8 KB and at most 5 older files are kept.
    server_logs = sorted((state / "logs").glob("thriftserver.log*"))
    assert (state / "logs" / "thriftserver.log.1").exists(), server_logs
    assert len(server_logs) <= 6, server_logs
    assert all(log.stat().st_size < 64 * 1024 for log in server_logs), server_logs
    down = lakehouse_cli("server", "status", env=env)
    assert down.returncode == 3 and down.stdout.startswith("down")
    assert not (state / "thriftserver.pid").exists()


# ------------------------------------------------------------------ error paths (no server)


def test_port_in_use_names_the_owner(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        result = lakehouse_cli(
            "server", "start", env=isolated_env(tmp_path, LAKEHOUSE_PORT=str(port))
        )
    assert result.returncode == 1
    assert f"Port {port} on 127.0.0.1 is already in use by pid {os.getpid()}" in result.stderr
    assert "Traceback" not in result.stderr


def test_java_missing(tmp_path: Path) -> None:
    env = isolated_env(tmp_path, PATH="/nonexistent")
    env.pop("JAVA_HOME", None)
    result = lakehouse_cli("server", "start", env=env)
    assert result.returncode == 1
    assert "Java was not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_java_too_old(tmp_path: Path) -> None:
    fake_home = tmp_path / "jdk11"
    (fake_home / "bin").mkdir(parents=True)
    fake_java = fake_home / "bin" / "java"
    fake_java.write_text("#!/bin/sh\necho 'openjdk version \"11.0.21\" 2023-10-17' >&2\n")
    fake_java.chmod(0o755)
    result = lakehouse_cli("server", "start", env=isolated_env(tmp_path, JAVA_HOME=str(fake_home)))
    assert result.returncode == 1
    assert "Java 11.0.21" in result.stderr and "too old" in result.stderr
    assert "Traceback" not in result.stderr


def test_maven_unreachable_on_first_start(tmp_path: Path) -> None:
    env = isolated_env(
        tmp_path / "state",
        LAKEHOUSE_MAVEN_REPO="http://127.0.0.1:9/maven2",
        LAKEHOUSE_PORT=str(free_port()),
    )
    result = lakehouse_cli("server", "start", env=env)
    assert result.returncode == 1
    assert "Could not download the Delta Lake jars from http://127.0.0.1:9/maven2" in result.stderr
    assert "LAKEHOUSE_MAVEN_REPO" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "state" / "thriftserver.pid").exists()


def test_server_dying_at_start_shows_its_log(lakehouse_server: Settings, tmp_path: Path) -> None:
    state = tmp_path / "state"
    shutil.copytree(lakehouse_server.jars_dir, state / "jars")
    env = isolated_env(state, LAKEHOUSE_PORT=str(free_port()))
    result = lakehouse_cli("server", "start", "--master", "nonsense://nowhere", env=env)
    assert result.returncode == 1
    assert "The Thrift server exited while starting" in result.stderr
    assert "last lines of" in result.stderr
    assert "Master must either be yarn or start with spark" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (state / "thriftserver.pid").exists()


def test_invalid_port_setting(tmp_path: Path) -> None:
    result = lakehouse_cli("server", "status", env=isolated_env(tmp_path, LAKEHOUSE_PORT="ten"))
    assert result.returncode == 1
    assert "LAKEHOUSE_PORT='ten' is not a TCP port" in result.stderr


def test_spark_listens_where_the_thrift_server_does(tmp_path: Path) -> None:
    """The driver's RPC and the web UI follow --host; a wildcard host with a cluster master
    keeps Spark's defaults, so that the cluster's workers can reach the driver."""

    def binds(host: str, master: str = "local[*]") -> tuple[str | None, str | None]:
        settings = Settings(state_dir=tmp_path, host=host, master=master)
        confs = server.spark_confs(settings)
        assert confs.get("spark.driver.bindAddress") == confs.get("spark.driver.host")
        return confs.get("spark.driver.host"), server.ui_address(settings)

    assert binds("127.0.0.1") == ("127.0.0.1", "127.0.0.1")
    assert binds("localhost", "spark://127.0.0.1:7077") == ("127.0.0.1", "127.0.0.1")
    assert binds("10.1.2.3", "spark://10.1.2.9:7077") == ("10.1.2.3", "10.1.2.3")
    # Every interface: the UI on Spark's default; executors in the process need no RPC port.
    assert binds("0.0.0.0") == ("127.0.0.1", None)
    assert binds("0.0.0.0", "spark://spark-master:7077") == (None, None)


def test_a_loopback_driver_with_a_remote_cluster_is_warned_about(tmp_path: Path) -> None:
    def warning(host: str, master: str) -> str | None:
        settings = Settings(state_dir=tmp_path, host=host, master=master)
        return server.unreachable_driver_warning(settings)

    assert warning("127.0.0.1", "local[*]") is None
    assert warning("127.0.0.1", "spark://127.0.0.1:7077") is None  # a cluster on this machine
    assert warning("localhost", "spark://localhost:7077,127.0.0.1:7078") is None
    assert warning("10.1.2.3", "spark://10.1.2.9:7077") is None
    assert warning("0.0.0.0", "yarn") is None
    remote = warning("127.0.0.1", "spark://spark-master:7077")
    assert remote is not None and "executors on other machines" in remote
    assert "--host" in remote
    assert "cannot reach" in (warning("127.0.0.1", "yarn") or "")


def test_jdbc_url_points_clients_at_gold(tmp_path: Path) -> None:
    """start, status and the run summary print this URL: loopback for a wildcard bind, and
    the gold schema analysts query."""
    wildcard = Settings(state_dir=tmp_path, host="0.0.0.0", port=10011)
    assert jdbc_url(wildcard) == "jdbc:hive2://127.0.0.1:10011/gold"
    assert jdbc_url(wildcard, port=10012) == "jdbc:hive2://127.0.0.1:10012/gold"
    named = Settings(state_dir=tmp_path, host="lake.example")
    assert jdbc_url(named, "silver") == "jdbc:hive2://lake.example:10000/silver"
