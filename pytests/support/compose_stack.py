"""Driving docker-compose.yml from a test: the Docker engine, a base image, a build context
and the `docker compose` commands of one compose project.

The stack is built from a copy of the project's files (tracked and untracked, not ignored) in a
temporary folder, with its own .env, so the test never writes into the work tree and never
touches a developer's own stack: its compose project name, host ports and passwords are its own.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from lakehouse.config import PROJECT_DIR

# The base image the test builds on when LAKEHOUSE_COMPOSE_BASE_IMAGE names none: plain Debian
# 12 made with debootstrap from Debian's own packages, so no container registry is needed.
LOCAL_BASE_IMAGE = "lakehouse-debian:bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def run(command: list[str], timeout: float = 600, **kwargs) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing its output; a timeout raises with the command named."""
    return subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )


def must(result: subprocess.CompletedProcess[str], what: str) -> str:
    """The stdout of a command that must succeed; else an AssertionError with its output."""
    assert result.returncode == 0, (
        f"{what} failed (exit {result.returncode}): {' '.join(result.args)}\n"
        f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    )
    return result.stdout


# ------------------------------------------------------------------ the engine


def docker_cli() -> str:
    return shutil.which("docker") or "docker"


def compose_cli() -> list[str]:
    """`docker compose` (v2) where the plugin is installed, else docker-compose (1.29)."""
    if run([docker_cli(), "compose", "version"], timeout=30).returncode == 0:
        return [docker_cli(), "compose"]
    found = shutil.which("docker-compose")
    assert found, (
        "Neither `docker compose` nor docker-compose is installed "
        "(Debian: apt-get install docker-compose)."
    )
    return [found]


def engine_answers() -> bool:
    return (
        shutil.which(docker_cli()) is not None
        and run([docker_cli(), "info"], timeout=60).returncode == 0
    )


def can_manage_engine() -> bool:
    """Root on Linux: the test may install Debian's Docker and start its engine itself."""
    return sys.platform.startswith("linux") and os.geteuid() == 0


def install_engine() -> None:
    """Debian's docker.io, docker-compose and debootstrap, when any is missing."""
    wanted = {"dockerd": "docker.io", "docker-compose": "docker-compose"}
    wanted["debootstrap"] = "debootstrap"
    missing = [package for command, package in wanted.items() if not shutil.which(command)]
    if not missing:
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    must(run(["apt-get", "update", "-qq"], env=env), "apt-get update")
    must(run(["apt-get", "install", "-y", "-qq", *missing], env=env), f"installing {missing}")


def start_engine(log_path: Path) -> subprocess.Popen:
    """Start dockerd in the background and wait until it answers; the caller stops it."""
    log = log_path.open("w")
    process = subprocess.Popen(
        ["dockerd"], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"dockerd exited with {process.returncode}:\n{log_path.read_text()[-3000:]}"
            )
        if engine_answers():
            return process
        time.sleep(1)
    process.terminate()
    raise AssertionError(f"dockerd did not answer in 90 s:\n{log_path.read_text()[-3000:]}")


def stop_engine(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


# ------------------------------------------------------------------ images and context


def image_exists(image: str) -> bool:
    return run([docker_cli(), "image", "inspect", image], timeout=60).returncode == 0


def make_local_base_image(image: str = LOCAL_BASE_IMAGE) -> str:
    """A minimal Debian 12 image from debootstrap, unless the engine has it already."""
    if image_exists(image):
        return image
    assert shutil.which("debootstrap"), "debootstrap is needed to make the base image"
    rootfs = Path(tempfile.mkdtemp(prefix="lakehouse-rootfs-"))
    try:
        must(
            run(
                ["debootstrap", "--variant=minbase", "bookworm", str(rootfs), DEBIAN_MIRROR],
                timeout=900,
            ),
            "debootstrap",
        )
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        imported = run([docker_cli(), "import", "-", image], stdin=tar.stdout, timeout=600)
        tar.wait(timeout=60)
        must(imported, "docker import of the debootstrap folder")
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)
    return image


def project_files() -> list[str]:
    """The project's files as git sees them: tracked and untracked, without ignored ones."""
    listed = must(
        run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=PROJECT_DIR),
        "git ls-files",
    )  # fmt: skip
    return [name for name in listed.split("\0") if name and (PROJECT_DIR / name).is_file()]


def build_context(target: Path, extra_ca: Path | None) -> Path:
    """Copy the project into target, with the extra CA bundle where the build looks for it."""
    for name in project_files():
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_DIR / name, destination)
    if extra_ca is not None:
        shutil.copy(extra_ca, target / "docker" / "extra-ca" / "extra-ca-from-host.crt")
    return target


def write_env(context: Path, values: dict[str, str]) -> dict[str, str]:
    """The context's .env: .env.example with the given values replaced. Every key given must
    be in the template, so the test sees what a user sees."""
    lines, seen = [], set()
    for line in (context / ".env.example").read_text().splitlines():
        key = line.split("=", 1)[0].strip()
        if "=" in line and not line.lstrip().startswith("#") and key in values:
            line, _ = f"{key}={values[key]}", seen.add(key)
        lines.append(line)
    assert seen == set(values), f"not in .env.example: {sorted(set(values) - seen)}"
    (context / ".env").write_text("\n".join(lines) + "\n")
    return values


def free_ports(count: int) -> list[int]:
    """Ports free on 127.0.0.1 now (the engine binds them a moment later)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


# ------------------------------------------------------------------ one compose project


class Stack:
    def __init__(self, context: Path, project: str) -> None:
        self.context = context
        self.project = project
        self.compose = [*compose_cli(), "-p", project, "-f", str(context / "docker-compose.yml")]

    def __call__(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return run([*self.compose, *args], timeout=timeout, cwd=self.context)

    def containers(self, service: str | None = None, every: bool = True) -> list[dict]:
        """`docker inspect` of the project's containers (of one service), stopped ones too."""
        filters = ["--filter", f"label=com.docker.compose.project={self.project}"]
        if service:
            filters += ["--filter", f"label=com.docker.compose.service={service}"]
        ids = must(
            run([docker_cli(), "ps", "-q", *(["-a"] if every else []), *filters]), "docker ps"
        ).split()
        if not ids:
            return []
        return json.loads(must(run([docker_cli(), "inspect", *ids]), "docker inspect"))

    def leftovers(self) -> dict[str, list[str]]:
        """Containers, networks and volumes still labelled with the project."""
        label = f"label=com.docker.compose.project={self.project}"
        found = {}
        for kind, command in (
            ("containers", ["ps", "-a", "-q"]),
            ("networks", ["network", "ls", "-q"]),
            ("volumes", ["volume", "ls", "-q"]),
        ):
            found[kind] = must(
                run([docker_cli(), *command, "--filter", label]), f"docker {kind}"
            ).split()
        return found

    def wait_healthy(self, service: str, timeout_s: float = 600) -> None:
        deadline = time.monotonic() + timeout_s
        states: list[str] = []
        while time.monotonic() < deadline:
            states = [c["State"].get("Health", {}).get("Status", "") for c in
                      self.containers(service, every=False)]  # fmt: skip
            if states and all(state == "healthy" for state in states):
                return
            time.sleep(3)
        logs = self("logs", "--tail", "60", service).stdout
        raise AssertionError(f"{service} not healthy in {timeout_s:.0f} s ({states}):\n{logs}")


def http_get(url: str, timeout_s: float = 30) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        return response.status, response.read()


def http_json(url: str) -> object:
    return json.loads(http_get(url)[1])
