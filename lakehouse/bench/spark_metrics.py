"""What Spark itself measured for a query: the SQL metrics of its scans, from the server's UI.

The Thrift server runs each statement as a SQL execution whose description is the statement
text; Spark's monitoring REST API (`/api/v1/applications/<app>/sql/<id>?details=true`) gives
the metrics of every node of its physical plan, among them the file scan's "number of files
read": the files the scan opened after partition pruning and Delta's file skipping. A query
is tagged with a unique comment so that its executions can be told from every other one.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import psutil

from lakehouse import server
from lakehouse.config import Settings
from lakehouse.errors import LakehouseError

FILES_READ = "number of files read"
_UI_PORT_LINE = re.compile(r"Successfully started service 'SparkUI' on port (\d+)")


def _get(url: str, timeout_s: float = 10) -> Any:
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        return json.load(response)


def _log_files(settings: Settings, since: float) -> list[Path]:
    """The server's log and its rolled-over files written since `since` (the server's start),
    newest first. Log4j numbers rolled files upward (the highest index is the newest) and
    keeps files of earlier servers, so the order comes from the modification times."""
    rolled = settings.logs_dir.glob(f"{settings.server_log.name}.*")
    recent = [path for path in rolled if path.stat().st_mtime >= since]
    return [settings.server_log, *sorted(recent, key=lambda p: p.stat().st_mtime, reverse=True)]


def _ui_port_from_log(settings: Settings, since: float) -> int | None:
    for path in _log_files(settings, since):
        try:
            ports = _UI_PORT_LINE.findall(path.read_text(errors="replace"))
        except OSError:
            continue
        if ports:
            return int(ports[-1])
    return None


def _listening_ports(pid: int) -> list[int]:
    try:
        return sorted(
            {c.laddr.port for c in psutil.Process(pid).net_connections(kind="tcp")
             if c.status == psutil.CONN_LISTEN}
        )  # fmt: skip
    except psutil.Error:
        return []


def ui_url(settings: Settings) -> str:
    """The REST API of the running server's web UI: its port from the server's log line about
    the SparkUI, else the one of the server's listening ports that answers it."""
    info = server.running_server(settings)
    if info is None:
        raise LakehouseError(f"No server of {settings.state_dir} is running.")
    host = server.ui_address(settings) or "127.0.0.1"
    from_log = _ui_port_from_log(settings, info.started_at)
    candidates = [from_log] if from_log else []
    candidates += [p for p in _listening_ports(info.pid) if p not in (from_log, settings.port)]
    for port in candidates:
        url = f"http://{host}:{port}/api/v1/applications"
        try:
            if _get(url, timeout_s=3):
                return url
        except (OSError, ValueError, http.client.HTTPException):  # not the web UI
            continue
    raise LakehouseError(f"Spark's web UI of the server (pid {info.pid}) does not answer.")


def tagged(sql: str) -> tuple[str, str]:
    """The statement with a unique comment in front, and the tag to find its executions by."""
    tag = f"scan-metrics {uuid.uuid4().hex}"
    return f"/* {tag} */ {sql.strip()}", tag


def files_read(settings: Settings, tag: str, table: str, timeout_s: float = 30) -> dict[str, int]:
    """Spark's metrics of the scans of `table` in the executions of the statement tagged
    `tag`: {"files_read": ..., "partitions_read": ...}, summed over those scans.

    Waits (up to `timeout_s`) for the UI to record the executions as completed: it learns of
    them from Spark's listener bus, a moment after the client has its rows.
    """
    base = ui_url(settings)
    app = _get(base)[0]["id"]
    deadline = time.monotonic() + timeout_s
    while True:
        executions = [
            execution
            for execution in _get(f"{base}/{app}/sql?details=false&length=1000000")
            if tag in execution.get("description", "")
        ]
        if executions and all(e["status"] != "RUNNING" for e in executions):
            break
        if time.monotonic() > deadline:
            raise LakehouseError(f"Spark's UI has no completed execution tagged {tag!r}.")
        time.sleep(0.5)
    totals = {"files_read": 0, "partitions_read": 0, "scans": 0}
    for execution in executions:
        detail = _get(f"{base}/{app}/sql/{execution['id']}?details=true&planDescription=false")
        for node in detail.get("nodes", []):
            scanned = node["nodeName"].split(" ")[-1]  # "Scan parquet spark_catalog.gold.t"
            if not (node["nodeName"].startswith("Scan") and scanned.endswith(f".{table}")):
                continue
            metrics = {m["name"]: m["value"] for m in node.get("metrics", [])}
            totals["scans"] += 1
            totals["files_read"] += int(metrics.get(FILES_READ, "0").replace(",", ""))
            totals["partitions_read"] += int(
                metrics.get("number of partitions read", "0").replace(",", "")
            )
    if not totals["scans"]:
        raise LakehouseError(f"No scan of {table} in the executions tagged {tag!r}.")
    return totals
