"""What a daily build has to do, decided before dbt starts.

Every dbt node of an incremental build finds out for itself that it has nothing new, but
each one still costs a Spark statement or two, and with 120-odd nodes a build that loads
nothing takes half a minute. `lakehouse build` decides first, from two small tables:

- bronze's manifest of loaded files (`bronze.landing_files`) against the landing folder:
  which deliveries are new (lakehouse/landing/states.py);
- the record of the last complete build (`audit.completed_builds`): written after a build
  in which every node succeeded, with the Delta version of each bronze table at its end and
  a fingerprint of the project (models, macros, seeds, tests, vars).

The plan is one of:
- nothing: no new delivery, and the last complete build saw bronze as it is now (no write
  since) with the same project. Every layer then holds everything below it (each layer
  processes all that the layer below holds), so there is nothing to build.
- the delivered kinds only (`--select source:landing.sales_lines+`): new files of one kind,
  the last complete build as above. The nodes that do not read that kind have no new input.
- everything: anything else. No complete build recorded, a project changed since, bronze
  written since the last complete build (a build that failed or was killed after bronze
  loaded: the next build completes the work), a changed file (the build stops and names
  it), --full-refresh (silver and gold from bronze) or --rebuild-bronze (bronze too, from
  the landing folder).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from lakehouse.config import PROJECT_DIR, Settings
from lakehouse.connection import query, query_if_exists
from lakehouse.landing.contract import CUSTOMERS_DIR, SALES_DIR
from lakehouse.landing.states import CHANGED, NEW, DeliveryState

NOTHING, SOURCES, EVERYTHING = "nothing", "sources", "everything"

# The dbt source table each kind of delivery is read through (models/staging/landing).
SOURCE_TABLES = {CUSTOMERS_DIR: "customers", SALES_DIR: "sales_lines"}

# What the tables of a build depend on besides the landing files: the dbt project, the
# locked packages, and the landing contract's code (which files are deliveries, which
# layouts bronze reads; lakehouse/landing).
PROJECT_INPUTS = ("models", "macros", "seeds", "snapshots", "tests", "lakehouse/landing")
PROJECT_FILES = ("dbt_project.yml", "selectors.yml", "requirements.lock")
# The engines whose versions decide results, as installed.
ENGINE_PACKAGES = ("dbt-core", "dbt-spark", "pyspark", "delta-spark")


# The bronze tables: every build that loads a delivery writes them, and only such a build.
BRONZE_TABLES = ("bronze.landing_files", "bronze.stg_landing__customers",
                 "bronze.stg_landing__sales")  # fmt: skip


@dataclass(frozen=True)
class BuildRecord:
    """The last build in which every node succeeded."""

    completed_at: str
    fingerprint: str
    bronze_versions: str  # bronze_versions() at its end
    selection: str


@dataclass(frozen=True)
class BuildPlan:
    action: str  # NOTHING, SOURCES or EVERYTHING
    reason: str
    kinds: tuple[str, ...] = ()  # the landing kinds with new files (action SOURCES)

    def dbt_selection(self) -> list[str]:
        """dbt arguments that choose the nodes (none: the default selector, every node but
        the unit tests)."""
        if self.action != SOURCES:
            return []
        sources = [f"source:landing.{SOURCE_TABLES[kind]}+" for kind in self.kinds]
        # A --select replaces the default selector, which leaves out the unit tests.
        return ["--select", *sources, "--exclude", "resource_type:unit_test"]

    def as_dict(self) -> dict:
        return {**asdict(self), "dbt_selection": self.dbt_selection()}


def plan_build(
    states: list[DeliveryState],
    bronze: str,
    record: BuildRecord | None,
    fingerprint: str,
    full_refresh: bool = False,
) -> BuildPlan:
    """The plan for the landing folder's `states` (each delivery against the manifest), with
    `bronze` the bronze tables' Delta versions now (bronze_versions)."""
    if full_refresh:
        return BuildPlan(
            EVERYTHING,
            "--full-refresh rebuilds silver, gold and the incremental tables from bronze "
            "(bronze keeps every loaded row)",
        )
    changed = [s for s in states if s.state == CHANGED]
    if changed:
        names = ", ".join(f"{s.kind}/{s.file_name}" for s in changed)
        return BuildPlan(EVERYTHING, f"loaded file(s) changed in place: {names}")
    if record is None:
        return BuildPlan(EVERYTHING, "no complete build is recorded yet")
    if record.fingerprint != fingerprint:
        return BuildPlan(
            EVERYTHING,
            "the project (models, macros, seeds, snapshots, tests, vars, the lock file, the "
            "landing code or the engines' versions) changed since the "
            f"last complete build ({record.completed_at})",
        )
    if record.bronze_versions != bronze:
        return BuildPlan(
            EVERYTHING,
            "bronze was written after the last complete build (a build failed or stopped "
            "after loading): the build completes its work",
        )
    new = sorted({s.kind for s in states if s.state == NEW})
    if not new:
        return BuildPlan(
            NOTHING, f"no new delivery since the last complete build ({record.completed_at})"
        )
    count = sum(1 for s in states if s.state == NEW)
    return BuildPlan(
        SOURCES, f"{count} new file(s) of {' and '.join(new)}; the rest is up to date", tuple(new)
    )


def engine_versions() -> dict[str, str]:
    """The installed versions of the packages that compute the tables."""
    found = {}
    for package in ENGINE_PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def project_fingerprint(schema_prefix: str = "", project_dir: Path = PROJECT_DIR) -> str:
    """A hash of everything besides the landing files that decides what a build writes: the
    dbt project's files, the lock file, the landing contract's code, the engines' versions
    and the build's vars. `lakehouse build` takes it before dbt starts and records a build
    only when it is the same after (lakehouse/commands/build.py)."""
    digest = hashlib.sha256()
    paths = [project_dir / name for name in PROJECT_FILES]
    for folder in PROJECT_INPUTS:
        paths += sorted(
            path for path in (project_dir / folder).rglob("*") if "__pycache__" not in path.parts
        )
    for path in paths:
        if path.is_file():
            digest.update(str(path.relative_to(project_dir)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    digest.update(json.dumps({"schema_prefix": schema_prefix}).encode())
    digest.update(json.dumps(engine_versions(), sort_keys=True).encode())
    return digest.hexdigest()[:16]


# ------------------------------------------------------------------ the two tables


def record_relation(schema_prefix: str = "") -> str:
    return f"{schema_prefix}audit.completed_builds"


def bronze_versions(settings: Settings, schema_prefix: str = "") -> str:
    """Each bronze table's latest Delta version and commit time, from the Delta log (a
    table dropped and created again can come back at the same version, not the same time)."""
    versions = []
    for table in BRONZE_TABLES:
        rows = query_if_exists(settings, f"describe history {schema_prefix}{table} limit 1")
        if rows is None:
            versions.append(f"{table}@none")
            continue
        ((version, timestamp, *_),) = rows
        versions.append(f"{table}@{version}@{timestamp}")
    return ";".join(versions)


def last_complete_build(settings: Settings, schema_prefix: str = "") -> BuildRecord | None:
    rows = query_if_exists(
        settings,
        "select cast(completed_at as string), fingerprint, bronze_versions, selection "
        f"from {record_relation(schema_prefix)} order by completed_at desc limit 1",
    )
    return BuildRecord(*rows[0]) if rows else None


def record_complete_build(
    settings: Settings, fingerprint: str, selection: str, schema_prefix: str = ""
) -> None:
    """Append the record of a build in which every node succeeded."""
    relation = record_relation(schema_prefix)
    bronze = bronze_versions(settings, schema_prefix)
    query(settings, f"create schema if not exists {schema_prefix}audit")
    query(
        settings,
        f"create table if not exists {relation} (completed_at timestamp, fingerprint string, "
        "bronze_versions string, selection string) using delta",
    )
    query(
        settings,
        f"insert into {relation} values (current_timestamp(), {_literal(fingerprint)}, "
        f"{_literal(bronze)}, {_literal(selection)})",
    )


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
