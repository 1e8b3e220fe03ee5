"""Lint on every run: the dbt SQL follows the house style (.sqlfluff), the Python is ruff clean."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from lakehouse.config import PROJECT_DIR

SQLFLUFF = Path(sys.executable).parent / "sqlfluff"
LINTED_FOLDERS = ["models", "snapshots", "analyses", "tests"]


def test_sql_is_lint_clean() -> None:
    folders = [folder for folder in LINTED_FOLDERS if (PROJECT_DIR / folder).exists()]
    result = subprocess.run(
        [str(SQLFLUFF), "lint", *folders, "--disable-progress-bar"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert "All Finished" in result.stdout


def test_lint_catches_a_style_violation(tmp_path: Path) -> None:
    """The lint is live: an upper-case keyword and a missing alias keyword fail it."""
    bad = tmp_path / "bad_model.sql"
    bad.write_text("SELECT customer_id cid FROM customers\n")
    result = subprocess.run(
        [str(SQLFLUFF), "lint", str(bad), "--config", str(PROJECT_DIR / ".sqlfluff")],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "CP01" in result.stdout and "AL02" in result.stdout


def test_python_is_ruff_clean() -> None:
    ruff = Path(sys.executable).parent / "ruff"
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [str(ruff), *command, "lakehouse", "pytests"],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-3000:]


def test_test_modules_do_not_import_each_other() -> None:
    """Shared helpers live in pytests/support/ and fixtures in conftest.py, so any test
    module runs on its own and in any order of files."""
    tests_dir = PROJECT_DIR / "pytests"
    offending = {
        path.name: line.strip()
        for path in sorted(tests_dir.rglob("*.py"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if re.match(r"\s*(from|import)\s+(test_\w+|conftest)\b", line)
    }
    assert offending == {}
