"""The bench's phases, size by size, on one server started fresh for the run.

Per size: reset the schemas, generate the landing files (generator in a subprocess, its peak
memory from the kernel), the floor job, `dbt build --full-refresh`, the same-work floor (the
build's models without dbt, in a local Spark session), one new day + `dbt build`, then the
analyses. The server's memory is sampled through every phase. Results are written
after each size, so a run that fails or is interrupted still leaves what it measured.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lakehouse import server
from lakehouse.analyst import _server_message, analysis_names
from lakehouse.bench import floor, queries, same_work
from lakehouse.bench.delivery import write_new_day
from lakehouse.bench.machine import machine_info
from lakehouse.bench.memory import MB, PeakSampler, kernel_peak_rss, run_with_peak
from lakehouse.bench.nodes import node_seconds
from lakehouse.bench.sizes import size_label
from lakehouse.bench.stats import summary
from lakehouse.config import PROJECT_DIR, Settings, dbt_env, resolve_settings
from lakehouse.connection import connect, query
from lakehouse.dbt_runner import dbt_executable
from lakehouse.errors import LakehouseError
from lakehouse.jars import fetch_jars
from lakehouse.java import check_java

BENCH_STATE_DIR = PROJECT_DIR / ".lakehouse-bench"
BENCH_PORT = 10021
BENCH_DRIVER_MEMORY = "6g"  # enough for 10M rows on a 2-core, 8+ GB machine
KEEP_SCHEMAS = {"default"}


@dataclass
class BenchOptions:
    sizes: list[int]
    output: Path
    repeats: int = 5  # timed runs of each query, after one warm-up
    build_repeats: int = 1  # runs of the floor job, the full and the incremental build
    invoices_per_customer: int = 5
    new_day_share: float = 0.001  # a new day is ~0.1% of the rows
    corrections: int = 10  # corrected re-deliveries of existing invoices in each new day
    docs_copy: Path | None = None
    progress: Callable[[str], None] = field(default=lambda text: print(text, flush=True))


def bench_settings() -> Settings:
    """The bench's own state folder, port and driver memory, unless the environment says."""
    return resolve_settings(
        defaults={
            "state_dir": BENCH_STATE_DIR,
            "port": BENCH_PORT,
            "driver_memory": BENCH_DRIVER_MEMORY,
        }
    )


def _nodes(log: Path) -> dict:
    """Node-seconds per kind of the build whose output is `log` (its run_results beside it)."""
    return node_seconds(log.with_suffix(".run_results.json"))


def _git_state() -> dict:
    """The commit measured, and the project files that differed from it (work in progress)."""

    def git(*args: str) -> str:
        result = subprocess.run(
            ["git", *args], cwd=PROJECT_DIR, capture_output=True, text=True, check=False
        )
        # Not strip(): a porcelain line starts with its status column, which may be a space.
        return result.stdout.rstrip("\n")

    changed = [line[3:] for line in git("status", "--porcelain").splitlines()]
    return {
        "commit": git("rev-parse", "--short", "HEAD") or "unknown",
        "uncommitted": [path for path in changed if not path.startswith(("benchmarks", "docs"))],
    }


class Bench:
    def __init__(self, settings: Settings, options: BenchOptions) -> None:
        self.settings = settings
        self.options = options
        self.root = settings.state_dir / "bench"
        self.say = options.progress

    # ------------------------------------------------------------------ the run

    def run(self) -> dict:
        from lakehouse.bench import report

        if server.running_server(self.settings):
            raise LakehouseError(
                f"A server of the bench's state folder {self.settings.state_dir} is running.",
                "The bench starts its own fresh server: stop that one first "
                f"(LAKEHOUSE_STATE_DIR={self.settings.state_dir} "
                f"LAKEHOUSE_PORT={self.settings.port} lakehouse server stop).",
            )
        results = report.load_results(self.options.output)
        results["run"] = self._run_info()
        self.say(f"Bench run: sizes {', '.join(size_label(r) for r in self.options.sizes)}; "
                 f"state {self.settings.state_dir}, port {self.settings.port}, driver memory "
                 f"{self.settings.driver_memory}; report in {self.options.output}")  # fmt: skip
        started = time.perf_counter()
        info, _ = server.start(self.settings)
        results["run"]["server_start_s"] = round(time.perf_counter() - started, 1)
        try:
            # dbt's first parse of the project is not part of any timed build.
            self._dbt(["parse"], self.root / "logs" / "parse.log", landing=None)
            for rows in self.options.sizes:
                self._bench_size(rows, info.pid, results)
                report.write_report(results, self.options.output, self.options.docs_copy)
                self.say(f"[{size_label(rows)}] results written to {self.options.output}")
        finally:
            report.write_report(results, self.options.output, self.options.docs_copy)
            self.say("Stopping the bench server ...")
            server.stop(self.settings)
        return results

    def _run_info(self) -> dict:
        return {
            "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": machine_info(),
            "settings": {
                "driver_memory": self.settings.driver_memory,
                "shuffle_partitions": self.settings.shuffle_partitions,
                # As profiles/profiles.yml reads them (its defaults when unset).
                "dbt_threads": os.environ.get("LAKEHOUSE_DBT_THREADS") or "profile default",
                "dbt_poll_interval_s": os.environ.get("LAKEHOUSE_DBT_POLL_INTERVAL")
                or "profile default",
                "spark_confs": {
                    key: value
                    for key, value in server.spark_confs(self.settings).items()
                    if key.startswith(("spark.sql.adaptive", "spark.sql.shuffle", "spark.data"))
                },
                "query_repeats": self.options.repeats,
                "build_repeats": self.options.build_repeats,
                "invoices_per_customer": self.options.invoices_per_customer,
                "new_day_share": self.options.new_day_share,
                "corrections_per_day": self.options.corrections,
            },
            "command": " ".join(["lakehouse", *sys.argv[1:]]) if sys.argv else "",
            "git": _git_state(),
        }

    # ------------------------------------------------------------------ one size

    def _bench_size(self, rows: int, server_pid: int, results: dict) -> dict:
        """Measure one size; its entry is in `results` from the start, so an interrupted
        size is reported with what it completed."""
        label = size_label(rows)
        folder = self.root / label
        landing = folder / "landing"
        entry: dict = {
            "rows": rows,
            "run_started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "completed": [],
            "error": None,
            "run_settings": results["run"]["settings"],
            # Sizes from earlier runs stay in the report: ratios between sizes need the same code.
            "git_commit": results["run"].get("git", {}).get("commit"),
        }
        results["sizes"][label] = entry
        sampler = PeakSampler(server_pid).start()
        # The 1-minute load average after each phase: how much else ran on the machine.
        entry["load_average"] = {}
        phase = "reset"
        try:
            self._reset_schemas()
            phase = "generate"
            entry["generate"] = self._generate(rows, landing, folder / "logs")
            entry["completed"].append(phase)
            entry["load_average"][phase] = round(os.getloadavg()[0], 1)
            phase = "floor"
            with sampler.phase(phase):
                entry["floor"] = self._floor(landing, label)
            entry["completed"].append(phase)
            entry["load_average"][phase] = round(os.getloadavg()[0], 1)
            phase = "full_build"
            with sampler.phase(phase):
                entry["full_build"] = self._full_builds(landing, folder / "logs", label)
            entry["completed"].append(phase)
            entry["load_average"][phase] = round(os.getloadavg()[0], 1)
            phase = "same_work"
            entry["same_work"] = self._same_work(landing, folder, label)
            entry["completed"].append(phase)
            entry["load_average"][phase] = round(os.getloadavg()[0], 1)
            phase = "incremental_build"
            with sampler.phase(phase):
                entry["incremental_build"] = self._incremental_builds(
                    rows, landing, folder / "logs", label
                )
            entry["completed"].append(phase)
            entry["load_average"][phase] = round(os.getloadavg()[0], 1)
            phase = "no_change_build"
            with sampler.phase(phase):
                entry["no_change_build"] = self._no_change_builds(landing, folder / "logs", label)
            entry["completed"].append(phase)
            entry["load_average"][phase] = round(os.getloadavg()[0], 1)
            phase = "no_change_dbt_build"
            with sampler.phase(phase):
                entry[phase] = self._no_change_builds(
                    landing, folder / "logs", label, every_node=True
                )
            entry["completed"].append(phase)
            entry["load_average"][phase] = round(os.getloadavg()[0], 1)
            phase = "queries"
            with sampler.phase(phase):
                entry["queries"] = self._queries(landing, folder / "logs", label)
                entry["scan"] = self._scan(label)
            entry["completed"].append(phase)
            entry["load_average"][phase] = round(os.getloadavg()[0], 1)
        except Exception as exc:
            entry["error"] = f"{phase}: {_server_message(exc)}"
            self.say(f"[{label}] FAILED in {entry['error']}")
        except KeyboardInterrupt:
            entry["error"] = f"{phase}: interrupted (Ctrl-C or SIGTERM)"
            raise
        finally:
            sampler.stop()
            entry["server_peak_rss_mb"] = sampler.peaks_mb()
            kernel_peak = kernel_peak_rss(server_pid)  # since the server started
            if kernel_peak is not None:
                entry["server_kernel_peak_rss_mb"] = round(kernel_peak / MB, 1)
        return entry

    def _reset_schemas(self) -> None:
        """Drop every schema a previous size built, so each size starts from an empty catalog."""
        for (schema,) in query(self.settings, "show schemas"):
            if schema not in KEEP_SCHEMAS:
                query(self.settings, f"drop schema if exists {schema} cascade")

    def _generate(self, rows: int, landing: Path, logs: Path) -> dict:
        label = size_label(rows)
        shutil.rmtree(landing, ignore_errors=True)  # also removes earlier runs' new days
        self.say(f"[{label}] generating {rows:,} invoices ...")
        command = [
            sys.executable, "-m", "lakehouse.cli", "generate",
            "--landing", str(landing), "--rows", str(rows), "--seed", "42",
            "--invoices-per-customer", str(self.options.invoices_per_customer), "--force",
        ]  # fmt: skip
        started = time.perf_counter()
        code, peak_mb = run_with_peak(command, logs / "generate.log")
        seconds = time.perf_counter() - started
        if code != 0:
            raise LakehouseError(f"the generator failed (exit {code}); see {logs / 'generate.log'}")
        files = json.loads((landing / "manifest.json").read_text())["files"]
        self.say(f"[{label}] generated in {seconds:.1f} s, generator peak {peak_mb:.0f} MB")
        return {
            "seconds": seconds,
            "peak_rss_mb": peak_mb,
            "sales_lines": files["sales"]["rows"],
            "sales_bytes": files["sales"]["bytes"],
            "customers": files["customers"]["rows"],
            "customers_bytes": files["customers"]["bytes"],
        }

    def _floor(self, landing: Path, label: str) -> dict:
        query(self.settings, f"create schema if not exists {floor.SCHEMA}")
        runs = []
        for attempt in range(1, self.options.build_repeats + 1):
            started = time.perf_counter()
            query(self.settings, floor.floor_sql(landing))
            runs.append(time.perf_counter() - started)
            self.say(f"[{label}] floor job {attempt}/{self.options.build_repeats}: "
                     f"{runs[-1]:.1f} s")  # fmt: skip
        ((table_rows,),) = query(self.settings, floor.floor_rows_sql())
        return {"runs_s": runs, "rows": int(table_rows), **summary(runs)}

    def _full_builds(self, landing: Path, logs: Path, label: str) -> dict:
        runs = []
        for attempt in range(1, self.options.build_repeats + 1):
            log = logs / f"full_build_{attempt}.log"
            # Every table rebuilt, bronze included (a --full-refresh keeps bronze as loaded).
            runs.append(self._lakehouse_build(["--rebuild-bronze"], log, landing))
            self.say(f"[{label}] lakehouse build --rebuild-bronze {attempt}/"
                     f"{self.options.build_repeats}: {runs[-1]:.1f} s")  # fmt: skip
        return {
            "runs_s": runs,
            "fact_rows": self._fact_rows(),
            "nodes": _nodes(log),
            **summary(runs),
        }

    def _same_work(self, landing: Path, folder: Path, label: str) -> dict:
        """The build's models without dbt, Thrift or tests, in a local Spark session of its
        own (lakehouse/bench/same_work.py); its tables are counted against the build's."""
        manifest = json.loads((self._target_dir() / "manifest.json").read_text())
        seeds = {}
        for relation in same_work.seed_relations(manifest):
            with connect(self.settings) as connection:
                cursor = connection.cursor()
                cursor.execute(f"describe detail {relation}")
                columns = [column[0] for column in cursor.description]
                seeds[relation] = dict(zip(columns, cursor.fetchall()[0], strict=True))["location"]
        plan = same_work.build_plan(manifest, landing, seeds, self.options.build_repeats)
        work = folder / "same-work"
        shutil.rmtree(work, ignore_errors=True)
        (work / "logs").mkdir(parents=True)
        java = check_java()
        session = same_work.session_settings(
            self.settings, work, fetch_jars(self.settings, java.executable.parent.parent)
        )
        spec, result_path = work / "plan.json", work / "result.json"
        spec.write_text(json.dumps({"plan": plan, "session": session}, indent=2) + "\n")
        # The statements as a script, for reading (the plan is what runs).
        (work / "same_work.sql").write_text(
            "".join(f"-- {step['name']}\n{step['sql']};\n\n" for step in plan["timed"])
        )
        self.say(f"[{label}] same-work floor: {len(plan['tables'])} models' statements in a "
                 "local Spark session, no dbt ...")  # fmt: skip
        env = dict(os.environ, JAVA_HOME=str(java.executable.parent.parent))
        env.pop("PYSPARK_SUBMIT_ARGS", None)
        with (folder / "logs" / "same_work.log").open("w") as log:
            code = subprocess.run(
                [sys.executable, "-m", "lakehouse.bench.same_work", str(spec), str(result_path)],
                cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, check=False,
            ).returncode  # fmt: skip
        if code != 0:
            raise LakehouseError(f"the same-work run failed (exit {code}); see "
                                 f"{folder / 'logs' / 'same_work.log'}")  # fmt: skip
        result = json.loads(result_path.read_text())
        runs = [run["seconds"] for run in result["runs"]]
        built = {
            table: int(query(self.settings, f"select count(*) from {table}")[0][0])
            for table in result["rows"]
        }
        mismatches = {
            table: {"same_work": rows, "build": built[table]}
            for table, rows in result["rows"].items()
            if rows != built[table]
        }
        for attempt, seconds in enumerate(runs, 1):
            self.say(f"[{label}] same-work floor {attempt}/{len(runs)}: {seconds:.1f} s "
                     f"(session start {result['session_start_s']:.1f} s, not counted)")  # fmt: skip
        self.say(f"[{label}] same-work tables vs the build's: "
                 + ("same row counts" if not mismatches else f"DIFFER: {mismatches}"))  # fmt: skip
        return {
            "runs_s": runs,
            "session_start_s": result["session_start_s"],
            "statements": len(plan["timed"]),
            "models": len(plan["tables"]),
            "steps_s": result["runs"][-1]["steps"],
            "rows_match_build": not mismatches,
            "row_mismatches": mismatches,
            "left_out": plan["left_out"],
            **summary(runs),
        }

    def _incremental_builds(self, rows: int, landing: Path, logs: Path, label: str) -> dict:
        new_rows = max(1, round(rows * self.options.new_day_share))
        runs, deliveries = [], []
        for attempt in range(1, self.options.build_repeats + 1):
            before = self._fact_rows()
            delivery = write_new_day(landing, new_rows, self.options.corrections, serial=attempt)
            log = logs / f"incremental_build_{attempt}.log"
            seconds = self._lakehouse_build([], log, landing)
            runs.append(seconds)
            after = self._fact_rows()
            deliveries.append({
                "file": delivery.path.name, "new_rows": delivery.new_rows,
                "corrections": delivery.corrections, "fact_rows_added": after - before,
            })  # fmt: skip
            self.say(f"[{label}] new day {delivery.day} ({delivery.new_rows:,} new invoices, "
                     f"{delivery.corrections} corrections) + lakehouse build {attempt}/"
                     f"{self.options.build_repeats}: {seconds:.1f} s; fact +{after - before:,}"
                     )  # fmt: skip
        return {
            "runs_s": runs,
            "deliveries": deliveries,
            "nodes": _nodes(logs / f"incremental_build_{len(runs)}.log"),
            **summary(runs),
        }

    def _no_change_builds(
        self, landing: Path, logs: Path, label: str, every_node: bool = False
    ) -> dict:
        """A build with no new file: `lakehouse build` (finds nothing to do), or with
        every_node `dbt build` (every node runs and finds nothing new: the fixed costs)."""
        runs, name = [], "dbt build" if every_node else "lakehouse build"
        for attempt in range(1, self.options.build_repeats + 1):
            log = logs / f"no_change_{'dbt_' if every_node else ''}build_{attempt}.log"
            if every_node:
                seconds = self._dbt(["build"], log, landing)
            else:
                seconds = self._lakehouse_build([], log, landing)
            runs.append(seconds)
            self.say(f"[{label}] {name} with no new file {attempt}/"
                     f"{self.options.build_repeats}: {seconds:.1f} s")  # fmt: skip
        return {"runs_s": runs, "nodes": _nodes(log), **summary(runs)}

    def _queries(self, landing: Path, logs: Path, label: str) -> dict:
        self._dbt(["compile", "--select", *analysis_names()], logs / "compile.log", landing)
        compiled = self._target_dir() / "compiled" / "retail_lakehouse" / "analyses"
        self.say(f"[{label}] analyst queries: 1 warm-up + {self.options.repeats} runs each ...")
        timings = queries.time_queries(
            self.settings, queries.compiled_queries(compiled), self.options.repeats
        )
        for name, result in timings.items():
            self.say(f"[{label}]   {name:<40} p50 {result['p50']:.2f} s  "
                     f"p95 {result['p95']:.2f} s")  # fmt: skip
        return timings

    def _scan(self, label: str) -> dict:
        scan = queries.scan_metrics(self.settings)
        self.say(f"[{label}] one-month query: Spark read {scan['month_files']} of "
                 f"{scan['fact_files']} fact files ({scan['unpruned_files']} with the filter on "
                 "invoice_date, where pruning cannot apply)")  # fmt: skip
        return scan

    # ------------------------------------------------------------------ helpers

    def _fact_rows(self) -> int:
        ((count,),) = query(self.settings, f"select count(*) from {queries.FACT}")
        return int(count)

    def _target_dir(self) -> Path:
        # dbt's target/ of the bench, apart from the project's (others may run dbt meanwhile).
        return self.root / "dbt-target"

    def _dbt(self, args: list[str], log: Path, landing: Path | None) -> float:
        """Run dbt with its output in `log`; seconds it took. Raises when it fails."""
        return self._timed([dbt_executable(), *args], f"dbt {' '.join(args)}", log, landing)

    def _lakehouse_build(self, args: list[str], log: Path, landing: Path) -> float:
        """`lakehouse build` as a user runs it (plans, runs dbt for the plan, records)."""
        command = [sys.executable, "-m", "lakehouse.cli", "build", *args]
        return self._timed(command, f"lakehouse build {' '.join(args)}", log, landing)

    def _timed(self, command: list[str], what: str, log: Path, landing: Path | None) -> float:
        env = dbt_env(self.settings)
        env.update(DBT_TARGET_PATH=str(self._target_dir()), DBT_LOG_PATH=str(self.root / "logs"))
        if landing is not None:
            env["LAKEHOUSE_LANDING_DIR"] = str(landing)
        log.parent.mkdir(parents=True, exist_ok=True)
        run_results = self._target_dir() / "run_results.json"
        log.with_suffix(".run_results.json").unlink(missing_ok=True)  # an earlier run's
        written_before = run_results.stat().st_mtime_ns if run_results.exists() else None
        started = time.perf_counter()
        with log.open("w") as out:
            result = subprocess.run(
                command, cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
                check=False,
            )  # fmt: skip
        seconds = time.perf_counter() - started
        # Keep each build's per-node timings beside its log (the next dbt call replaces them);
        # a `lakehouse build` with nothing to do runs no dbt and leaves none.
        if run_results.exists() and run_results.stat().st_mtime_ns != written_before:
            shutil.copyfile(run_results, log.with_suffix(".run_results.json"))
        if result.returncode != 0:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
            raise LakehouseError(f"`{what}` failed; end of {log}:\n{tail}")
        return seconds
