"""Which files of the landing folder are deliveries: one rule for the check, the profiler,
the generator and the main job, the same one dbt applies (`landing_file_globs`)."""

from __future__ import annotations

from pathlib import Path

from lakehouse.landing.contract import FILE_GLOBS, KINDS, SKIPPED_PREFIXES


def is_delivery(path: Path, kind: str) -> bool:
    """Whether a file of the `kind` folder is a delivery: the kind's suffix, and a name
    Spark does not skip."""
    return (
        path.is_file()
        and path.match(FILE_GLOBS[kind])
        and not path.name.startswith(SKIPPED_PREFIXES)
    )


def delivered_files(landing: Path, kind: str) -> list[Path]:
    """The deliveries of one kind (`sales` or `customers`), sorted by name."""
    folder = landing / kind
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if is_delivery(path, kind))


def all_deliveries(landing: Path) -> list[Path]:
    """Every delivery of the landing folder, customers first."""
    return [path for kind in KINDS for path in delivered_files(landing, kind)]


def temp_path(path: Path) -> Path:
    """Where a file is written before it is complete: hidden, so Spark and the rule above
    skip it, and renamed to `path` when done."""
    return path.with_name(f".{path.name}.tmp")


def is_temp(path: Path) -> bool:
    return path.name.startswith(".") and path.name.endswith(".tmp")


def user_files(landing: Path) -> list[Path]:
    """Every file of the landing folder (deliveries or not) except the temp files of an
    interrupted write: what writing a new data set over the folder would lose."""
    return sorted(path for path in landing.rglob("*") if not path.is_dir() and not is_temp(path))


def name_files(landing: Path, files: list[Path]) -> str:
    """The first three files relative to the landing folder, for a message."""
    shown = ", ".join(str(path.relative_to(landing)) for path in files[:3])
    return shown + (f" and {len(files) - 3} more" if len(files) > 3 else "")
