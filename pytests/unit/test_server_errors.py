"""The server's error paths and settings, checked without starting a server: a port in use,
Java missing or too old, Maven unreachable, bad settings, where Spark binds, the JDBC URL."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from helpers import free_port, isolated_env, lakehouse_cli

from lakehouse import server
from lakehouse.config import Settings
from lakehouse.connection import jdbc_url


def test_doctor_fails_cleanly_when_no_server(tmp_path: Path) -> None:
    env = isolated_env(tmp_path / "state", LAKEHOUSE_PORT=str(free_port()))
    result = lakehouse_cli("doctor", env=env)
    assert result.returncode == 1
    assert "thrift connection" in result.stdout and "FAIL" in result.stdout
    assert "Traceback" not in result.stderr


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
