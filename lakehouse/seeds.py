"""Reading the dbt seeds (reference data) from Python: the seeds are the single source of truth
for canonical names, unit prices and aliases, shared by dbt, the generator and the profiler."""

from __future__ import annotations

import csv

from lakehouse.config import PROJECT_DIR
from lakehouse.errors import LakehouseError

SEEDS_DIR = PROJECT_DIR / "seeds"


def read_seed(name: str) -> list[dict[str, str]]:
    """The rows of seeds/<name> as dicts of text."""
    path = SEEDS_DIR / name
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))
    except OSError as error:
        raise LakehouseError(
            f"{path}: cannot read the seed ({error.strerror or error}).",
            "Reference values come from the dbt seeds; restore them with `git checkout -- seeds`.",
        ) from error
