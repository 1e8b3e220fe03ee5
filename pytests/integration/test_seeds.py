"""Seeds are reloaded only when their file changed (macros/delta/seed_materialization.sql).

Each seed table keeps the checksum of the CSV it was loaded from as a table property; a build
whose seed file has that checksum leaves the table alone, any other checksum (a changed file)
reloads it, and so does --full-refresh."""

from __future__ import annotations

from helpers import BuiltPipeline

from lakehouse.connection import query
from lakehouse.dbt_runner import run_dbt

SEED = "reference.payment_methods"


def _seed(pipeline: BuiltPipeline, *extra: str) -> str:
    result = run_dbt(
        pipeline.settings, ["seed", "--select", "payment_methods", *extra], capture=True
    )
    assert result.returncode == 0, result.stdout[-3000:]
    return result.stdout


def _checksum(pipeline: BuiltPipeline) -> str:
    rows = query(pipeline.settings, f"show tblproperties {SEED} ('lakehouse.seed_checksum')")
    return rows[0][1]


def _latest_commit(pipeline: BuiltPipeline) -> tuple:
    ((version, timestamp, *_),) = query(pipeline.settings, f"describe history {SEED} limit 1")
    return version, timestamp


def test_an_unchanged_seed_is_not_reloaded_and_a_changed_one_is(
    built_pipeline: BuiltPipeline,
) -> None:
    _seed(built_pipeline)  # whatever state earlier tests left: loaded from today's file
    loaded_from = _checksum(built_pipeline)
    assert len(loaded_from) == 32, loaded_from
    before = _latest_commit(built_pipeline)

    # Same file: the table is left as it is, not a single commit.
    output = _seed(built_pipeline)
    assert "UNCHANGED" in output and "INSERT 3" not in output
    assert _latest_commit(built_pipeline) == before

    # The table says it was loaded from another file: it is reloaded from today's.
    query(
        built_pipeline.settings,
        f"alter table {SEED} set tblproperties ('lakehouse.seed_checksum' = 'another file')",
    )
    output = _seed(built_pipeline)
    assert "INSERT 3" in output
    assert _checksum(built_pipeline) == loaded_from
    assert sorted(row[0] for row in query(built_pipeline.settings, f"select * from {SEED}")) == [
        "Cash",
        "Credit Card",
        "Debit Card",
    ]

    # --full-refresh reloads it whatever its checksum.
    assert "INSERT 3" in _seed(built_pipeline, "--full-refresh")
