"""The delivery contract of the landing folder, checked before a build touches any table.

Every file Spark would read from `<landing>/sales/` (CSV) and `<landing>/customers/`
(Parquet) is looked at cheaply (a CSV's first line, a Parquet file's footer):

- a required column that is missing or renamed, a file that is not text or not Parquet:
  an error naming the file and the column, raised before dbt runs, so gold never changes;
- an extra column: a warning, and the column is ignored. A CSV whose header differs from the
  contract (extra or reordered columns) gets a layout that bronze parses it with;
- an empty file or a header-only file: loads zero rows, noted.

Spark skips files whose names start with `.` or `_` (e.g. `_SUCCESS`), and so does this check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from lakehouse.errors import LakehouseError
from lakehouse.profile.readers import CUSTOMER_COLUMNS, SALES_COLUMNS, split_line

SALES_HEADER = ",".join(SALES_COLUMNS)
_SNIFF_BYTES = 64 * 1024


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
    not_text = _not_text(head)
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


def _not_text(head: bytes) -> str | None:
    """Why the start of a file is not UTF-8 text (a NUL byte, an invalid byte), else None."""
    nul_at = head.find(b"\x00")
    if nul_at >= 0:
        return f"binary content: a NUL byte at offset {nul_at}"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut by the end of the sniff window is not an error.
        if not (len(head) == _SNIFF_BYTES and error.reason == "unexpected end of data"):
            return f"byte 0x{head[error.start]:02x} at offset {error.start} is not UTF-8"
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


# dbt commands that read the landing files (through bronze) and so need the contract checked.
_READING_COMMANDS = {"build", "run"}


def dbt_args_checked(landing_dir: Path, args: list[str]) -> list[str]:
    """dbt arguments for a command over the landing folder: check the contract first (raises
    on a broken file, before any table changes) and pass the layouts of non-standard files."""
    if not args or args[0] not in _READING_COMMANDS or "--vars" in args:
        return args
    check = require_valid_landing(landing_dir)
    return [*args, "--vars", check.dbt_vars()] if check.sales_layouts else args
