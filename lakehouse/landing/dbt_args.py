"""dbt's arguments for a command over the landing folder: the contract checked first, and the
layouts of sales files whose header is not the contract's passed as a var."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from lakehouse.errors import LakehouseError
from lakehouse.landing.check import LAYOUTS_VAR, require_valid_landing

# dbt commands that read the landing files (through bronze or the source tests) and so need
# the contract checked: `retry` reruns the failed nodes of one of them, `show` runs a model's
# query. `seed`, `snapshot`, `compile`, `docs`, `ls`, ... read no landing file.
_READING_COMMANDS = {"build", "run", "test", "retry", "show"}


def dbt_args_checked(landing_dir: Path, args: list[str]) -> list[str]:
    """dbt arguments for a command over the landing folder: check the contract first (raises
    on a broken file, before any table changes) and pass the layouts of non-standard files.

    The check runs for every command that reads the landing files, whatever flags come with
    it: dbt's global flags before the command (`dbt --debug build`), and the user's own
    `--vars`, which are merged with the layouts var, not replaced by it."""
    if dbt_command(args) not in _READING_COMMANDS:
        return args
    check = require_valid_landing(landing_dir)
    if not check.sales_layouts:
        return args
    rest, user_vars = _split_vars(args)
    layouts = dict(user_vars.get(LAYOUTS_VAR) or {})
    layouts.update(check.sales_layouts)  # what the files' headers say wins over a stale var
    merged = {**user_vars, LAYOUTS_VAR: layouts}
    return [*rest, "--vars", json.dumps(merged)]


def dbt_command(args: list[str]) -> str | None:
    """The dbt subcommand in `args` (`build` in `--log-level debug build -s x`), or None."""
    takes_value = _global_options_with_value()
    expect_value = False
    for arg in args:
        if expect_value:
            expect_value = False
        elif arg.startswith("-"):
            expect_value = arg in takes_value  # `--opt value`; `--opt=value` is one argument
        else:
            return arg
    return None


def _global_options_with_value() -> set[str]:
    """dbt's global options that take a value (`--log-level`, `-t`, ...), from dbt itself."""
    import click
    from dbt.cli.main import cli

    return {
        opt
        for param in cli.params
        if isinstance(param, click.Option) and not param.is_flag and not param.count
        for opt in param.opts
    }


def _split_vars(args: list[str]) -> tuple[list[str], dict]:
    """`args` without their `--vars`, and the vars given (the last `--vars` wins, as in dbt)."""
    rest: list[str] = []
    given: str | None = None
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--vars" and index + 1 < len(args):
            given = args[index + 1]
            index += 2
            continue
        if arg.startswith("--vars="):
            given = arg.partition("=")[2]
        else:
            rest.append(arg)
        index += 1
    if given is None or not given.strip():
        return rest, {}
    try:
        parsed = yaml.safe_load(given)
    except yaml.YAMLError as error:
        raise LakehouseError(
            f"--vars is not valid YAML: {error}", "Pass a mapping, e.g. --vars '{key: value}'."
        ) from None
    if parsed is None:
        return rest, {}
    if not isinstance(parsed, dict):
        raise LakehouseError(
            f"--vars must be a mapping of names to values, got: {given}",
            "Pass a mapping, e.g. --vars '{key: value}'.",
        )
    return rest, parsed
