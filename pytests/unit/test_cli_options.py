"""The settings' command-line options, without a server: declared once (config.SETTINGS),
shown with their environment variable and default in every command's --help, and resolved
option > environment > default."""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

import pytest

from lakehouse.cli import build_parser
from lakehouse.commands.options import settings_from
from lakehouse.config import PROJECT_DIR, SETTING, SETTINGS, Settings

# Which settings' options each command has (a sub-command's path, as typed).
COMMAND_OPTIONS = {
    ("run",): {"host", "port"},
    ("build",): {"landing", "host", "port"},
    ("doctor",): {"host", "port"},
    ("quality",): {"host", "port"},
    ("sql",): {"host", "port"},
    ("beeline",): {"host", "port"},
    ("server", "start"): {"host", "port", "driver_memory", "master", "metastore_url"},
    ("generate",): {"landing"},
    ("check-landing",): {"landing"},
    ("profile",): {"landing"},
}


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No setting from the developer's environment, and a state folder in tmp_path."""
    for setting in SETTINGS:
        monkeypatch.delenv(setting.env, raising=False)
    monkeypatch.setenv("LAKEHOUSE_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


def subparser(path: tuple[str, ...]) -> argparse.ArgumentParser:
    parser = build_parser()
    for name in path:
        (choices,) = [
            action.choices
            for action in parser._actions
            if isinstance(action, argparse._SubParsersAction)
        ]
        parser = choices[name]
    return parser


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


@pytest.mark.parametrize("path", COMMAND_OPTIONS, ids=" ".join)
def test_each_option_help_names_its_env_variable_and_default(
    path: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")  # argparse wraps to the terminal; words stay whole
    parser = subparser(path)
    options = {
        action.dest: action
        for action in parser._actions
        if action.option_strings and action.dest in SETTING
    }
    assert set(options) == COMMAND_OPTIONS[path]
    shown = " ".join(parser.format_help().split())
    for name, action in options.items():
        setting = SETTING[name]
        assert action.option_strings == [setting.flag]
        assert f"(default {setting.default_text()}, env {setting.env})" in action.help
        assert f"{setting.flag} {action.metavar or name.upper()} " in shown
        assert " ".join(action.help.split()) in shown


def test_docs_port_is_the_web_port_not_the_thrift_port() -> None:
    (port,) = [action for action in subparser(("docs",))._actions if action.dest == "port"]
    assert port.default == 8080 and "LAKEHOUSE_PORT" not in port.help


@pytest.mark.parametrize("command", ["run", "doctor", "quality", "sql", "beeline"])
def test_port_option_beats_environment_beats_default(
    command: str, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert settings_from(parse(command)).port == 10000
    monkeypatch.setenv("LAKEHOUSE_PORT", "10002")
    assert settings_from(parse(command)).port == 10002
    assert settings_from(parse(command, "--port", "10005")).port == 10005
    # The option wins before the environment is even read: a bad variable does not matter.
    monkeypatch.setenv("LAKEHOUSE_PORT", "ten")
    assert settings_from(parse(command, "--port", "10005")).port == 10005


@pytest.mark.parametrize("command", ["generate", "check-landing", "profile"])
def test_landing_option_beats_environment_beats_default(
    command: str, clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert settings_from(parse(command)).landing_dir == clean_env / "landing"
    monkeypatch.setenv("LAKEHOUSE_LANDING_DIR", str(tmp_path / "from-env"))
    assert settings_from(parse(command)).landing_dir == tmp_path / "from-env"
    option = settings_from(parse(command, "--landing", str(tmp_path / "from-option")))
    assert option.landing_dir == tmp_path / "from-option"


def test_server_start_options_beat_the_environment(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAKEHOUSE_DRIVER_MEMORY", "3g")
    monkeypatch.setenv("LAKEHOUSE_MASTER", "local[1]")
    env_only = settings_from(parse("server", "start"))
    assert (env_only.driver_memory, env_only.master, env_only.metastore_url) == (
        "3g",
        "local[1]",
        "",
    )
    url = "postgresql://u:p@db:5432/meta"
    args = ("--driver-memory", "4g", "--master", "local[2]", "--metastore", url, "--host", "h")
    chosen = settings_from(parse("server", "start", *args))
    assert (chosen.driver_memory, chosen.master, chosen.metastore_url, chosen.host) == (
        "4g",
        "local[2]",
        url,
        "h",
    )


def test_a_bad_option_value_is_a_usage_error(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse("run", "--port", "70000")
    assert exit_info.value.code == 2
    assert "argument --port: '70000' is not a TCP port (1-65535)" in capsys.readouterr().err


def test_the_landing_folder_is_resolved_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settings made before the variable changes keep their landing folder (dbt_env passes
    it on): nothing reads the environment after the settings are resolved."""
    monkeypatch.setenv("LAKEHOUSE_LANDING_DIR", str(tmp_path / "elsewhere"))
    assert Settings(state_dir=tmp_path).landing_dir == tmp_path / "landing"


def test_no_command_imports_its_options_from_the_server_command() -> None:
    offending = []
    for path in sorted((PROJECT_DIR / "lakehouse" / "commands").glob("*.py")):
        if path.name == "server.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [f"{node.module}.{alias.name}" for alias in node.names]
                names.append(node.module or "")
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            if any(name.startswith("lakehouse.commands.server") for name in names):
                offending.append(path.name)
    assert offending == []


def test_readme_lists_every_setting() -> None:
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    assert [s.env for s in SETTINGS if s.env not in readme] == []
