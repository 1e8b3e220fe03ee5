"""Row counts as people write them: 100k, 1M, 2.5M, 250000."""

from __future__ import annotations

from lakehouse.errors import LakehouseError

_SUFFIXES = {"k": 1_000, "m": 1_000_000}
MIN_ROWS = 1_000  # the generator's minimum


def parse_size(text: str) -> int:
    """'100k' -> 100000, '1M' -> 1000000, '250000' -> 250000."""
    cleaned = text.strip().replace("_", "").replace(",", "")
    multiplier = _SUFFIXES.get(cleaned[-1:].lower(), 1)
    number = cleaned[:-1] if multiplier != 1 else cleaned
    try:
        value = float(number) * multiplier
    except ValueError:
        value = -1
    if value != int(value) or int(value) < MIN_ROWS:
        raise LakehouseError(
            f"{text!r} is not a size in rows of at least {MIN_ROWS:,}.",
            "Write sizes like 100k, 1M, 10M or 250000, separated by commas.",
        )
    return int(value)


def parse_sizes(text: str) -> list[int]:
    """'100k,1M' -> [100000, 1000000] (sorted, duplicates removed)."""
    parts = [part for part in text.split(",") if part.strip()]
    if not parts:
        raise LakehouseError("--sizes is empty.", "Example: --sizes 100k,1M,10M")
    return sorted({parse_size(part) for part in parts})


def size_label(rows: int) -> str:
    """100000 -> '100k', 1000000 -> '1M', 1500000 -> '1.5M', 1234 -> '1234'."""
    for unit, factor in (("M", 1_000_000), ("k", 1_000)):
        if rows >= factor and (rows * 10) % factor == 0:
            return f"{rows / factor:g}{unit}"
    return str(rows)
