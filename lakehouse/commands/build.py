"""`lakehouse build`: the daily build, running only the dbt nodes new deliveries reach."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass

from lakehouse.analyst import require_server
from lakehouse.build_lock import build_lock
from lakehouse.build_plan import (
    EVERYTHING,
    NOTHING,
    BuildPlan,
    bronze_versions,
    last_complete_build,
    plan_build,
    project_fingerprint,
    record_complete_build,
)
from lakehouse.commands.deliveries import add_schema_prefix_option
from lakehouse.commands.options import SERVER_OPTIONS, add_options, settings_from
from lakehouse.config import Settings
from lakehouse.dbt_runner import run_dbt
from lakehouse.errors import LakehouseError
from lakehouse.landing.dbt_args import dbt_args_checked
from lakehouse.landing.rebuild import check_bronze_rebuild
from lakehouse.landing.states import REMOVED, delivery_states


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "build",
        help="the daily build: `dbt build` of what new deliveries reach, nothing when up to date",
        description="Decides what the build has to do before dbt starts, then runs "
        "`dbt build` for it. Nothing, when no delivery is new since the last complete build "
        "(every node succeeded) and the project is unchanged; the nodes that read the new "
        "kind of file (e.g. --select source:landing.sales_lines+), when only sales or only "
        "customers arrived; every node otherwise (no complete build recorded, the project "
        "changed, a build failed or stopped after bronze loaded, a file changed in place). "
        "A build in which every node succeeded is recorded in audit.completed_builds.",
    )
    add_options(parser, "landing", *SERVER_OPTIONS)
    add_schema_prefix_option(parser)
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild silver, gold and every incremental table from bronze; bronze keeps "
        "every loaded row and loads only the new files",
    )
    parser.add_argument(
        "--rebuild-bronze",
        action="store_true",
        help="also rebuild bronze from the landing folder (a full refresh of every table); "
        "refuses while a loaded file is missing or changed, unless named with --forget",
    )
    parser.add_argument(
        "--forget",
        action="append",
        default=[],
        metavar="KIND/NAME",
        help="with --rebuild-bronze: a loaded file that is missing or changed whose loaded "
        "rows may be dropped (e.g. 'sales/sales 2023-03-02.csv'); once per file",
    )
    parser.add_argument(
        "--force", action="store_true", help="run every node even when nothing is new"
    )
    parser.add_argument(
        "--plan", action="store_true", help="print what the build would do, build nothing"
    )
    parser.add_argument(
        "--record-complete",
        action="store_true",
        help="record that a build of every node just succeeded (for schedulers that run "
        "dbt's nodes themselves, e.g. the Airflow DAG), build nothing",
    )
    parser.add_argument("--json", action="store_true", help="with --plan: print JSON")
    parser.set_defaults(handler=_build)


@dataclass(frozen=True)
class BuildOutcome:
    plan: BuildPlan
    seconds: float

    @property
    def built(self) -> bool:
        return self.plan.action != NOTHING


def current_plan(
    settings: Settings,
    schema_prefix: str = "",
    full_refresh: bool = False,
    force: bool = False,
    rebuild_bronze: bool = False,
    forget: list[str] | None = None,
    fingerprint: str | None = None,
) -> BuildPlan:
    """The plan; with rebuild_bronze, raises unless every loaded file can be read again.
    `fingerprint`: the project's, taken before (project_fingerprint)."""
    fingerprint = fingerprint or project_fingerprint(schema_prefix)
    states = delivery_states(settings, settings.landing_dir, schema_prefix)
    if rebuild_bronze:
        check_bronze_rebuild(states, forget or [])
        return BuildPlan(EVERYTHING, "--rebuild-bronze reads every delivery again")
    if forget:
        raise LakehouseError("--forget goes with --rebuild-bronze only.")
    for state in states:
        if state.state == REMOVED:
            print(f"Warning: landing file {state.kind}/{state.file_name} was loaded and is no "
                  "longer in the landing folder; its rows stay in bronze.",
                  file=sys.stderr)  # fmt: skip
    if force and not full_refresh:
        return BuildPlan(EVERYTHING, "--force runs every node")
    bronze = bronze_versions(settings, schema_prefix)
    record = last_complete_build(settings, schema_prefix)
    return plan_build(states, bronze, record, fingerprint, full_refresh=full_refresh)


def build(
    settings: Settings,
    schema_prefix: str = "",
    full_refresh: bool = False,
    force: bool = False,
    rebuild_bronze: bool = False,
    forget: list[str] | None = None,
) -> BuildOutcome:
    """Plan, run dbt for the plan, record a build whose nodes all succeeded, holding the build
    lock throughout. Raises LakehouseError when dbt fails (the build is then not recorded)."""
    with build_lock(settings, "lakehouse build"):
        started = time.monotonic()
        # Taken before dbt starts: an edit or a `git pull` during the build must not be recorded
        # as built.
        fingerprint = project_fingerprint(schema_prefix)
        plan = current_plan(
            settings, schema_prefix, full_refresh, force, rebuild_bronze, forget, fingerprint
        )
        if plan.action == NOTHING:
            print(f"Up to date: {plan.reason}. Nothing to build "
                  "(`lakehouse build --force` runs every node anyway).")  # fmt: skip
            return BuildOutcome(plan, time.monotonic() - started)
        print(f"Building {_what(plan)}: {plan.reason}.", flush=True)
        refresh = full_refresh or rebuild_bronze
        args = ["build", *(["--full-refresh"] if refresh else []), *plan.dbt_selection()]
        build_vars = {
            **({"schema_prefix": schema_prefix} if schema_prefix else {}),
            **({"rebuild_bronze": True} if rebuild_bronze else {}),
        }
        if build_vars:
            args += ["--vars", json.dumps(build_vars)]
        print(f"Checking the landing files' columns in {settings.landing_dir}")
        if run_dbt(settings, dbt_args_checked(settings.landing_dir, args)).returncode != 0:
            raise LakehouseError(
                "dbt build failed (see dbt's output above); the build is not recorded as complete, "
                "so the next `lakehouse build` runs every node.",
                "Fix what it names, then rerun `lakehouse build`.",
            )
        if project_fingerprint(schema_prefix) != fingerprint:
            print(
                "Warning: the project changed while dbt built (an edit, a checkout?), so this "
                "build is not recorded as complete: the next `lakehouse build` runs every node.",
                file=sys.stderr,
            )
        else:
            record(
                settings, schema_prefix, " ".join(plan.dbt_selection()) or "every node", fingerprint
            )
        return BuildOutcome(plan, time.monotonic() - started)


def record(
    settings: Settings, schema_prefix: str, selection: str, fingerprint: str | None = None
) -> None:
    fingerprint = fingerprint or project_fingerprint(schema_prefix)
    record_complete_build(settings, fingerprint, selection, schema_prefix)


def _what(plan: BuildPlan) -> str:
    if plan.action == EVERYTHING:
        return "every node"
    return "the nodes that read " + " and ".join(plan.kinds)


def _build(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    require_server(settings)
    if args.record_complete:
        record(settings, args.schema_prefix, "every node (run by a scheduler)")
        print("Recorded a complete build: the next `lakehouse build` with no new delivery "
              "has nothing to do.")  # fmt: skip
        return 0
    if args.plan:
        plan = current_plan(
            settings, args.schema_prefix, args.full_refresh, args.force,
            args.rebuild_bronze, args.forget,
        )  # fmt: skip
        if args.json:
            print(json.dumps(plan.as_dict(), indent=2))
        else:
            print(f"{plan.action}: {plan.reason}")
            if plan.dbt_selection():
                print("dbt build " + " ".join(plan.dbt_selection()))
        return 0
    outcome = build(
        settings, args.schema_prefix, args.full_refresh, args.force,
        args.rebuild_bronze, args.forget,
    )  # fmt: skip
    print(f"Done in {outcome.seconds:.0f} s.")
    return 0
