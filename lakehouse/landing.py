"""The delivery contract of the landing folder, checked before a build touches any table.

Every file Spark would read from `<landing>/sales/` (CSV) and `<landing>/customers/`
(Parquet) is looked at: a CSV's header line and every byte of it (streamed, to find a byte
that is not UTF-8 anywhere in the file), a Parquet file's footer:

- a required column that is missing or renamed, a file that is not text (a NUL byte or a
  byte that is not UTF-8, on any line) or not Parquet: an error naming the file, the column
  or the line, raised before dbt runs, so gold never changes;
- an extra column: a warning, and the column is ignored. A CSV whose header differs from the
  contract (extra or reordered columns) gets a layout that bronze parses it with;
- an empty file or a header-only file: loads zero rows, noted.

Spark skips files whose names start with `.` or `_` (e.g. `_SUCCESS`), and so does this check.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lakehouse.errors import LakehouseError
from lakehouse.profile.readers import CUSTOMER_COLUMNS, SALES_COLUMNS, split_line

SALES_HEADER = ",".join(SALES_COLUMNS)
_SNIFF_BYTES = 64 * 1024
_SCAN_CHUNK_BYTES = 4 * 1024 * 1024


@dataclass
class LandingCheck:
    """What the check found: problems stop the build, warnings and notes do not."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Sales files whose header is not the contract's: file name -> header text and positions.
    sales_layouts: dict[str, dict] = field(default_factory=dict)

    def dbt_vars(self) -> str:
        """The `--vars` argument that tells bronze how to parse non-standard sales files."""
        return json.dumps({"sales_file_layouts": self.sales_layouts})


def delivered_files(folder: Path) -> list[Path]:
    """The files Spark reads from a landing folder (hidden and `_` files are skipped)."""
    if not folder.is_dir():
        return []
    return sorted(
        path for path in folder.iterdir() if path.is_file() and not path.name.startswith((".", "_"))
    )


def check_landing(landing_dir: Path) -> LandingCheck:
    check = LandingCheck()
    for path in delivered_files(landing_dir / "sales"):
        _check_sales_file(path, check)
    for path in delivered_files(landing_dir / "customers"):
        _check_customers_file(path, check)
    return check


def require_valid_landing(landing_dir: Path) -> LandingCheck:
    """Check the landing folder and print what it found; raise if a file breaks the contract."""
    check = check_landing(landing_dir)
    for note in check.notes:
        print(f"  note: {note}")
    for warning in check.warnings:
        print(f"  WARNING: {warning}")
    if check.problems:
        listed = "\n".join(f"  - {problem}" for problem in check.problems)
        raise LakehouseError(
            f"The landing folder {landing_dir} breaks the delivery contract; no table was "
            f"changed:\n{listed}",
            "Fix or remove the named files (move them aside, e.g. into a `_rejected/` "
            "subfolder), then rerun. Expected sales columns: "
            f"{SALES_HEADER}; customer columns: {','.join(CUSTOMER_COLUMNS)}.",
        )
    return check


def _check_sales_file(path: Path, check: LandingCheck) -> None:
    name = f"sales/{path.name}"
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if not head:
        check.notes.append(f"{name} is empty: it loads zero rows.")
        return
    not_text = _not_text(path)
    if not_text:
        check.problems.append(f"{name} is not a UTF-8 text CSV file ({not_text}).")
        return
    first_line = head.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace").rstrip("\r")
    header, problem = split_line(first_line)
    if header is None:
        check.problems.append(f"{name}: the header line is not CSV ({problem}).")
        return
    header = [column.strip() for column in header]
    missing = [column for column in SALES_COLUMNS if column not in header]
    for column in missing:
        check.problems.append(
            f"{name}: required column '{column}' is missing (header: {first_line[:200]})."
        )
    repeated = sorted({column for column in header if header.count(column) > 1})
    for column in repeated:
        check.problems.append(f"{name}: column '{column}' appears more than once.")
    if missing or repeated:
        return
    extra = [column for column in header if column not in SALES_COLUMNS]
    if extra:
        check.warnings.append(
            f"{name}: extra column(s) {', '.join(repr(c) for c in extra)} ignored."
        )
    data_lines = [line for line in head.splitlines()[1:] if line.strip()]
    if not data_lines and path.stat().st_size == len(head):
        check.notes.append(f"{name} has a header and no data lines: it loads zero rows.")
    if first_line != SALES_HEADER:
        check.sales_layouts[path.name] = {
            "header": first_line,
            "width": len(header),
            "positions": {column: header.index(column) for column in SALES_COLUMNS},
        }


def _not_text(path: Path) -> str | None:
    """Why a file is not UTF-8 text (a NUL byte, a byte that is not UTF-8), with the offset
    and line of the first such byte, else None. Reads the whole file in chunks (flat memory),
    so a bad byte on the last line is found as surely as one on the first."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0  # bytes of the file before `chunk`
    lines = 0  # newlines before `chunk`
    with path.open("rb") as handle:
        while chunk := handle.read(_SCAN_CHUNK_BYTES):
            nul_at = chunk.find(b"\x00")
            if nul_at >= 0:
                line = lines + chunk.count(b"\n", 0, nul_at) + 1
                return f"binary content: a NUL byte at offset {offset + nul_at}, line {line}"
            pending = decoder.getstate()[0]
            if not pending and chunk.isascii():
                pass  # plain ASCII: valid UTF-8, no need to decode
            else:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    # The error's offsets count the bytes the decoder held back from the
                    # previous chunk (the start of a character cut by the chunk boundary).
                    at = error.start - len(pending)
                    line = lines + chunk.count(b"\n", 0, max(at, 0)) + 1
                    bad = error.object[error.start]
                    return f"byte 0x{bad:02x} at offset {offset + at}, line {line}, is not UTF-8"
            offset += len(chunk)
            lines += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        at = offset - len(error.object) + error.start
        return (
            f"byte 0x{error.object[error.start]:02x} at offset {at}, line {lines + 1}, "
            "is not UTF-8 (a character cut off at the end of the file)"
        )
    return None


def _check_customers_file(path: Path, check: LandingCheck) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    name = f"customers/{path.name}"
    if path.stat().st_size == 0:
        check.notes.append(f"{name} is empty: it loads zero rows.")
        return
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError, ValueError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        check.problems.append(f"{name} is not a readable Parquet file ({reason}).")
        return
    found = list(schema.names)
    missing = [column for column in CUSTOMER_COLUMNS if column not in found]
    for column in missing:
        check.problems.append(
            f"{name}: required column '{column}' is missing (columns: {', '.join(found)})."
        )
    for column in CUSTOMER_COLUMNS:
        if column in missing:
            continue
        # The landing table reads age as double and the rest as string; Spark refuses
        # other physical types (an int64 age fails the whole read), so say so up front.
        kind = schema.field(column).type
        if column == "age":
            wrong, wanted = not pa.types.is_float64(kind), "double"
        else:
            is_text = pa.types.is_string(kind) or pa.types.is_large_string(kind)
            wrong, wanted = not is_text, "string"
        if wrong:
            check.problems.append(f"{name}: column '{column}' is {kind}, expected {wanted}.")
    extra = [column for column in found if column not in CUSTOMER_COLUMNS]
    if extra and not missing:
        check.warnings.append(
            f"{name}: extra column(s) {', '.join(repr(c) for c in extra)} ignored."
        )


# dbt commands that read the landing files (through bronze or the source tests) and so need
# the contract checked: `retry` reruns the failed nodes of one of them, `show` runs a model's
# query. `seed`, `snapshot`, `compile`, `docs`, `ls`, ... read no landing file.
_READING_COMMANDS = {"build", "run", "test", "retry", "show"}
_LAYOUTS_VAR = "sales_file_layouts"


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
    layouts = dict(user_vars.get(_LAYOUTS_VAR) or {})
    layouts.update(check.sales_layouts)  # what the files' headers say wins over a stale var
    merged = {**user_vars, _LAYOUTS_VAR: layouts}
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
