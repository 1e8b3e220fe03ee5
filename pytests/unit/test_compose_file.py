"""docker-compose.yml, .env.example and the Dockerfiles read as files: topology, health
checks, pins, ports on loopback, no secret literals (no Docker engine needed; the stack itself
is brought up in pytests/system/test_compose.py)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from lakehouse.config import DELTA_VERSION, PROJECT_DIR

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
