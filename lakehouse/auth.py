"""Access control of the Thrift server: who may connect when it listens beyond loopback.

The default server binds 127.0.0.1 and asks for no password (HiveServer2 `NONE`). Starting it
on any other address requires credentials in the environment, LAKEHOUSE_USER and
LAKEHOUSE_PASSWORD (never a file in the project); setting them on loopback turns the same
check on. The server then runs HiveServer2 `CUSTOM` authentication with a small provider class
(resources/java/), compiled with javac against pyspark's jars into the state folder on first
use and cached by source hash. `start` hands the server only the user name and a salted
PBKDF2 hash of the password, through its environment.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from lakehouse.config import Settings
from lakehouse.errors import LakehouseError
from lakehouse.jars import RESOURCES
from lakehouse.spark_home import spark_home

PROVIDER_CLASS = "lakehouse.auth.EnvironmentPasswdAuthenticator"
PROVIDER_SOURCE = RESOURCES / "java" / "lakehouse" / "auth" / "EnvironmentPasswdAuthenticator.java"
HASH_ITERATIONS = 20_000
# What the server process must not inherit: the plain password.
SECRET_ENV = ("LAKEHOUSE_PASSWORD",)


@dataclass(frozen=True)
class ServerAuth:
    """What server_command and the server's environment need for CUSTOM authentication."""

    classes_dir: Path
    hiveconf: dict[str, str]
    env: dict[str, str] = field(repr=False)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve beyond this machine


def credentials() -> tuple[str, str] | None:
    user = os.environ.get("LAKEHOUSE_USER", "").strip()
    password = os.environ.get("LAKEHOUSE_PASSWORD", "")
    return (user, password) if user and password else None


def check_access(settings: Settings) -> None:
    """Refuse to listen beyond loopback without credentials (one clear line, exit 1)."""
    if not is_loopback(settings.host) and credentials() is None:
        raise LakehouseError(
            f"Refusing to start on {settings.host} without authentication: set LAKEHOUSE_USER "
            "and LAKEHOUSE_PASSWORD in the environment (or use the default 127.0.0.1)."
        )


def server_auth(settings: Settings, java_home: Path) -> ServerAuth | None:
    """The CUSTOM authentication setup when credentials are set, else None (no password)."""
    check_access(settings)
    found = credentials()
    if found is None:
        return None
    user, password = found
    salt = secrets.token_bytes(16)
    digest = password_hash(password, salt, HASH_ITERATIONS)
    return ServerAuth(
        classes_dir=compile_provider(settings, java_home),
        hiveconf={
            "hive.server2.authentication": "CUSTOM",
            "hive.server2.custom.authentication.class": PROVIDER_CLASS,
        },
        env={
            "LAKEHOUSE_AUTH_USER": user,
            "LAKEHOUSE_AUTH_SALT": salt.hex(),
            "LAKEHOUSE_AUTH_ITERATIONS": str(HASH_ITERATIONS),
            "LAKEHOUSE_AUTH_HASH": digest.hex(),
        },
    )


def password_hash(password: str, salt: bytes, iterations: int) -> bytes:
    """PBKDF2-HMAC-SHA256, 32 bytes: what the Java provider computes from a given password."""
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations, dklen=32)


def compile_provider(settings: Settings, java_home: Path) -> Path:
    """Compile the provider class into <state>/auth/<source hash>/ unless already there."""
    source = PROVIDER_SOURCE.read_bytes()
    out_dir = settings.state_dir / "auth" / hashlib.sha256(source).hexdigest()[:16]
    class_file = out_dir / (PROVIDER_CLASS.replace(".", "/") + ".class")
    if class_file.exists():
        return out_dir
    javac = java_home / "bin" / "javac"
    if not javac.exists():
        raise LakehouseError(
            f"javac was not found at {javac}: the authentication provider needs a JDK, "
            "not only a JRE.",
            "Install one (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless) or point "
            "JAVA_HOME at a JDK.",
        )
    thriftserver_jars = sorted((spark_home() / "jars").glob("spark-hive-thriftserver_*.jar"))
    if not thriftserver_jars:
        raise LakehouseError(
            "pyspark's jars have no spark-hive-thriftserver jar to compile against.",
            "Reinstall the environment with `make setup`.",
        )
    tmp_dir = out_dir.with_name(out_dir.name + f".tmp{os.getpid()}")
    tmp_dir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            str(javac),
            "-nowarn",
            "-cp",
            ":".join(str(jar) for jar in thriftserver_jars),
            "-d",
            str(tmp_dir),
            str(PROVIDER_SOURCE),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise LakehouseError(
            f"Compiling the authentication provider failed:\n{result.stderr[-2000:]}",
            f"Source: {PROVIDER_SOURCE}",
        )
    if out_dir.exists():  # another start compiled it meanwhile
        shutil.rmtree(tmp_dir, ignore_errors=True)
    else:
        tmp_dir.replace(out_dir)
    return out_dir
