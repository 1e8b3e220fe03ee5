"""The Airflow 3 web UI for the tests that look at the DAG: start only its api-server, and
screenshot a DAG run's graph view with headless Chromium.

The React UI keeps the grid/graph choice in the browser's localStorage (`default_dag_view`),
not in the URL, so `--screenshot` alone shows the grid. Chromium runs here under the DevTools
protocol (--remote-debugging-pipe: JSON messages ending in NUL on fds 3 and 4) to set that key
before the page's scripts run, wait until the graph's nodes have settled, and capture it.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from browser import chromium

from lakehouse.config import PROJECT_DIR
from lakehouse.orchestration import DAG_ID, airflow_executable

WINDOW = (1600, 1000)
# What the graph shows: each node's id, text (with the task's state once loaded) and position,
# and the viewport (it moves when fitView runs). Settled when it stays the same for 1.5 s.
GRAPH_STATE = """JSON.stringify({
  nodes: [...document.querySelectorAll('.react-flow__node')]
    .map(node => [node.dataset.id, node.innerText, node.style.transform]),
  viewport: document.querySelector('.react-flow__viewport')?.style.transform})"""
SETTLED_POLLS = 4


@contextmanager
def web_ui(env: dict[str, str], port: int, timeout_s: float = 120) -> Iterator[str]:
    """Run `airflow api-server` (the web UI and REST API; no scheduler) on 127.0.0.1:port
    and yield its base URL once it answers; stop it on exit. Log: AIRFLOW_HOME/api-server.log.
    With AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS=True no login is needed."""
    base = f"http://127.0.0.1:{port}"
    env = dict(env, AIRFLOW__API__PORT=str(port), AIRFLOW__API__BASE_URL=base)
    log = Path(env["AIRFLOW_HOME"]) / "api-server.log"
    command = [str(airflow_executable()), "api-server", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("w") as out:
        server = subprocess.Popen(
            command, cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        _wait_until_healthy(f"{base}/api/v2/monitor/health", server, log, timeout_s)
        yield base
    finally:
        _stop(server)


def _wait_until_healthy(url: str, server: subprocess.Popen, log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while server.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:]
    status = "exited" if server.poll() is not None else f"did not answer in {timeout_s:.0f} s"
    pytest.fail(f"airflow api-server {status} ({url}); {log} ends with:\n{tail}")


def _stop(process: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=30)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def graph_url(base_url: str, run_id: str | None, dag_id: str = DAG_ID) -> str:
    """The DAG's page, or a run's page (its tasks coloured by state): /dags/ID[/runs/RUN]."""
    url = f"{base_url}/dags/{dag_id}"
    return f"{url}/runs/{urllib.parse.quote(run_id, safe='')}" if run_id else url


def screenshot_graph(
    base_url: str, run_id: str | None, out_png: Path, profile: Path, timeout_s: float = 90
) -> str:
    """Screenshot the graph view of the DAG (of `run_id`, states coloured, when given) into
    `out_png`; returns the rendered DOM. Each node is a `div.react-flow__node` with
    data-id="<task id>" (data-testid="rf__node-<task id>"); a task group shows collapsed."""
    url = graph_url(base_url, run_id)
    with _DevTools(profile) as browser:
        session = browser.call("Target.attachToTarget", targetId=browser.page, flatten=True)
        tab = session["sessionId"]
        width, height = WINDOW
        browser.call("Emulation.setDeviceMetricsOverride", tab, width=width, height=height,
                     deviceScaleFactor=1, mobile=False)  # fmt: skip
        browser.call("Page.enable", tab)  # else the script below does not run
        browser.call("Page.addScriptToEvaluateOnNewDocument", tab,
                     source="localStorage.setItem('default_dag_view', '\"graph\"')")  # fmt: skip
        browser.call("Page.navigate", tab, url=url)
        seen, deadline = [], time.monotonic() + timeout_s
        while not _settled(seen):
            if time.monotonic() > deadline:
                text = browser.evaluate(tab, "document.body?.innerText ?? ''")
                pytest.fail(f"no settled graph at {url} after {timeout_s:.0f} s:\n{text[:2000]}")
            time.sleep(0.5)
            seen.append(browser.evaluate(tab, GRAPH_STATE))
        shot = browser.call("Page.captureScreenshot", tab, format="png")
        out_png.write_bytes(base64.b64decode(shot["data"]))
        return browser.evaluate(tab, "document.documentElement.outerHTML")


def _settled(seen: list[str]) -> bool:
    last = seen[-SETTLED_POLLS:]
    return len(last) == SETTLED_POLLS and len(set(last)) == 1 and bool(json.loads(last[0])["nodes"])


class _DevTools:
    """Headless Chromium driven over the DevTools protocol on a pipe (stdlib only)."""

    def __init__(self, profile: Path) -> None:
        to_chrome, self._commands = os.pipe()
        self._replies, from_chrome = os.pipe()

        def onto_fds_3_and_4() -> None:  # in the child, before exec
            read_end = fcntl.fcntl(to_chrome, fcntl.F_DUPFD_CLOEXEC, 10)
            write_end = fcntl.fcntl(from_chrome, fcntl.F_DUPFD_CLOEXEC, 10)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        profile.mkdir(parents=True, exist_ok=True)
        width, height = WINDOW
        command = [
            chromium(), "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
            f"--user-data-dir={profile}", f"--window-size={width},{height}",
            "--remote-debugging-pipe", "about:blank",
        ]  # fmt: skip
        with (profile / "chromium.log").open("w") as log:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=False,
                preexec_fn=onto_fds_3_and_4, start_new_session=True,
            )  # fmt: skip
        os.close(to_chrome)
        os.close(from_chrome)
        self._buffer, self._last_id = b"", 0
        self.page = self.call("Target.createTarget", url="about:blank")["targetId"]

    def __enter__(self) -> _DevTools:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.call("Browser.close", timeout_s=10)
            self.process.wait(timeout=30)
        except (OSError, RuntimeError, subprocess.TimeoutExpired):
            _stop(self.process)
        finally:
            os.close(self._commands)
            os.close(self._replies)

    def call(self, method: str, session: str | None = None, timeout_s: float = 60, **params):
        """Send one command; return its result (events in between are skipped)."""
        self._last_id += 1
        message = {"id": self._last_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout_s
        while True:
            while b"\0" not in self._buffer:
                left = max(0.0, deadline - time.monotonic())
                ready, _, _ = select.select([self._replies], [], [], left)
                chunk = os.read(self._replies, 1 << 20) if ready else b""
                if not chunk:
                    raise RuntimeError(f"Chromium did not answer {method} ({self._last_id})")
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self._last_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def evaluate(self, session: str, expression: str):
        """The value of a JavaScript expression in the page."""
        result = self.call("Runtime.evaluate", session, expression=expression, returnByValue=True)
        return result["result"].get("value")
