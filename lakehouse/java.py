"""Find the Java that Spark will use and check that it is new enough."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from lakehouse.config import MIN_JAVA_MAJOR
from lakehouse.errors import LakehouseError


@dataclass(frozen=True)
class JavaInfo:
    executable: Path
    version: str
    major: int


def find_java() -> Path:
    """The java binary spark-submit will run: $JAVA_HOME/bin/java, else `java` on PATH."""
    java_home = os.environ.get("JAVA_HOME", "").strip()
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if candidate.is_file():
            return candidate
        raise LakehouseError(
            f"JAVA_HOME is set to {java_home}, but {candidate} does not exist.",
            f"Point JAVA_HOME at a JDK {MIN_JAVA_MAJOR} or newer, "
            "or unset it to use `java` on PATH.",
        )
    on_path = shutil.which("java")
    if not on_path:
        raise LakehouseError(
            "Java was not found: Spark needs a Java runtime.",
            f"Install a JDK {MIN_JAVA_MAJOR} or newer "
            "(e.g. `apt-get install openjdk-17-jdk-headless`) or set JAVA_HOME.",
        )
    return Path(on_path)


def parse_java_major(version_output: str) -> tuple[str, int]:
    """Version text and major number of `java -version` output: "1.8.0_x" -> 8, "17.0.1" -> 17."""
    match = re.search(r'version "([^"]+)"', version_output)
    if not match:
        raise ValueError(f"unrecognised `java -version` output: {version_output[:200]!r}")
    version = match.group(1)
    parts = version.split(".")
    major = int(parts[1]) if parts[0] == "1" else int(re.match(r"\d+", parts[0]).group(0))
    return version, major


def check_java() -> JavaInfo:
    """The Java to use, or a LakehouseError saying what is missing or too old."""
    java = find_java()
    try:
        result = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError as exc:
        raise LakehouseError(f"Could not run {java}: {exc}.") from exc
    try:
        version, major = parse_java_major(result.stderr + result.stdout)
    except ValueError as exc:
        raise LakehouseError(f"Could not read the Java version from {java}: {exc}") from exc
    if major < MIN_JAVA_MAJOR:
        raise LakehouseError(
            f"Java {version} at {java} is too old: pyspark 4 needs Java {MIN_JAVA_MAJOR} or newer.",
            f"Install a JDK {MIN_JAVA_MAJOR}+ and point JAVA_HOME at it.",
        )
    return JavaInfo(executable=java, version=version, major=major)
