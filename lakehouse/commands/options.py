"""The command-line options that set a setting, shared by every command that has them.

Each option is built from its entry in config.SETTINGS (flag, environment variable, default,
help), so `--help`, the environment and the defaults cannot drift apart. Its value lands in
the setting's field name, and settings_from hands the parsed arguments to resolve_settings.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from lakehouse.config import SETTING, Setting, Settings, resolve_settings

# Which server a command talks to.
SERVER_OPTIONS = ("host", "port")
# What `lakehouse server start` starts: which server, and how.
START_OPTIONS = (*SERVER_OPTIONS, "driver_memory", "master", "metastore_url")


def add_options(parser: argparse.ArgumentParser, *fields: str) -> None:
    """Add the options of these settings (fields of Settings) to a command."""
    for name in fields:
        setting = SETTING[name]
        parser.add_argument(
            setting.flag,
            dest=setting.field,
            type=_option_type(setting),
            metavar=setting.metavar,
            help=option_help(setting),
        )


def option_help(setting: Setting) -> str:
    return f"{setting.help} (default {setting.default_text()}, env {setting.env})"


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings with this command's options over the environment and the defaults."""
    return resolve_settings(vars(args))


def _option_type(setting: Setting) -> Callable[[str], object]:
    # The option's text goes through the same parser as the environment variable's; a bad
    # one is argparse's usage error, naming the option.
    def parse(text: str) -> object:
        try:
            return setting.parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"{text!r} is not {error}") from None

    return parse
