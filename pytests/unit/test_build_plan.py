"""What `lakehouse build` decides to run, from the deliveries, bronze's manifest and the record
of the last complete build (no server: the inputs are built here)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from lakehouse.build_plan import (
    EVERYTHING,
    NOTHING,
    SOURCES,
    BuildPlan,
    BuildRecord,
    plan_build,
    project_fingerprint,
)
from lakehouse.config import PROJECT_DIR, Settings
from lakehouse.landing.states import CHANGED, LOADED, NEW, REMOVED, DeliveryState

LOADED_AT = "2026-11-30 08:00:00.123"
# The bronze tables' Delta versions, as build_plan.bronze_versions writes them.
BRONZE = (
    "bronze.landing_files@3@2026-11-30 08:00:01;bronze.stg_landing__customers@1@2026-11-30 "
    "07:59:58;bronze.stg_landing__sales@2@2026-11-30 08:00:00"
)
# A build that loaded a file after the record: the sales table moved on.
BRONZE_WRITTEN_SINCE = BRONZE.replace("stg_landing__sales@2@2026-11-30 08:00:00",
                                      "stg_landing__sales@3@2026-11-30 09:00:00")  # fmt: skip
FINGERPRINT = "abc123"


def _state(kind: str, name: str, state: str) -> DeliveryState:
    loaded_at = None if state == NEW else LOADED_AT
    return DeliveryState(kind, name, state, None if state == REMOVED else 10, loaded_at)


BASE = [
    _state("customers", "customer_data.parquet", LOADED),
    _state("sales", "sales_data.csv", LOADED),
]


def _record(bronze: str = BRONZE, fingerprint: str = FINGERPRINT) -> BuildRecord:
    return BuildRecord("2026-11-30 08:00:05", fingerprint, bronze, "every node")


def test_nothing_new_since_a_complete_build_of_the_same_project_builds_nothing() -> None:
    plan = plan_build(BASE, BRONZE, _record(), FINGERPRINT)
    assert plan.action == NOTHING
    assert "no new delivery since the last complete build (2026-11-30 08:00:05)" in plan.reason
    assert plan.dbt_selection() == []


def test_a_removed_file_alone_leaves_nothing_to_build() -> None:
    states = [*BASE, _state("sales", "sales_old.csv", REMOVED)]
    assert plan_build(states, BRONZE, _record(), FINGERPRINT).action == NOTHING


def test_new_sales_alone_select_the_nodes_downstream_of_the_sales_source() -> None:
    states = [*BASE, _state("sales", "sales_2023-03-21.csv", NEW)]
    plan = plan_build(states, BRONZE, _record(), FINGERPRINT)
    assert plan.action == SOURCES
    assert plan.kinds == ("sales",)
    assert plan.dbt_selection() == [
        "--select", "source:landing.sales_lines+", "--exclude", "resource_type:unit_test",
    ]  # fmt: skip
    assert plan.reason == "1 new file(s) of sales; the rest is up to date"


def test_new_files_of_both_kinds_select_both_sources() -> None:
    states = [
        *BASE,
        _state("sales", "sales_2023-03-21.csv", NEW),
        _state("customers", "customers_2023-03-21.parquet", NEW),
    ]
    plan = plan_build(states, BRONZE, _record(), FINGERPRINT)
    assert plan.dbt_selection()[:3] == [
        "--select", "source:landing.customers+", "source:landing.sales_lines+",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("record", "bronze", "fingerprint", "full_refresh", "reason"),
    [
        (None, BRONZE, FINGERPRINT, False, "no complete build is recorded yet"),
        (_record(), BRONZE, "other", False, "the project (models, macros, seeds, snapshots"),
        # A build loaded a file into bronze and never completed.
        (
            _record(),
            BRONZE_WRITTEN_SINCE,
            FINGERPRINT,
            False,
            "bronze was written after the last complete build",
        ),
        (_record(), BRONZE, FINGERPRINT, True, "--full-refresh rebuilds silver, gold"),
    ],  # fmt: skip
    ids=["no record", "project changed", "bronze written since", "full refresh"],
)
def test_every_node_runs_when_the_last_complete_build_does_not_cover_the_lakehouse(
    record: BuildRecord | None,
    bronze: str,
    fingerprint: str,
    full_refresh: bool,
    reason: str,
) -> None:
    states = [*BASE, _state("sales", "sales_2023-03-21.csv", NEW)]
    for given in (BASE, states):  # with or without a new delivery
        plan = plan_build(given, bronze, record, fingerprint, full_refresh=full_refresh)
        assert plan.action == EVERYTHING
        assert reason in plan.reason
        assert plan.dbt_selection() == []


def test_a_file_changed_in_place_runs_every_node_so_the_build_stops_on_it() -> None:
    states = [BASE[0], _state("sales", "sales_data.csv", CHANGED)]
    plan = plan_build(states, BRONZE, _record(), FINGERPRINT)
    assert plan.action == EVERYTHING
    assert "sales/sales_data.csv" in plan.reason


def test_the_fingerprint_follows_the_project_files_and_the_schema_prefix(tmp_path: Path) -> None:
    project = tmp_path / "project"
    for name in ("models", "macros", "seeds", "tests", "dbt_project.yml", "selectors.yml"):
        source = PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(source, project / name)
        else:
            project.mkdir(exist_ok=True)
            shutil.copy(source, project / name)
    first = project_fingerprint(project_dir=project)
    assert project_fingerprint(project_dir=project) == first
    assert project_fingerprint("inc_", project_dir=project) != first

    model = project / "models" / "marts" / "core" / "fct_sales.sql"
    original = model.read_text()
    model.write_text(original + "\n-- a comment\n")
    assert project_fingerprint(project_dir=project) != first
    model.write_text(original)
    assert project_fingerprint(project_dir=project) == first

    seed = next((project / "seeds").rglob("*.csv"))
    seed.write_text(seed.read_text() + "\n")
    assert project_fingerprint(project_dir=project) != first


def test_the_fingerprint_covers_the_lock_file_and_the_landing_code(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(PROJECT_DIR / "lakehouse" / "landing", project / "lakehouse" / "landing")
    shutil.copy(PROJECT_DIR / "requirements.lock", project / "requirements.lock")
    first = project_fingerprint(project_dir=project)

    lock = project / "requirements.lock"
    lock.write_text(lock.read_text().replace("dbt-core==", "dbt-core==0"))
    assert project_fingerprint(project_dir=project) != first
    shutil.copy(PROJECT_DIR / "requirements.lock", lock)
    assert project_fingerprint(project_dir=project) == first

    contract = project / "lakehouse" / "landing" / "contract.py"
    contract.write_text(contract.read_text() + "\n# a change\n")
    assert project_fingerprint(project_dir=project) != first


@pytest.mark.parametrize("changed_during_build", [False, True])
def test_a_build_is_recorded_only_for_the_project_it_started_with(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    changed_during_build: bool,
) -> None:
    """The fingerprint is taken before dbt starts; an edit during the build (seen as another
    fingerprint after it) leaves no record, so the next plan runs every node."""
    from lakehouse.commands import build as build_command

    fingerprints = iter(["before", "after" if changed_during_build else "before"])
    recorded = []
    monkeypatch.setattr(build_command, "project_fingerprint", lambda prefix="": next(fingerprints))
    monkeypatch.setattr(
        build_command, "current_plan", lambda *args: BuildPlan(EVERYTHING, "a test")
    )
    monkeypatch.setattr(build_command, "dbt_args_checked", lambda landing, args: args)
    monkeypatch.setattr(
        build_command, "run_dbt", lambda settings, args: subprocess.CompletedProcess(args, 0)
    )
    monkeypatch.setattr(
        build_command,
        "record_complete_build",
        lambda settings, fingerprint, selection, prefix: recorded.append(fingerprint),
    )

    build_command.build(Settings(state_dir=tmp_path))

    if changed_during_build:
        assert recorded == []
        assert "not recorded as complete" in capsys.readouterr().err
    else:
        assert recorded == ["before"]


def test_an_empty_file_is_not_a_delivery_to_build(tmp_path: Path) -> None:
    """A 0-byte file holds nothing Spark lists or reads: never pending, so the plan after a
    build is still "nothing"; a header-only file is new until a build records it."""
    from lakehouse.landing.states import EMPTY, pending, states_against

    sales = tmp_path / "sales"
    sales.mkdir()
    (sales / "sales_2023-03-23_empty.csv").write_bytes(b"")
    (sales / "sales_2023-03-23_header_only.csv").write_text("invoice_no\n")
    states = {state.file_name: state.state for state in states_against({}, tmp_path)}
    assert states == {"sales_2023-03-23_empty.csv": EMPTY, "sales_2023-03-23_header_only.csv": NEW}
    assert [s.file_name for s in pending(states_against({}, tmp_path))] == [
        "sales_2023-03-23_header_only.csv"
    ]
    plan = plan_build(states_against({}, tmp_path)[:1], BRONZE, _record(), FINGERPRINT)
    assert plan.action == NOTHING
