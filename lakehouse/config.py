"""Settings shared by every command, with defaults that suit a 2-core laptop.

Each setting can be overridden by an environment variable (the same names the dbt profile
reads), and most also by a command-line option. All generated state lives under one folder,
`.lakehouse/` in the project by default, which git ignores.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent

# Versions that must agree with each other: pyspark 4.2 <-> Delta 4.4 built for Spark 4.2.
DELTA_VERSION = "4.4.0"
DELTA_ARTIFACT = f"io.delta:delta-spark_4.2_2.13:{DELTA_VERSION}"
MIN_JAVA_MAJOR = 17
DEFAULT_MAVEN_REPO = "https://repo1.maven.org/maven2"


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


@dataclass(frozen=True)
class Settings:
    state_dir: Path
    host: str = "127.0.0.1"
    port: int = 10000
    driver_memory: str = "2g"
    master: str = "local[*]"
    shuffle_partitions: int = 4
    maven_repo: str = DEFAULT_MAVEN_REPO
    start_timeout_s: int = 240
    # Size at which the server's log file rolls over (5 older files are kept), e.g. 20MB.
    log_max_size: str = "20MB"
    # postgresql://user:password@host:port/db for a shared metastore; "" = embedded Derby.
    metastore_url: str = ""
    extra_conf: dict[str, str] = field(default_factory=dict)

    # Everything below derives from state_dir.
    @property
    def jars_dir(self) -> Path:
        return self.state_dir / "jars"

    @property
    def ivy_dir(self) -> Path:
        return self.state_dir / "ivy"

    @property
    def warehouse_dir(self) -> Path:
        return self.state_dir / "warehouse"

    @property
    def metastore_dir(self) -> Path:
        return self.state_dir / "metastore_db"

    @property
    def logs_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def server_log(self) -> Path:
        return self.logs_dir / "thriftserver.log"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "thriftserver.pid"

    @property
    def landing_dir(self) -> Path:
        override = os.environ.get("LAKEHOUSE_LANDING_DIR", "").strip()
        return Path(override).resolve() if override else self.state_dir / "landing"

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with the non-None values replaced (CLI options win over the environment)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def load_settings() -> Settings:
    """Settings from the environment, falling back to the defaults above."""
    state_dir = Path(_env("LAKEHOUSE_STATE_DIR", str(PROJECT_DIR / ".lakehouse"))).resolve()
    port_text = _env("LAKEHOUSE_PORT", "10000")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        from lakehouse.errors import LakehouseError

        raise LakehouseError(
            f"LAKEHOUSE_PORT={port_text!r} is not a TCP port.",
            "Set it to a number between 1 and 65535, or unset it for 10000.",
        )
    return Settings(
        state_dir=state_dir,
        host=_env("LAKEHOUSE_HOST", "127.0.0.1"),
        port=int(port_text),
        driver_memory=_env("LAKEHOUSE_DRIVER_MEMORY", "2g"),
        master=_env("LAKEHOUSE_MASTER", "local[*]"),
        shuffle_partitions=int(_env("LAKEHOUSE_SHUFFLE_PARTITIONS", "4")),
        maven_repo=_env("LAKEHOUSE_MAVEN_REPO", DEFAULT_MAVEN_REPO).rstrip("/"),
        start_timeout_s=int(_env("LAKEHOUSE_START_TIMEOUT", "240")),
        log_max_size=_env("LAKEHOUSE_LOG_MAX_SIZE", "20MB"),
        metastore_url=_env("LAKEHOUSE_METASTORE_URL", ""),
    )


def dbt_env(settings: Settings) -> dict[str, str]:
    """Environment for a dbt subprocess: the profile reads host, port and landing path from it."""
    env = dict(os.environ)
    env.update(
        DBT_PROFILES_DIR=str(PROJECT_DIR / "profiles"),
        LAKEHOUSE_HOST=settings.host if settings.host != "0.0.0.0" else "127.0.0.1",
        LAKEHOUSE_PORT=str(settings.port),
        LAKEHOUSE_LANDING_DIR=str(settings.landing_dir),
    )
    return env
