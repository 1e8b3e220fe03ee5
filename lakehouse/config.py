"""Settings shared by every command, with defaults that suit a 2-core laptop.

Each setting is declared once, in SETTINGS: its environment variable (the same names the dbt
profile reads), its default and, for those a command-line option can also set, its flag and
help. `resolve_settings` is the one place a value is chosen: option, else environment, else
default. All generated state lives under one folder, `.lakehouse/` in the project by default,
which git ignores.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from lakehouse.errors import LakehouseError

PROJECT_DIR = Path(__file__).resolve().parent.parent

# Versions that must agree with each other: pyspark 4.2 <-> Delta 4.4 built for Spark 4.2.
DELTA_VERSION = "4.4.0"
DELTA_ARTIFACT = f"io.delta:delta-spark_4.2_2.13:{DELTA_VERSION}"
MIN_JAVA_MAJOR = 17
DEFAULT_MAVEN_REPO = "https://repo1.maven.org/maven2"


# Parsers of a setting's text (from the environment or an option). A ValueError says what the
# text should have been; the caller names where the text came from.
def _path(text: str) -> Path:
    return Path(text).expanduser().resolve()


def _optional_path(text: str) -> Path | None:
    return _path(text) if text else None


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError("a TCP port (1-65535)")
    return int(text)


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ValueError("a whole number of at least 1")
    return int(text)


@dataclass(frozen=True)
class Setting:
    """One setting: the Settings field it fills, its environment variable and default, and
    its command-line flag when an option can set it too (`--help` is built from this)."""

    field: str
    env: str
    default: object
    help: str
    parse: Callable[[str], object] = str
    flag: str | None = None
    metavar: str | None = None
    shown_default: str | None = None  # how help names the default, when not str(default)

    def default_text(self) -> str:
        return self.shown_default or str(self.default)

    def from_text(self, text: str) -> object:
        """The value of the environment variable's text; a bad one is a LakehouseError."""
        try:
            return self.parse(text)
        except ValueError as error:
            raise LakehouseError(
                f"{self.env}={text!r} is not {error}.",
                f"Set it to {error}, or unset it for {self.default_text()}.",
            ) from None


SETTINGS: tuple[Setting, ...] = (
    Setting("state_dir", "LAKEHOUSE_STATE_DIR", PROJECT_DIR / ".lakehouse",
            "warehouse, metastore, jars, logs, pid file, landing files",
            _path, shown_default=".lakehouse/"),
    Setting("host", "LAKEHOUSE_HOST", "127.0.0.1", "address to bind", flag="--host"),
    Setting("port", "LAKEHOUSE_PORT", 10000, "Thrift port", _port, flag="--port"),
    Setting("driver_memory", "LAKEHOUSE_DRIVER_MEMORY", "2g", "e.g. 4g",
            flag="--driver-memory"),
    Setting("master", "LAKEHOUSE_MASTER", "local[*]",
            "Spark master, e.g. local[2] or spark://host:7077", flag="--master"),
    Setting("shuffle_partitions", "LAKEHOUSE_SHUFFLE_PARTITIONS", 4,
            "few partitions for few cores", _count),
    Setting("maven_repo", "LAKEHOUSE_MAVEN_REPO", DEFAULT_MAVEN_REPO,
            "where the Delta jars come from on first use", lambda text: text.rstrip("/")),
    Setting("start_timeout_s", "LAKEHOUSE_START_TIMEOUT", 240,
            "seconds to wait for the server to answer", _count),
    Setting("log_max_size", "LAKEHOUSE_LOG_MAX_SIZE", "20MB",
            "size at which the server log rolls over (5 older files are kept), e.g. 50MB"),
    Setting("metastore_url", "LAKEHOUSE_METASTORE_URL", "",
            "shared PostgreSQL metastore, postgresql://user:password@host:5432/db (the env "
            "variable keeps the password off the command line)",
            flag="--metastore", metavar="URL", shown_default="embedded Derby"),
    # None: <state_dir>/landing, so that a copy with another state_dir follows it.
    Setting("landing", "LAKEHOUSE_LANDING_DIR", None, "landing folder", _optional_path,
            flag="--landing", metavar="DIR", shown_default="<state>/landing"),
)  # fmt: skip
SETTING = {setting.field: setting for setting in SETTINGS}


def _default(name: str) -> object:
    return SETTING[name].default


@dataclass(frozen=True)
class Settings:
    state_dir: Path
    host: str = _default("host")
    port: int = _default("port")
    driver_memory: str = _default("driver_memory")
    master: str = _default("master")
    shuffle_partitions: int = _default("shuffle_partitions")
    maven_repo: str = _default("maven_repo")
    start_timeout_s: int = _default("start_timeout_s")
    log_max_size: str = _default("log_max_size")
    # postgresql://user:password@host:port/db for a shared metastore; "" = embedded Derby.
    metastore_url: str = _default("metastore_url")
    # The landing folder when one was chosen; landing_dir says where it is either way.
    landing: Path | None = _default("landing")
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
        return self.landing or self.state_dir / "landing"

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with the non-None values replaced (CLI options win over the environment)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def resolve_settings(
    options: Mapping[str, object] | None = None,
    defaults: Mapping[str, object] | None = None,
) -> Settings:
    """Each setting from its option when given (not None), else its environment variable when
    set (not blank), else its default. `options` may hold other names (a command's other
    arguments): only settings' fields are read. `defaults` replaces some of SETTINGS'."""
    options, defaults = options or {}, defaults or {}
    values = {}
    for setting in SETTINGS:
        value = options.get(setting.field)
        text = os.environ.get(setting.env, "").strip()
        if value is None and text:
            value = setting.from_text(text)
        if value is None:
            value = defaults.get(setting.field, setting.default)
        values[setting.field] = value
    return Settings(**values)


def load_settings() -> Settings:
    """Settings from the environment, falling back to the defaults (no options)."""
    return resolve_settings()


def dbt_env(settings: Settings) -> dict[str, str]:
    """Environment for a dbt subprocess: the profile reads host, port and landing path from it."""
    env = dict(os.environ)
    env.update(
        DBT_PROFILES_DIR=str(PROJECT_DIR / "profiles"),
        LAKEHOUSE_HOST=settings.host if settings.host != "0.0.0.0" else "127.0.0.1",
        LAKEHOUSE_PORT=str(settings.port),
        LAKEHOUSE_LANDING_DIR=str(settings.landing_dir),
        # The build lock of lakehouse-dbt lives in the state folder (lakehouse/build_lock.py).
        LAKEHOUSE_STATE_DIR=str(settings.state_dir),
    )
    return env
