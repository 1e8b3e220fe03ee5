"""Lifecycle of the local Spark Thrift server (HiveServer2 protocol) with Delta Lake.

The server is Spark's own `HiveThriftServer2`, submitted with the pip pyspark's spark-submit.
Its pid, port and start time are kept in `<state>/thriftserver.pid` so that `stop` ends only
the process this project started.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from lakehouse import metastore
from lakehouse.auth import SECRET_ENV, ServerAuth, check_access, is_loopback, server_auth
from lakehouse.config import Settings
from lakehouse.connection import client_host, jdbc_url, query
from lakehouse.errors import LakehouseError
from lakehouse.jars import RESOURCES, fetch_jars
from lakehouse.java import check_java
from lakehouse.spark_home import spark_home, spark_submit

MAIN_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"


@dataclass(frozen=True)
class ServerInfo:
    pid: int
    host: str
    port: int
    started_at: float

    @property
    def uptime_s(self) -> float:
        return time.time() - self.started_at


# ---------------------------------------------------------------------------- the command

# Addresses that mean "every interface of this machine".
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def _bind_host(settings: Settings) -> str | None:
    """The one address every port of the server listens on: the --host given (loopback by
    default), or None for a wildcard host, which leaves Spark's own defaults."""
    if settings.host in WILDCARD_HOSTS:
        return None
    return "127.0.0.1" if settings.host == "localhost" else settings.host


def driver_address(settings: Settings) -> str | None:
    """Where the driver's RPC endpoint and block manager listen, and what it tells executors.

    None keeps Spark's default (the machine's host name), which a cluster's workers need to
    reach when the server listens on every interface. With a local master the executors run
    inside the driver, so nothing outside the process needs these ports: loopback.
    """
    chosen = _bind_host(settings)
    if chosen is None and settings.master.startswith("local"):
        return "127.0.0.1"
    return chosen


def unreachable_driver_warning(settings: Settings) -> str | None:
    """A warning when a loopback driver is given executors that may run on other machines."""
    address = driver_address(settings)
    if address is None or not is_loopback(address) or settings.master.startswith("local"):
        return None
    masters = settings.master.removeprefix("spark://").split(",")
    hosts = [master.rpartition(":")[0] or master for master in masters]
    if settings.master.startswith("spark://") and all(is_loopback(h) for h in hosts):
        return None  # a cluster on this machine reaches the driver on loopback
    return (
        f"WARNING: the driver listens on {address} (loopback), so executors on other machines "
        f"of {settings.master} cannot reach it. Start with --host set to an address the "
        "workers can reach (with LAKEHOUSE_USER and LAKEHOUSE_PASSWORD set)."
    )


def ui_address(settings: Settings) -> str | None:
    """Where Spark's web UI (no login; it shows every SQL text) listens. Spark has no conf for
    it, only the SPARK_LOCAL_IP environment variable; None keeps Spark's default, every
    interface (or the SPARK_LOCAL_IP of the caller's environment)."""
    return _bind_host(settings)


def spark_confs(settings: Settings) -> dict[str, str]:
    """Spark settings of the server: Delta on, state in the state folder, sized for a laptop."""
    metastore_url = f"jdbc:derby:;databaseName={settings.metastore_dir};create=true"
    java_options = " ".join(
        [
            f"-Dlog4j2.configurationFile={RESOURCES / 'log4j2.properties'}",
            f"-Dlakehouse.log.dir={settings.logs_dir}",
            f"-Dlakehouse.log.max.size={settings.log_max_size}",
            f"-Dderby.stream.error.file={settings.logs_dir / 'derby.log'}",
        ]
    )
    confs = {
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.sql.warehouse.dir": str(settings.warehouse_dir),
        "spark.hadoop.javax.jdo.option.ConnectionURL": metastore_url,
        "spark.driver.extraJavaOptions": java_options,
        # dbt-spark's SQL assumes Spark's non-ANSI semantics (Spark 4 turns ANSI on by default).
        "spark.sql.ansi.enabled": "false",
        # Two cores: few shuffle partitions, and let adaptive execution merge small ones.
        "spark.sql.shuffle.partitions": str(settings.shuffle_partitions),
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
        "spark.sql.session.timeZone": "UTC",
        # Jobs share the cores fairly: an analyst's query is scheduled beside a build's stages,
        # not queued behind them (its latency during a build: pytests/artifacts/soak.json).
        "spark.scheduler.mode": "FAIR",
        "spark.scheduler.allocation.file": str(RESOURCES / "fairscheduler.xml"),
        "spark.ui.showConsoleProgress": "false",
        # Delta: fewer, larger files on write; no vacuum safety check surprises in dev.
        "spark.databricks.delta.optimizeWrite.enabled": "true",
        "spark.databricks.delta.autoCompact.enabled": "false",
        # Delta rebuilds a table's snapshot (its list of files) in this many tasks, 50 by
        # default: on two cores that was about a second per statement touching a Delta table,
        # half of a build's time at 100k rows (benchmarks/findings.md).
        "spark.databricks.delta.snapshotPartitions": str(settings.shuffle_partitions),
        # Delta answers min/max from its file statistics as java.time values, which the
        # Thrift server (java.sql values) fails on: `select max(date_col)` would error.
        "spark.databricks.delta.optimizeMetadataQuery.enabled": "false",
    }
    # Listen where the Thrift server listens (loopback by default), not on every interface.
    address = driver_address(settings)
    if address:
        confs["spark.driver.host"] = address
        confs["spark.driver.bindAddress"] = address
    if settings.metastore_url:  # a shared PostgreSQL metastore instead of Derby
        confs.update(metastore.spark_confs(metastore.parse_url(settings.metastore_url)))
    confs.update(settings.extra_conf)
    return confs


def server_command(
    settings: Settings, jars: list[Path], access: ServerAuth | None = None
) -> list[str]:
    command = [
        str(spark_submit()),
        "--class", MAIN_CLASS,
        "--name", "retail-lakehouse-thriftserver",
        "--master", settings.master,
        "--driver-memory", settings.driver_memory,
    ]  # fmt: skip
    # The authentication provider (see lakehouse.auth) must be on the driver's class path.
    class_path = [*jars, *([access.classes_dir] if access else [])]
    if settings.metastore_url:  # the JDBC driver and the hive-site.xml with its password
        class_path += metastore.class_path(settings)
    if jars:
        # --jars ships them to executors; the driver needs them on its own class path too,
        # since the Thrift server opens sessions in threads that do not see --jars.
        command += ["--jars", ",".join(str(jar) for jar in jars)]
    if class_path:
        command += ["--driver-class-path", ":".join(str(path) for path in class_path)]
    for key, value in spark_confs(settings).items():
        command += ["--conf", f"{key}={value}"]
    command += [
        "--hiveconf", f"hive.server2.thrift.port={settings.port}",
        "--hiveconf", f"hive.server2.thrift.bind.host={settings.host}",
    ]  # fmt: skip
    for key, value in (access.hiveconf if access else {}).items():
        command += ["--hiveconf", f"{key}={value}"]
    command.append("spark-internal")
    return command


# ---------------------------------------------------------------------------- state


def read_pid_file(settings: Settings) -> ServerInfo | None:
    try:
        data = json.loads(settings.pid_file.read_text())
        return ServerInfo(int(data["pid"]), data["host"], int(data["port"]), data["started_at"])
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


def _is_our_server(pid: int, settings: Settings) -> bool:
    """True when pid is alive and is a Thrift server using this state folder."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        cmdline = " ".join(process.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
    return MAIN_CLASS in cmdline and str(settings.state_dir) in cmdline


def running_server(settings: Settings) -> ServerInfo | None:
    """The server this project started, if it is still running; a stale pid file is removed."""
    info = read_pid_file(settings)
    if info is None:
        return None
    if _is_our_server(info.pid, settings):
        return info
    settings.pid_file.unlink(missing_ok=True)
    return None


def port_owner(host: str, port: int) -> str | None:
    """'pid 123 (java)' for the process listening on the port, if it can be found."""
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
                if conn.pid:
                    try:
                        name = psutil.Process(conn.pid).name()
                    except psutil.Error:
                        name = "unknown"
                    return f"pid {conn.pid} ({name})"
                return "a process this user cannot see"
    except psutil.AccessDenied:
        return None
    return None


def check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            owner = port_owner(host, port)
            used_by = f" by {owner}" if owner else ""
            raise LakehouseError(
                f"Port {port} on {host} is already in use{used_by} ({exc.strerror}).",
                "Stop that process, or start on another port: "
                "`lakehouse server start --port 10001` (and set LAKEHOUSE_PORT for dbt).",
            ) from exc


# ---------------------------------------------------------------------------- commands


def derby_holder(settings: Settings) -> psutil.Process | None:
    """The process that has the embedded Derby metastore open, if any.

    Derby admits one process per database and marks it by holding `dbex.lck` open; a lock
    file left behind by a killed server is held by nobody, and Derby boots over it.
    """
    lock_file = str(settings.metastore_dir / "dbex.lck")
    for process in psutil.process_iter():
        try:
            if any(opened.path == lock_file for opened in process.open_files()):
                return process
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return None


def check_derby_free(settings: Settings) -> None:
    holder = derby_holder(settings)
    if holder is None:
        return
    try:
        command_line = " ".join(holder.cmdline())
        what = "a Spark Thrift server" if "HiveThriftServer2" in command_line else holder.name()
    except psutil.Error:
        what = "a process that has since ended"
    raise LakehouseError(
        f"The Derby metastore {settings.metastore_dir} is already open in another process "
        f"(pid {holder.pid}, {what}). Derby admits one process at a time.",
        "Stop that process first (if it is a lakehouse server: `lakehouse server stop` with "
        "the same LAKEHOUSE_STATE_DIR), use another LAKEHOUSE_STATE_DIR, or share tables "
        "between processes with a PostgreSQL metastore (--metastore postgresql://...).",
    )


def start(settings: Settings) -> tuple[ServerInfo, bool]:
    """Start the server and wait until it answers a query. Returns (info, was_already_running)."""
    check_access(settings)  # beyond loopback only with credentials
    recorded = read_pid_file(settings)
    already = running_server(settings)
    if already:
        return already, True
    if recorded:  # running_server() has just removed it
        print(
            f"Removed a stale pid file (pid {recorded.pid}): that server is no longer running "
            "(killed or crashed). Delta commits are atomic, so its tables hold their last "
            "committed state."
        )
    java = check_java()
    check_port_free(settings.host, settings.port)
    warning = unreachable_driver_warning(settings)
    if warning:
        print(warning)
    if not settings.metastore_url:
        check_derby_free(settings)
    jars = fetch_jars(settings, java_home=java.executable.parent.parent)
    access = server_auth(settings, java_home=java.executable.parent.parent)
    metastore.prepare(settings, java_home=java.executable.parent.parent)
    for folder in (settings.state_dir, settings.logs_dir, settings.warehouse_dir):
        folder.mkdir(parents=True, exist_ok=True)
    out_path = settings.logs_dir / "thriftserver.out"
    _rotate(out_path)
    env = dict(os.environ, SPARK_HOME=str(spark_home()))
    env["JAVA_HOME"] = str(java.executable.parent.parent)
    env.pop("PYSPARK_SUBMIT_ARGS", None)
    for name in SECRET_ENV:  # the server gets a salted hash of the password, not the password
        env.pop(name, None)
    env.update(access.env if access else {})
    if ui_address(settings):  # the web UI binds here (Spark's default: every interface)
        env["SPARK_LOCAL_IP"] = ui_address(settings)
    with out_path.open("w") as out:
        process = subprocess.Popen(
            server_command(settings, jars, access),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=settings.state_dir,
            env=env,
            start_new_session=True,  # its own process group: stop can end it and its children
        )
    info = ServerInfo(process.pid, settings.host, settings.port, time.time())
    settings.pid_file.write_text(json.dumps(info.__dict__))
    print(f"Starting the Thrift server (pid {process.pid}) on {settings.host}:{settings.port} ...")
    _wait_until_ready(settings, process)
    return info, False


def _wait_until_ready(settings: Settings, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + settings.start_timeout_s
    last_error = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            settings.pid_file.unlink(missing_ok=True)
            raise LakehouseError(
                f"The Thrift server exited while starting (exit code {process.returncode}).\n"
                + log_tail(settings),
                f"Full logs: {settings.logs_dir}",
            )
        if _port_open(client_host(settings), settings.port):
            try:
                if query(settings, "show schemas"):  # touches the Delta catalog
                    return
            except Exception as exc:  # not ready yet: the port opens before sessions work
                last_error = str(exc)
        time.sleep(2)
    _terminate(process.pid)
    settings.pid_file.unlink(missing_ok=True)
    raise LakehouseError(
        f"The Thrift server did not answer within {settings.start_timeout_s} s"
        + (f" (last error: {last_error})" if last_error else "")
        + ".\n"
        + log_tail(settings),
        "Raise LAKEHOUSE_START_TIMEOUT on a slow machine; it was stopped.",
    )


def _port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) == 0


def stop(settings: Settings, timeout_s: int = 60) -> ServerInfo | None:
    """Stop the server this project started (graceful SIGTERM, SIGKILL after timeout)."""
    info = running_server(settings)
    if info is None:
        return None
    _terminate(info.pid, timeout_s)
    settings.pid_file.unlink(missing_ok=True)
    return info


def _terminate(pid: int, timeout_s: int = 60) -> None:
    try:
        process = psutil.Process(pid)
        group = os.getpgid(pid)
    except (psutil.NoSuchProcess, ProcessLookupError):
        return
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except psutil.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    try:  # anything the server spawned (python workers) goes with it
        os.killpg(group, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _rotate(path: Path, keep: int = 3) -> None:
    """path -> path.1 -> ... -> path.<keep>: every start gets a fresh file, history is bounded."""
    for index in range(keep, 0, -1):
        older = path.with_name(f"{path.name}.{index}")
        newer = path if index == 1 else path.with_name(f"{path.name}.{index - 1}")
        if newer.exists():
            newer.replace(older)


def log_tail(settings: Settings, lines: int = 15) -> str:
    """The last lines of the server's output and log, indented, for error messages."""
    chunks = []
    for path in (settings.logs_dir / "thriftserver.out", settings.server_log):
        if path.exists():
            # Java stack frames bury the message: keep the lines a person reads.
            text = [
                line
                for line in path.read_text(errors="replace").splitlines()
                if not line.lstrip().startswith(("at ", "..."))
            ][-lines:]
            if text:
                chunks.append(f"  last lines of {path}:\n" + "\n".join(f"  | {t}" for t in text))
    return "\n".join(chunks) or "  (the server wrote no log)"


def describe_status(settings: Settings) -> tuple[bool, str]:
    info = running_server(settings)
    if info is None:
        return False, f"down (no server running for {settings.state_dir})"
    try:
        rss_mb = psutil.Process(info.pid).memory_info().rss / 2**20
    except psutil.Error:
        rss_mb = float("nan")
    answering = _port_open(client_host(settings), info.port)
    return True, (
        f"up: pid {info.pid}, {info.host}:{info.port}, uptime {_duration(info.uptime_s)}, "
        f"memory {rss_mb:.0f} MB, {'answering' if answering else 'NOT answering'} on its port\n"
        f"JDBC: {jdbc_url(settings, port=info.port)}"
    )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"
