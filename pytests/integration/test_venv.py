"""Plain `dbt` in an activated `.venv`, the way the README shows it (no server needed).

These tests use the real `.venv/bin/activate*` scripts that `make setup` wrote.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lakehouse import venv_hooks
from lakehouse.config import PROJECT_DIR, Settings

VENV = PROJECT_DIR / ".venv"
PROFILES = str(PROJECT_DIR / "profiles")


def user_env(home: Path, **extra: str) -> dict[str, str]:
    """A shell environment as a user has it before activating: no venv on PATH, nothing of
    dbt's or the project's set, a home folder without ~/.dbt."""
    venv_bin = str(VENV / "bin")
    path = [part for part in os.environ.get("PATH", "").split(os.pathsep) if part != venv_bin]
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DBT_", "LAKEHOUSE_", "VIRTUAL_ENV"))
    }
    env.update(PATH=os.pathsep.join(path), HOME=str(home))
    env.update(extra)
    return env


def shell(command: str, env: dict[str, str], program: str = "bash") -> subprocess.CompletedProcess:
    return subprocess.run(
        [program, "-c", command],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_plain_dbt_finds_the_profile_in_an_activated_venv(tmp_path: Path) -> None:
    """`source .venv/bin/activate && dbt ls` in the project root, with no ~/.dbt/profiles.yml."""
    # dbt's output folders go to tmp_path, so that nobody's target/ is touched.
    env = user_env(
        tmp_path, DBT_TARGET_PATH=str(tmp_path / "target"), DBT_LOG_PATH=str(tmp_path / "logs")
    )
    result = shell("source .venv/bin/activate && dbt ls --resource-type seed --output name", env)
    assert result.returncode == 0, (
        f"{result.stdout[-2000:]}{result.stderr[-1000:]}\n"
        "(are the activation hooks installed? run `make setup`)"
    )
    assert "profiles.yml" not in result.stdout
    assert "shopping_malls" in result.stdout.split()
    assert "value_aliases" in result.stdout.split()


@pytest.mark.parametrize("before", [None, "/somewhere/else"])
def test_activation_sets_the_profiles_dir_and_deactivate_restores_it(
    tmp_path: Path, before: str | None
) -> None:
    env = user_env(tmp_path, **({"DBT_PROFILES_DIR": before} if before else {}))
    result = shell(
        'source .venv/bin/activate && echo "active=$DBT_PROFILES_DIR" && '
        # Activating again (a common slip) must not lose the value from before.
        'source .venv/bin/activate && deactivate && echo "after=${DBT_PROFILES_DIR-unset}"',
        env,
    )
    assert result.returncode == 0, result.stderr
    assert f"active={PROFILES}" in result.stdout.splitlines()
    assert f"after={before or 'unset'}" in result.stdout.splitlines()


# The same steps in fish and in an interactive tcsh (what a user has: activate.csh needs a
# prompt, and its deactivate alias relies on history substitution, off in `tcsh -c`).
SHELLS = {
    "fish": (
        ["fish", "-c"],
        "source .venv/bin/activate.fish; and echo active=$DBT_PROFILES_DIR; "
        "and source .venv/bin/activate.fish; and deactivate; "
        "and if set -q DBT_PROFILES_DIR; echo after=$DBT_PROFILES_DIR; else; echo after=unset; end",
    ),
    "tcsh": (
        ["tcsh", "-i"],
        "source .venv/bin/activate.csh\n"
        "echo active=`printenv DBT_PROFILES_DIR`\n"
        "source .venv/bin/activate.csh\n"
        "deactivate\n"
        "echo after=`printenv DBT_PROFILES_DIR || echo unset`\n",
    ),
}


@pytest.mark.parametrize("program", sorted(SHELLS))
@pytest.mark.parametrize("before", [None, "/somewhere/else"])
def test_fish_and_csh_activation(tmp_path: Path, program: str, before: str | None) -> None:
    if shutil.which(program) is None:
        pytest.fail(f"{program} is not installed: apt-get install {program} (make test checks it)")
    argv, commands = SHELLS[program]
    env = user_env(tmp_path, **({"DBT_PROFILES_DIR": before} if before else {}))
    interactive = argv[-1] == "-i"
    result = subprocess.run(
        argv if interactive else [*argv, commands],
        input=commands if interactive else None,
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # An interactive shell prints its prompt before each line: match the ends of lines.
    assert re.search(rf"(^|\s)active={re.escape(PROFILES)}$", result.stdout, re.M), output
    assert re.search(rf"(^|\s)after={re.escape(before or 'unset')}$", result.stdout, re.M), output


@pytest.mark.parametrize("script", sorted(venv_hooks.SCRIPTS))
def test_the_hooks_are_installed_once(script: str, tmp_path: Path) -> None:
    """Each activation script carries the hook exactly once, and installing it again (make
    setup after a lock file change) changes nothing."""
    text = (VENV / "bin" / script).read_text()
    expected_blocks = 1 if script == "activate.csh" else 2  # csh's deactivate is one line
    assert text.count(venv_hooks.BEGIN) == expected_blocks, "run `make setup`"
    assert f"DBT_PROFILES_DIR {PROFILES}" in text or f"DBT_PROFILES_DIR={PROFILES}" in text
    assert venv_hooks.hooked(script, text, PROJECT_DIR / "profiles") == text


def test_plain_dbt_reaches_the_server(lakehouse_server: Settings, tmp_path: Path) -> None:
    """`dbt debug` in an activated venv connects with the profile's defaults; only the port
    differs here (the test server's), the way a user points dbt at a server on another port."""
    env = user_env(
        tmp_path,
        LAKEHOUSE_PORT=str(lakehouse_server.port),
        DBT_TARGET_PATH=str(tmp_path / "target"),
        DBT_LOG_PATH=str(tmp_path / "logs"),
        DBT_USE_COLORS="false",
    )
    result = shell("source .venv/bin/activate && dbt debug", env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]
    assert f"Using profiles dir at {PROFILES}\n" in result.stdout
    assert "All checks passed" in result.stdout
