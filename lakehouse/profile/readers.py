"""Reading the landing deliveries without losing a line, in bounded memory.

Every delivery of a kind is read (lakehouse/landing/files.py decides which files are
deliveries, as dbt does), in name order, into one frame with the file each row came from.

The sales CSV is read as physical lines (one line is one record: the feed has no quoted
newlines), so a malformed line is counted and kept aside instead of derailing the parser.
Blocks of lines are split by Arrow into string columns (only lines with a quote or the wrong
number of commas go through Python's csv rules), so a 10M-line file never sits in memory as
Python objects; when the file has more data lines than the sample
size, only the first N data lines are profiled (deterministic: the same files give the same
sample; the first files fill it) and the total is counted by streaming the bytes.
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
from lakehouse.landing.contract import (
    CUSTOMER_COLUMNS,
    CUSTOMERS_DIR,
    CUSTOMERS_FILE,
    FILE_GLOBS,
    SALES_COLUMNS,
    SALES_DIR,
    SALES_FILE,
)
from lakehouse.landing.files import delivered_files

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
    file: str = ""  # the file's name, set when several deliveries are read together


@dataclass
class DeliveryRead:
    """One file that was read: for the report's list of files."""

    path: Path
    size_bytes: int
    total_rows: int


@dataclass
class SalesData:
    path: Path
    frame: pd.DataFrame  # the 7 columns as text, `line` (physical line number), `file`
    total_rows: int  # data lines in the whole file (header excluded)
    read_lines: int  # data lines read (== total_rows unless sampled)
    malformed: list[MalformedLine] = field(default_factory=list)
    sampled: bool = False
    size_bytes: int = 0
    files: list[DeliveryRead] = field(default_factory=list)


@dataclass
class CustomerData:
    path: Path
    frame: pd.DataFrame  # the profiled rows (all, or the first N when sampled), with `file`
    all_ids: pa.Array  # every customer_id of the file (for referential integrity)
    total_rows: int
    schema: dict[str, str]  # column -> Arrow type as delivered
    sampled: bool = False
    size_bytes: int = 0
    files: list[DeliveryRead] = field(default_factory=list)


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
    frame = table.to_pandas()
    frame["file"] = path.name
    return SalesData(
        path=path,
        frame=frame,
        total_rows=total,
        read_lines=limit,
        malformed=malformed,
        sampled=limit < total,
        size_bytes=size,
        files=[DeliveryRead(path, size, total)],
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
    frame["file"] = path.name
    return CustomerData(
        path=path,
        frame=frame,
        all_ids=pc.cast(ids, pa.string()).combine_chunks(),
        total_rows=total,
        schema=schema,
        sampled=len(frame) < total,
        size_bytes=size,
        files=[DeliveryRead(path, size, total)],
    )


def _no_delivery(folder: Path, example: Path) -> LakehouseError:
    return LakehouseError(
        f"{folder}: no delivery to profile (no {FILE_GLOBS[folder.name]} file, e.g. "
        f"{example.name}).",
        "Generate the landing files with `lakehouse generate`, or point --landing at a "
        "folder with customers/customer_data.parquet and sales/sales_data.csv.",
    )


def _left(sample_rows: int | None, taken: int) -> int | None:
    """What is left of the sample after `taken` rows (None: no sampling)."""
    return None if sample_rows is None else max(sample_rows - taken, 0)


def read_all_sales(landing: Path, sample_rows: int | None) -> SalesData:
    """Every sales delivery, as one: the sample is the first N data lines across the files
    in name order; each file is still counted whole."""
    paths = delivered_files(landing, SALES_DIR)
    if not paths:
        raise _no_delivery(landing / SALES_DIR, SALES_FILE)
    parts: list[SalesData] = []
    for path in paths:
        parts.append(read_sales(path, _left(sample_rows, sum(p.read_lines for p in parts))))
        for line in parts[-1].malformed:
            line.file = path.name
    return SalesData(
        path=landing / SALES_DIR,
        frame=pd.concat([part.frame for part in parts], ignore_index=True),
        total_rows=sum(part.total_rows for part in parts),
        read_lines=sum(part.read_lines for part in parts),
        malformed=[line for part in parts for line in part.malformed],
        sampled=any(part.sampled for part in parts),
        size_bytes=sum(part.size_bytes for part in parts),
        files=[read for part in parts for read in part.files],
    )


def read_all_customers(landing: Path, sample_rows: int | None) -> CustomerData:
    """Every customers delivery, as one (sampled like the sales files). The schema reported
    is the first file's; each file's columns are checked as it is read."""
    paths = delivered_files(landing, CUSTOMERS_DIR)
    if not paths:
        raise _no_delivery(landing / CUSTOMERS_DIR, CUSTOMERS_FILE)
    parts: list[CustomerData] = []
    for path in paths:
        parts.append(read_customers(path, _left(sample_rows, sum(len(p.frame) for p in parts))))
    return CustomerData(
        path=landing / CUSTOMERS_DIR,
        frame=pd.concat([part.frame for part in parts], ignore_index=True),
        all_ids=pa.concat_arrays([part.all_ids for part in parts]),
        total_rows=sum(part.total_rows for part in parts),
        schema=parts[0].schema,
        sampled=any(part.sampled for part in parts),
        size_bytes=sum(part.size_bytes for part in parts),
        files=[read for part in parts for read in part.files],
    )
