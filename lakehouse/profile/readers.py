"""Reading the two landing files without losing a line, in bounded memory.

The sales CSV is read as physical lines (one line is one record: the feed has no quoted
newlines), so a malformed line is counted and kept aside instead of derailing the parser.
Blocks of lines are split by Arrow into string columns (only lines with a quote or the wrong
number of commas go through Python's csv rules), so a 10M-line file never sits in memory as
Python objects; when the file has more data lines than the sample
size, only the first N data lines are profiled (deterministic: the same file gives the same
sample) and the total is counted by streaming the bytes.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lakehouse.errors import LakehouseError
from lakehouse.landing.contract import CUSTOMER_COLUMNS, SALES_COLUMNS

_BLOCK_BYTES = 32 * 1024 * 1024
_COUNT_CHUNK = 16 * 1024 * 1024
# A line of well-formed CSV: fields either bare (no quote, no comma) or fully quoted.
_FIELD = r'(?:"(?:[^"]|"")*"|[^",]*)'
_WELL_FORMED = re.compile(rf"{_FIELD}(?:,{_FIELD})*")
_EXAMPLE_CHARS = 200


@dataclass
class MalformedLine:
    line: int  # 1-based physical line number in the file (the header is line 1)
    problem: str  # "too few fields (6)", "too many fields (8)", "stray quote"
    text: str


@dataclass
class SalesData:
    path: Path
    frame: pd.DataFrame  # the 7 columns as text, plus `line` (physical line number)
    total_rows: int  # data lines in the whole file (header excluded)
    read_lines: int  # data lines read (== total_rows unless sampled)
    malformed: list[MalformedLine] = field(default_factory=list)
    sampled: bool = False
    size_bytes: int = 0


@dataclass
class CustomerData:
    path: Path
    frame: pd.DataFrame  # the profiled rows (all, or the first N when sampled)
    all_ids: pa.Array  # every customer_id of the file (for referential integrity)
    total_rows: int
    schema: dict[str, str]  # column -> Arrow type as delivered
    sampled: bool = False
    size_bytes: int = 0


def _require_file(path: Path, what: str) -> int:
    if not path.exists():
        raise LakehouseError(
            f"{path}: the {what} file is missing.",
            "Generate the landing files with `lakehouse generate`, or point --landing at a "
            "folder with customers/customer_data.parquet and sales/sales_data.csv.",
        )
    if not path.is_file():
        raise LakehouseError(f"{path}: expected the {what} file, found a folder.")
    size = path.stat().st_size
    if size == 0:
        raise LakehouseError(f"{path}: the {what} file is empty (0 bytes).")
    if not os.access(path, os.R_OK):
        raise LakehouseError(f"{path}: the {what} file is not readable (permissions).")
    return size


def _check_columns(path: Path, found: list[str], expected: tuple[str, ...]) -> None:
    missing = [name for name in expected if name not in found]
    unexpected = [name for name in found if name not in expected]
    duplicated = sorted({name for name in found if found.count(name) > 1})
    if not (missing or unexpected or duplicated):
        return
    parts = []
    if missing:
        parts.append("missing " + ", ".join(missing))
    if unexpected:
        parts.append("unexpected " + ", ".join(repr(name) for name in unexpected))
    if duplicated:
        parts.append("repeated " + ", ".join(duplicated))
    raise LakehouseError(
        f"{path}: wrong columns ({'; '.join(parts)}).",
        "Expected: " + ",".join(expected) + ".",
    )


def count_data_lines(path: Path) -> int:
    """Data lines of a text file (header excluded), streaming in 16 MB chunks."""
    lines = 0
    last = b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(_COUNT_CHUNK):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        lines += 1  # a last line without a newline
    return max(lines - 1, 0)


def split_line(text: str) -> tuple[list[str] | None, str | None]:
    """The fields of one CSV line, or None and the problem. A quote is legal only as the
    quoting of a whole field; anything else is a stray quote."""
    if '"' not in text:
        return text.split(","), None
    if not _WELL_FORMED.fullmatch(text):
        return None, "stray quote"
    return next(csv.reader([text])), None


def _read_header(path: Path, handle) -> list[int]:
    """Check the header line; return, for each expected column, its position in the file."""
    text = handle.readline().decode("utf-8-sig", errors="replace").rstrip("\r\n")
    header, problem = split_line(text)
    if header is None:
        raise LakehouseError(f"{path}: the header line is not CSV ({problem}).")
    header = [name.strip() for name in header]
    _check_columns(path, header, SALES_COLUMNS)
    return [header.index(name) for name in SALES_COLUMNS]


def _blocks(handle, limit: int):
    """Blocks of whole lines (as one decoded string each, without the last newline) and the
    number of lines in them, until `limit` lines have been given."""
    given, rest = 0, b""
    while given < limit:
        chunk = handle.read(_BLOCK_BYTES)
        data = rest + chunk
        if not chunk:
            rest = b""
            if not data:
                return
        else:
            cut = data.rfind(b"\n")
            if cut < 0:
                rest = data
                continue
            data, rest = data[:cut], data[cut + 1 :]
        lines = pc.split_pattern(pa.array([data.decode("utf-8", errors="replace")]), "\n")
        lines = pc.utf8_rtrim(lines.flatten(), characters="\r")
        if given + len(lines) > limit:
            lines = lines.slice(0, limit - given)
        yield given, lines
        given += len(lines)
        if not chunk:
            return


def _parse_block(lines: pa.Array, first: int, order: list[int], malformed: list) -> pa.Table:
    """The well-formed lines of a block as a table.
    The common line (6 commas, no quote) is split by Arrow, the rest one by one; `line` is
    the physical line number (the header is line 1)."""
    width = len(SALES_COLUMNS)
    numbers = pa.array(np.arange(first + 2, first + 2 + len(lines), dtype=np.int64))
    fast = pc.and_(
        pc.equal(pc.count_substring(lines, ","), width - 1),
        pc.invert(pc.match_substring(lines, '"')),
    )
    parts = pc.split_pattern(lines.filter(fast), ",")
    columns = {name: pc.list_element(parts, order[i]) for i, name in enumerate(SALES_COLUMNS)}
    table = pa.table({**columns, "line": numbers.filter(fast)})
    slow_index = np.flatnonzero(~fast.to_numpy(zero_copy_only=False))
    if slow_index.size == 0:
        return table
    good: list[list[str]] = []
    good_numbers: list[int] = []
    for index in slow_index.tolist():
        text = lines[index].as_py()
        fields, problem = split_line(text)
        if fields is not None and len(fields) != width:
            kind = "too few" if len(fields) < width else "too many"
            problem = f"{kind} fields ({len(fields)})"
        if problem:
            malformed.append(MalformedLine(first + index + 2, problem, text[:_EXAMPLE_CHARS]))
        else:
            good.append([fields[i] for i in order])
            good_numbers.append(first + index + 2)
    if good:
        extra = pa.table(
            {
                **{
                    name: pa.array([row[i] for row in good], pa.string())
                    for i, name in enumerate(SALES_COLUMNS)
                },
                "line": pa.array(good_numbers, pa.int64()),
            }
        )
        table = pa.concat_tables([table.cast(extra.schema), extra])
        table = table.take(pc.sort_indices(table["line"]))
    return table


def read_sales(path: Path, sample_rows: int | None) -> SalesData:
    size = _require_file(path, "sales CSV")
    total = count_data_lines(path)
    limit = total if sample_rows is None else min(total, sample_rows)
    malformed: list[MalformedLine] = []
    tables = []
    try:
        with path.open("rb") as handle:
            order = _read_header(path, handle)
            for first, lines in _blocks(handle, limit):
                tables.append(_parse_block(lines, first, order, malformed))
    except OSError as error:
        raise LakehouseError(f"{path}: cannot read the sales CSV ({error.strerror}).") from error
    if total == 0:
        raise LakehouseError(f"{path}: the sales CSV has a header but no data lines.")
    schema = pa.schema([(name, pa.string()) for name in SALES_COLUMNS] + [("line", pa.int64())])
    table = pa.concat_tables([t.cast(schema) for t in tables]) if tables else schema.empty_table()
    return SalesData(
        path=path,
        frame=table.to_pandas(),
        total_rows=total,
        read_lines=limit,
        malformed=malformed,
        sampled=limit < total,
        size_bytes=size,
    )


def read_customers(path: Path, sample_rows: int | None) -> CustomerData:
    import pyarrow.parquet as pq

    size = _require_file(path, "customers Parquet")
    try:
        parquet = pq.ParquetFile(path)
        found = list(parquet.schema_arrow.names)
        _check_columns(path, found, CUSTOMER_COLUMNS)
        total = parquet.metadata.num_rows
        schema = {name: str(parquet.schema_arrow.field(name).type) for name in CUSTOMER_COLUMNS}
        ids = parquet.read(columns=["customer_id"]).column("customer_id")
        if sample_rows is not None and total > sample_rows:
            kept, taken = [], 0
            for batch in parquet.iter_batches(batch_size=65_536, columns=list(CUSTOMER_COLUMNS)):
                kept.append(batch.slice(0, sample_rows - taken))
                taken += kept[-1].num_rows
                if taken >= sample_rows:
                    break
            table = pa.Table.from_batches(kept)
        else:
            table = parquet.read(columns=list(CUSTOMER_COLUMNS))
    except LakehouseError:
        raise
    except (pa.ArrowException, OSError, ValueError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        raise LakehouseError(
            f"{path}: not a readable Parquet file ({first_line}).",
            "Regenerate it with `lakehouse generate` or replace it with the delivered file.",
        ) from error
    if total == 0:
        raise LakehouseError(f"{path}: the customers Parquet file has no rows.")
    frame = table.to_pandas()
    frame["age"] = pd.to_numeric(frame["age"], errors="coerce")
    return CustomerData(
        path=path,
        frame=frame,
        all_ids=pc.cast(ids, pa.string()).combine_chunks(),
        total_rows=total,
        schema=schema,
        sampled=len(frame) < total,
        size_bytes=size,
    )
