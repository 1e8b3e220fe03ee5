"""Files of the landing folder: checks before writing, temp names, atomic renames, hashes.

Each file is written under a hidden temp name in its final folder (`.<name>.tmp`; Spark skips
hidden files when it lists a table's folder) and renamed when complete, so a crash never
leaves a half file under the real name.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from lakehouse.errors import LakehouseError
from lakehouse.landing.contract import KINDS
from lakehouse.landing.files import all_deliveries, is_temp, name_files, temp_path

MANIFEST_FILE = Path("manifest.json")

# Fixed writer options: the same rows give the same bytes (created_by names the pyarrow
# version, so files are byte-identical for a given pyarrow, which the lock file pins).
PARQUET_OPTIONS = dict(
    compression="snappy",
    version="2.6",
    use_dictionary=True,
    write_statistics=True,
    data_page_version="1.0",
)


def prepare_landing(landing: Path, overwrite: bool) -> None:
    """Check the folder can take a new set of files; with overwrite, clear what would be read
    alongside them (the other deliveries in customers/ and sales/) and the old manifest.
    Files that are not deliveries (`_SUCCESS`, notes) are neither read nor touched."""
    if landing.exists() and not landing.is_dir():
        raise LakehouseError(
            f"The landing path {landing} is a file, not a folder.",
            "Pass --landing with a folder path (it is created if missing).",
        )
    try:
        landing.mkdir(parents=True, exist_ok=True)
        for kind in KINDS:
            (landing / kind).mkdir(exist_ok=True)
        probe = landing / ".lakehouse-write-probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise LakehouseError(
            f"The landing folder {landing} is not writable: {error.strerror or error}.",
            "Choose another folder with --landing (or LAKEHOUSE_LANDING_DIR), "
            "or fix its permissions.",
        ) from None
    manifest = landing / MANIFEST_FILE
    existing = all_deliveries(landing) + ([manifest] if manifest.exists() else [])
    if existing and not overwrite:
        raise LakehouseError(
            f"The landing folder {landing} already holds files ({name_files(landing, existing)}).",
            "Add --force to replace them (other deliveries in customers/ and sales/ are "
            "removed, since Spark would read them too), or choose another --landing.",
        )
    # With overwrite, what the tables would read; and the leftovers of a crashed run.
    leftovers = [
        path
        for kind in KINDS
        for path in (landing / kind).iterdir()
        if path.is_file() and is_temp(path)
    ] + [temp_path(manifest)]
    for path in (existing if overwrite else []) + leftovers:
        path.unlink(missing_ok=True)


class CsvOut:
    """Appends text to a temp file, hashing as it goes."""

    def __init__(self, path: Path, header: str) -> None:
        self.path = path
        self.temp = temp_path(path)
        self.handle = self.temp.open("wb")
        self.sha256 = hashlib.sha256()
        self.bytes = 0
        self.write((header + "\n").encode("utf-8"))

    def write(self, data: bytes) -> None:
        self.handle.write(data)
        self.sha256.update(data)
        self.bytes += len(data)

    def close(self) -> None:
        self.handle.close()

    def abort(self) -> None:
        self.handle.close()
        self.temp.unlink(missing_ok=True)


class ParquetOut:
    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self.temp = temp_path(path)
        self.writer = pq.ParquetWriter(self.temp, schema, **PARQUET_OPTIONS)

    def write(self, table: pa.Table) -> None:
        self.writer.write_table(table, row_group_size=max(1, table.num_rows))

    def close(self) -> None:
        self.writer.close()

    def abort(self) -> None:
        try:
            self.writer.close()
        finally:
            self.temp.unlink(missing_ok=True)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def publish(temp: Path, final: Path) -> None:
    """Give a complete temp file its real name (atomic within one file system)."""
    os.replace(temp, final)
