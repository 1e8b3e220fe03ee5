"""The runtime: a dbt-built Delta table readable over JDBC, the server lifecycle, its errors."""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
from pathlib import Path

import psutil
import pytest
from helpers import free_port, isolated_env, lakehouse_cli

from lakehouse import jars, server
from lakehouse.config import Settings
from lakehouse.connection import beeline_rows, run_beeline
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


# ------------------------------------------------------------------ a server that dies at start


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
