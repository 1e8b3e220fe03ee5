"""Where a dbt build's time goes: node-seconds per kind of node, from its run_results.json."""

from __future__ import annotations

import json
from pathlib import Path

# run_results.json unique_id prefix -> the name the report uses.
KINDS = {
    "seed": "seeds",
    "model": "models",
    "snapshot": "snapshots",
    "test": "data tests",
    "unit_test": "unit tests",
    "operation": "hooks",
}


def node_seconds(run_results: Path) -> dict[str, dict[str, float]]:
    """{kind: {"nodes": n, "seconds": total, "mean_s": per node}} of one dbt invocation,
    plus "elapsed_s" (dbt's own elapsed time); {} when the file is missing."""
    if not run_results.exists():
        return {}
    data = json.loads(run_results.read_text())
    kinds: dict[str, dict[str, float]] = {}
    for result in data["results"]:
        kind = KINDS.get(result["unique_id"].split(".")[0])
        if kind is None:  # exposures: nothing runs
            continue
        entry = kinds.setdefault(kind, {"nodes": 0, "seconds": 0.0})
        entry["nodes"] += 1
        entry["seconds"] += result["execution_time"]
    for entry in kinds.values():
        entry["seconds"] = round(entry["seconds"], 2)
        entry["mean_s"] = round(entry["seconds"] / entry["nodes"], 3)
    return {"elapsed_s": round(data.get("elapsed_time", 0.0), 2), **kinds}
