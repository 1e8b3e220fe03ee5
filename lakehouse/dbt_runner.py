"""Running dbt as a subprocess in the project folder, with the project's profile."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from lakehouse.config import PROJECT_DIR, Settings, dbt_env
from lakehouse.errors import LakehouseError


def dbt_executable() -> str:
    beside_python = Path(sys.executable).parent / "dbt"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("dbt")
    if not found:
        raise LakehouseError("dbt is not installed.", "Run `make setup`.")
    return found


def run_dbt(
    settings: Settings, args: list[str], capture: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run `dbt <args>` in the project folder; output streams through unless captured."""
    return subprocess.run(
        [dbt_executable(), *args],
        cwd=PROJECT_DIR,
        env=dbt_env(settings),
        text=True,
        capture_output=capture,
        check=False,
    )
