"""The check `make test` runs before anything else: every missing system program listed with
the one apt-get line that brings them, and nothing asked of the unit tier."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import system_programs


@pytest.fixture
def nothing_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh laptop: no program of the table is there, and nothing may be installed."""
    absent = dict.fromkeys(system_programs.PRESENT, lambda: False)
    monkeypatch.setattr(system_programs, "PRESENT", absent)
    monkeypatch.setattr(system_programs, "_can_install", lambda: False)


def test_every_missing_program_is_listed_with_one_install_line(
    nothing_installed: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert system_programs.main([]) == 1
    err = capsys.readouterr().err
    for req in system_programs.REQUIREMENTS:
        assert f"  - {req.what}" in err, req.what
    packages = sorted({req.package for req in system_programs.REQUIREMENTS})
    assert f"  sudo apt-get install -y {' '.join(packages)}\n" in err
    assert "make test-fast" in err


def test_only_the_programs_of_the_tiers_asked_for_are_required(
    nothing_installed: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert system_programs.main(["--tiers", "integration"]) == 1
    err = capsys.readouterr().err
    assert "chromium" in err and "tcsh" in err
    assert "docker" not in err and "postgresql" not in err and "python3-venv" not in err


def test_without_root_install_lists_rather_than_installs(
    nothing_installed: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert system_programs.main(["--tiers", "system", "--install"]) == 1
    err = capsys.readouterr().err
    assert "needs programs this machine lacks" in err and "debootstrap" in err


def test_when_everything_is_there_it_says_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        system_programs, "PRESENT", dict.fromkeys(system_programs.PRESENT, lambda: True)
    )
    assert system_programs.main([]) == 0
    assert capsys.readouterr() == ("", "")


def test_an_unknown_tier_is_refused_with_the_known_ones() -> None:
    done = subprocess.run(
        [sys.executable, system_programs.__file__, "--tiers", "unit,smoke"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "unknown tier(s) smoke; choose from unit, integration, system" in done.stderr


def test_the_readme_lists_the_same_install_line() -> None:
    """The README's line for a fresh laptop names every package the check can ask for
    (python3-venv aside: `make setup` needs it before any test)."""
    packages = sorted(
        {req.package for req in system_programs.REQUIREMENTS if req.package != "python3-venv"}
    )
    readme = (Path(system_programs.__file__).resolve().parents[2] / "README.md").read_text(
        encoding="utf-8"
    )
    assert f"sudo apt-get install -y {' '.join(packages)}\n" in readme


def test_the_makefile_picks_the_pythons_the_project_accepts() -> None:
    """The Makefile's interpreter choice and pyproject's requires-python say the same range."""
    import tomllib

    root = Path(system_programs.__file__).resolve().parents[2]
    accepted = tomllib.loads((root / "pyproject.toml").read_text())["project"]["requires-python"]
    assert accepted == ">=3.11,<3.14"
    makefile = (root / "Makefile").read_text()
    assert "sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))" in makefile
    assert "python3 python3.13 python3.12 python3.11" in makefile
