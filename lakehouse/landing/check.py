"""The delivery contract of the landing folder, checked before a build touches any table.

Every delivery (lakehouse/landing/files.py: the files Spark reads, `<landing>/sales/*.csv`
and `<landing>/customers/*.parquet`) is looked at: a CSV's header line and every byte of it
(streamed, to find a byte that is not UTF-8 anywhere in the file), a Parquet file's footer:

- a required column that is missing or renamed, a file that is not text (a NUL byte or a
  byte that is not UTF-8, on any line) or not Parquet: an error naming the file, the column
  or the line, raised before dbt runs, so gold never changes;
- an extra column: a warning, and the column is ignored. A CSV whose header differs from the
  contract (extra or reordered columns) gets a layout that bronze parses it with;
- an empty file or a header-only file: loads zero rows, noted.

Files whose names start with `.` or `_` (e.g. `_SUCCESS`) are not deliveries: Spark skips them,
and so does this check.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass, field
from pathlib import Path

from lakehouse.errors import LakehouseError
from lakehouse.landing.contract import (
    CUSTOMER_COLUMNS,
    CUSTOMER_TYPES,
    CUSTOMERS_DIR,
    SALES_COLUMNS,
    SALES_DIR,
    SALES_HEADER,
)
from lakehouse.landing.files import delivered_files
from lakehouse.profile.readers import split_line

LAYOUTS_VAR = "sales_file_layouts"  # the dbt var bronze reads the layouts from
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
        return json.dumps({LAYOUTS_VAR: self.sales_layouts})


def check_landing(landing_dir: Path) -> LandingCheck:
    check = LandingCheck()
    for path in delivered_files(landing_dir, SALES_DIR):
        _check_sales_file(path, check)
    for path in delivered_files(landing_dir, CUSTOMERS_DIR):
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
    name = f"{SALES_DIR}/{path.name}"
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

    name = f"{CUSTOMERS_DIR}/{path.name}"
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
    for column, wanted in CUSTOMER_TYPES.items():
        if column in missing:
            continue
        # Spark refuses a physical type other than the landing table's (an int64 age fails
        # the whole read), so say so up front.
        kind = schema.field(column).type
        if not _is_type(kind, wanted):
            check.problems.append(f"{name}: column '{column}' is {kind}, expected {wanted}.")
    extra = [column for column in found if column not in CUSTOMER_COLUMNS]
    if extra and not missing:
        check.warnings.append(
            f"{name}: extra column(s) {', '.join(repr(c) for c in extra)} ignored."
        )


def _is_type(kind, wanted: str) -> bool:
    """Whether an Arrow type is one Spark reads as the contract's `wanted` type."""
    import pyarrow as pa

    if wanted == "double":
        return pa.types.is_float64(kind)
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)
