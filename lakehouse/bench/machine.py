"""What the numbers were measured on: cores, memory, OS and the versions that matter."""

from __future__ import annotations

import os
import platform
from importlib import metadata

import psutil

from lakehouse.config import DELTA_VERSION


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> dict[str, str | int | float]:
    from lakehouse.java import check_java

    try:
        java = check_java().version
    except Exception as exc:  # the report still says what is known
        java = f"unknown ({exc})"
    return {
        "cores": os.cpu_count() or 0,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "java": java,
        "pyspark": _version("pyspark"),
        "delta": DELTA_VERSION,
        "dbt-core": _version("dbt-core"),
        "dbt-spark": _version("dbt-spark"),
    }
