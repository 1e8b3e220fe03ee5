"""The bench's report: results.json, REPORT.md (tables, targets) and chart.png.

Sizes measured by earlier runs stay in the report until a run measures them again, so the
small sizes and 10M can be run apart; every size keeps the time and settings of its run.
A hand-written `findings.md` in the output folder (tuning, model-level findings) is appended.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from lakehouse.bench.nodes import KINDS

PHASES = {
    "floor": "floor job",
    "full_build": "full build",
    "same_work": "same-work floor",
    "incremental_build": "incremental",
    "no_change_build": "nothing new",
    "no_change_dbt_build": "nothing new, dbt build",
}
# The phases that run on the server (the same-work floor runs in a Spark session of its own).
SERVER_PHASES = (
    "floor", "full_build", "incremental_build", "no_change_build", "no_change_dbt_build"
)  # fmt: skip
FINDINGS_FILE = "findings.md"


# ---------------------------------------------------------------------------- results


def load_results(output: Path, keep_run: bool = False) -> dict:
    """The sizes of an earlier report in `output` (kept until measured again), or none;
    with keep_run, also that report's run (to render it again)."""
    try:
        earlier = json.loads((output / "results.json").read_text())
        results = {"sizes": dict(earlier.get("sizes", {}))}
        if keep_run and "run" in earlier:
            results["run"] = earlier["run"]
        return results
    except (FileNotFoundError, ValueError, AttributeError):
        return {"sizes": {}}


def _sizes(results: dict) -> list[tuple[str, dict]]:
    return sorted(results["sizes"].items(), key=lambda item: item[1]["rows"])


def _median(entry: dict | None, phase: str) -> float | None:
    return ((entry or {}).get(phase) or {}).get("median")


def _gb(memory: str) -> float:
    """'6g' -> 6.0, '4096m' -> 4.0 (Spark's memory strings)."""
    text = memory.strip().lower()
    factor = {"g": 1.0, "m": 1 / 1024, "t": 1024.0}.get(text[-1:], 1 / 2**30)
    number = text[:-1] if text[-1:] in "gmt" else text
    return float(number) * factor


def _end_to_end_verdict(error: str | None) -> str:
    if not error:
        return "met"
    if "interrupted" in error:  # stopped by hand: no verdict either way
        return f"not measured: stopped during {error.split(':')[0]}"
    return f"missed: {error.splitlines()[0]}"


def _server_peak_mb(entry: dict) -> float | None:
    """The server's peak RSS: the kernel's high-water mark where known, else the sampled."""
    sampled = max((entry.get("server_peak_rss_mb") or {}).values(), default=None)
    return entry.get("server_kernel_peak_rss_mb", sampled)


# ---------------------------------------------------------------------------- targets


def _verdict(value: float | None, limit: float, below: bool = False) -> str:
    """'met' or 'missed by N%' (how far past the limit); strict when `below`."""
    if value is None:
        return "not measured"
    if value < limit or (value == limit and not below):
        return "met"
    if not limit:
        return "missed"
    over = value / limit
    return f"missed by {over - 1:.0%}" if over < 2 else f"missed: {over:.1f}x the limit"


def targets(results: dict) -> list[dict[str, str]]:
    sizes = results["sizes"]
    one, ten = sizes.get("1M"), sizes.get("10M")
    rows = []

    def add(target: str, measured: str, status: str) -> None:
        rows.append({"target": target, "measured": measured, "status": status})

    def ratio(a: float | None, b: float | None) -> float | None:
        return a / b if a is not None and b else None

    def fmt(value: float | None, unit: str = "x", digits: int = 2) -> str:
        return "n/a" if value is None else f"{value:.{digits}f}{unit}"

    hundred_k = sizes.get("100k")
    full_vs_same = ratio(_median(one, "full_build"), _median(one, "same_work"))
    add(
        "full build at 1M <= 3x the same-work floor (the price of orchestration)",
        fmt(full_vs_same),
        _verdict(full_vs_same, 3),
    )
    every_node = (one or {}).get("no_change_dbt_build") or {}
    test_nodes = every_node.get("nodes", {}).get("data tests")
    add(
        "a data test at 1M <= 0.3 s on average (`dbt build` with nothing new: tests that pass)",
        "n/a"
        if test_nodes is None
        else f"{test_nodes['mean_s']:.2f} s over {test_nodes['nodes']} tests",
        _verdict(None if test_nodes is None else test_nodes["mean_s"], 0.3),
    )
    full_vs_floor = ratio(_median(one, "full_build"), _median(one, "floor"))
    add("full build at 1M <= 3x the floor job", fmt(full_vs_floor), _verdict(full_vs_floor, 3))
    for label, entry, limit in (("100k", hundred_k, 35), ("1M", one, 50)):
        full = _median(entry, "full_build")
        add(f"full build at {label} <= {limit} s", fmt(full, " s", 1), _verdict(full, limit))
    incr = _median(one, "incremental_build")
    add("one new day at 1M <= 25 s", fmt(incr, " s", 1), _verdict(incr, 25))
    incr_share = ratio(incr, _median(one, "full_build"))
    add(
        "one new day at 1M <= 25% of the full build",
        fmt(None if incr_share is None else incr_share * 100, "%", 0),
        _verdict(incr_share, 0.25),
    )
    # A size kept from an earlier run may have been measured with other code.
    other_code = (
        one is not None and ten is not None and one.get("git_commit") != ten.get("git_commit")
    )
    earlier = f"10M from an earlier run ({(ten or {}).get('run_started_at', '?')}), other code"

    def add_growth(target: str, value: float | None, limit: float) -> None:
        if other_code:
            add(target, f"{fmt(value)} ({earlier})", "not comparable: rerun 10M")
        else:
            add(target, fmt(value), _verdict(value, limit))

    incr_growth = ratio(_median(ten, "incremental_build"), incr)
    add_growth("one new day at 10M <= 1.3x the same at 1M", incr_growth, 1.3)
    unchanged = _median(one, "no_change_build")
    add("a build with no new file at 1M <= 15 s", fmt(unchanged, " s", 1), _verdict(unchanged, 15))
    full_growth = ratio(_median(ten, "full_build"), _median(one, "full_build"))
    add_growth("full build 1M -> 10M <= 10x", full_growth, 10)

    for size_label, entry in (("1M", one), ("10M", ten)):
        target = f"analyst queries at {size_label}: p50 <= 1 s each (JDBC)"
        timings = (entry or {}).get("queries") or {}
        if timings:
            worst = max(timings, key=lambda name: timings[name]["p50"])
            add(
                target,
                f"slowest p50 {timings[worst]['p50']:.2f} s ({worst})",
                _verdict(timings[worst]["p50"], 1.0),
            )
        else:
            add(target, "n/a", "not measured")
    scan = (one or {}).get("scan")
    add(
        "one-month query at 1M reads <= 1/10 of the fact's files",
        f"{scan['month_files']} of {scan['fact_files']} files ({scan['share_read']:.1%}"
        + (", Spark's scan metric)" if scan.get("source") else ", files of the rows returned)")
        if scan
        else "n/a",
        _verdict(scan["share_read"] if scan else None, 0.1),
    )
    if ten is None:
        add("10M rows end to end without failure", "not run", "not measured")
    else:
        add(
            "10M rows end to end without failure",
            "completed: " + (", ".join(ten["completed"]) or "nothing"),
            _end_to_end_verdict(ten.get("error")),
        )
    if ten is not None:
        setting = ten.get("run_settings", {}).get("driver_memory", "?")
        peak_mb = _server_peak_mb(ten)
        peak_gb = None if peak_mb is None else peak_mb / 1024
        if setting == "?" or _gb(setting) > 8:
            status = f"missed: driver memory {setting}"
        elif peak_gb is not None and peak_gb > 8:  # heap within 8 GiB, the process beyond it
            status = f"met for the heap; process RSS over 8 GiB by {peak_gb / 8 - 1:.0%}"
        else:
            status = "met"
        add(
            "10M: server driver memory <= 8 GiB",
            f"driver memory (heap) {setting}; peak RSS of the server process "
            f"{fmt(peak_gb, ' GiB', 1)}",
            status,
        )
    else:
        add("10M: server driver memory <= 8 GiB", "not run", "not measured")
    generator_peaks = {
        label: entry["generate"]["peak_rss_mb"]
        for label, entry in sizes.items()
        if "generate" in entry
    }
    if generator_peaks:
        label = max(generator_peaks, key=generator_peaks.get)
        peak_gb = generator_peaks[label] / 1024
        add(
            "generator peak memory < 2 GiB (the highest of the sizes)",
            f"{peak_gb:.2f} GiB at {label}"
            + ("" if "10M" in generator_peaks else " (10M not run)"),
            _verdict(peak_gb, 2, below=True),
        )
    return rows


# ---------------------------------------------------------------------------- markdown


def _table(header: list[str], body: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return lines + [""]


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def node_time_section(sizes: list[tuple[str, dict]]) -> list[str]:
    """Node-seconds per kind of node in the last run of each build (its run_results.json)."""
    kinds = list(KINDS.values())
    body = []
    for label, entry in sizes:
        for phase, name in PHASES.items():
            nodes = (entry.get(phase) or {}).get("nodes")
            if not nodes:
                continue
            cells = []
            for kind in kinds:
                k = nodes.get(kind)
                cells.append(f"{k['nodes']} / {k['seconds']:.1f} / {k['mean_s']:.2f}" if k else "-")
            body.append([label, name, _s(nodes.get("elapsed_s")), *cells])
    if not body:
        return []
    return [
        "## Where a build's time goes (last run of each build)",
        "",
        "Per kind of dbt node: nodes / node-seconds / mean seconds per node, from the build's "
        "run_results.json. Node-seconds add up over dbt's threads, so they exceed the elapsed "
        "time when nodes overlap; dbt's start (parsing, the schema listing, the on-run-start "
        "hooks) is in the elapsed time but in no node.",
        "",
        *_table(["size", "build", "dbt elapsed", *kinds], body),
    ]


def render_markdown(results: dict, chart_link: str = "chart.png", findings: str = "") -> str:
    run = results.get("run", {})
    machine = run.get("machine", {})
    settings = run.get("settings", {})
    sizes = _sizes(results)
    out = ["# Benchmark report", ""]
    out += [
        f"Latest run started {run.get('started_at', '?')} (`{run.get('command', '')}`); "
        "sizes from earlier runs keep their own start time (below). Produced by "
        "`lakehouse bench` (`make bench`); raw numbers in `results.json`.",
        "",
        "Every time is wall-clock seconds seen by the client. Builds run on one Thrift server "
        "started fresh for the run; each size starts from an empty catalog. The full build, "
        "the new days (one new sales file each) and the build with nothing new run "
        "`lakehouse build`, the daily build, which plans before dbt starts (it selects the "
        "nodes a new sales file reaches, and runs nothing when nothing is new); `nothing new, "
        "dbt build` is a plain `dbt build` with nothing new, every node running: the fixed "
        "cost of the nodes. The floor job is "
        "one Spark SQL statement (CSV + parquet read, one join, one Delta write) through the "
        "same server. The same-work floor runs the statements of the build's models (the compiled "
        "SQL of the full build, in DAG order, same tables out) in one local Spark session with "
        "the server's settings: no dbt, no Thrift, no tests or hooks (its row counts are "
        "checked against the build's). `full / same-work` is the price of orchestration, "
        "`same-work / floor` the price of the rules. Queries run over the HiveServer2 (JDBC) "
        f"protocol: one warm-up, then {settings.get('query_repeats', '?')} timed runs each.",
        "",
    ]
    out += ["## Machine", ""]
    out += _table(["item", "value"], [[k, str(v)] for k, v in machine.items()])
    out += ["## Settings", ""]
    out += _table(
        ["setting", "value"],
        [[k, f"`{v}`" if isinstance(v, dict) else str(v)] for k, v in settings.items()],
    )

    out += ["## Targets", ""]
    out += _table(
        ["target", "measured", "status"],
        [[t["target"], t["measured"], t["status"]] for t in targets(results)],
    )

    out += ["## Build times (median seconds)", ""]
    body = []

    def times(a: float | None, b: float | None) -> str:
        return f"{a / b:.1f}x" if a and b else "-"

    for label, entry in sizes:
        floor_s, full_s = _median(entry, "floor"), _median(entry, "full_build")
        incr_s, same_s = _median(entry, "incremental_build"), _median(entry, "same_work")
        unchanged_s = _median(entry, "no_change_build")
        unchanged_dbt_s = _median(entry, "no_change_dbt_build")
        generate = entry.get("generate", {})
        body.append([
            label,
            f"{generate.get('sales_lines', entry['rows']):,}",
            _s(generate.get("seconds")),
            _s(floor_s),
            _s(same_s),
            _s(full_s),
            _s(incr_s),
            _s(unchanged_s),
            _s(unchanged_dbt_s),
            times(full_s, floor_s),
            times(full_s, same_s),
            times(same_s, floor_s),
            f"{incr_s / full_s:.0%}" if incr_s and full_s else "-",
            f"{entry['rows'] / full_s:,.0f}" if full_s else "-",
            entry.get("run_started_at", "?"),
        ])  # fmt: skip
    out += _table(
        ["size", "sales lines", "generate", "floor", "same-work", "full build", "incremental",
         "nothing new", "nothing new, dbt build", "full / floor", "full / same-work",
         "same-work / floor", "incr. / full", "rows/s (full)", "run started"],
        body,
    )  # fmt: skip
    mismatched = [
        label for label, entry in sizes
        if entry.get("same_work") and not entry["same_work"].get("rows_match_build", True)
    ]  # fmt: skip
    left_out = next((e["same_work"]["left_out"] for _, e in sizes if e.get("same_work")), [])
    if left_out:
        out += ["Left out of the same-work floor: " + "; ".join(left_out) + ".", ""]
    if mismatched:
        out += [f"**The same-work tables differ from the build's in row count at "
                f"{', '.join(mismatched)}** (results.json, `row_mismatches`).", ""]  # fmt: skip
    out += [f"![build time and rows/s against rows]({chart_link})", ""]

    out += node_time_section(sizes)
    out += ["## Noise (spread over repeats)", ""]
    out += [
        "spread = (max - min) / median. With one run per phase there is no spread to show; "
        "the query repeats and the comparison between sizes are then the noise indication.",
        "",
    ]
    body = []
    for label, entry in sizes:
        for phase, name in PHASES.items():
            if entry.get(phase):
                p = entry[phase]
                runs = ", ".join(f"{r:.1f}" for r in p["runs_s"])
                body.append([label, name, runs, _s(p["min"]), _s(p["median"]), _s(p["max"]),
                             f"{p['spread']:.0%}"])  # fmt: skip
    out += _table(["size", "phase", "runs (s)", "min", "median", "max", "spread"], body)
    loads = [(label, entry.get("load_average") or {}) for label, entry in sizes]
    if any(load for _, load in loads):
        cores = machine.get("cores", "?")
        out += [
            f"1-minute load average after each phase ({cores} cores: a load above {cores} "
            "means other work was waiting for the CPU as well):",
            "",
        ]
        phases = ["generate", *PHASES, "queries"]
        out += _table(
            ["size", *phases],
            [[label, *[str(load.get(p, "-")) for p in phases]] for label, load in loads],
        )

    out += ["## Analyst queries (seconds, p50 / p95, and spread)", ""]
    labels = [label for label, entry in sizes if entry.get("queries")]
    names = sorted({name for _, entry in sizes for name in (entry.get("queries") or {})})
    body = []
    for name in names:
        row = [f"`{name}`"]
        for label in labels:
            q = results["sizes"][label]["queries"].get(name)
            row.append(f"{q['p50']:.2f} / {q['p95']:.2f} ({q['spread']:.0%})" if q else "-")
        body.append(row)
    out += _table(["query", *labels], body)

    out += ["## Scan metrics of the one-month query", ""]
    out += [
        "Files of `gold.fct_sales` (Delta `describe detail`) against the files Spark's scan "
        "read for the one-month query (filter on the partition columns): the scan's SQL metric "
        '"number of files read", from the server\'s monitoring API. The control is the same '
        "query filtered on `date_trunc('month', invoice_date)`: the same rows, but nothing to "
        "prune by, so it reads every file. Sizes measured before the metric came from Spark "
        "show the files of the rows returned, which does not show whether pruning happened.",
        "",
    ]
    body = []
    for label, entry in sizes:
        scan = entry.get("scan")
        if scan:
            counted_by = "Spark scan metric" if scan.get("source") else "rows returned"
            body.append([label, scan["month"], str(scan["months"]), str(scan["fact_files"]),
                         f"{scan['fact_bytes'] / 2**20:.1f}", str(scan["month_files"]),
                         f"{scan['share_read']:.1%}", str(scan.get("unpruned_files", "-")),
                         counted_by])  # fmt: skip
    out += _table(
        ["size", "month", "months in fact", "fact files", "fact MB", "files read", "share",
         "files read, no pruning", "counted by"],
        body,
    )  # fmt: skip

    out += ["## Memory (peak RSS, MiB)", ""]
    out += [
        "Generator: the kernel's peak for its process. Server: the JVM's RSS sampled every "
        "0.25 s during each phase, and the kernel's high-water mark (VmHWM) since the server "
        "started, read after the size (it covers the smaller sizes run before it).",
        "",
    ]
    body = []
    for label, entry in sizes:
        peaks = entry.get("server_peak_rss_mb", {})
        body.append([
            label,
            f"{entry['generate']['peak_rss_mb']:.0f}" if entry.get("generate") else "-",
            *[f"{peaks[p]:.0f}" if p in peaks else "-" for p in [*SERVER_PHASES, "queries"]],
            f"{entry['server_kernel_peak_rss_mb']:.0f}"
            if "server_kernel_peak_rss_mb" in entry
            else "-",
            entry.get("run_settings", {}).get("driver_memory", "?"),
        ])  # fmt: skip
    out += _table(
        ["size", "generator", "server: floor", "server: full", "server: incr.",
         "server: nothing new", "server: nothing new, dbt build", "server: queries",
         "server: kernel peak", "driver memory"],
        body,
    )  # fmt: skip

    failures = [(label, entry) for label, entry in sizes if entry.get("error")]
    if failures:
        out += ["## Failures and interruptions", ""]
        for label, entry in failures:
            completed = ", ".join(entry["completed"]) or "nothing"
            out += [f"- **{label}**: completed {completed}; then `{entry['error']}`"]
        out += [""]
    if findings.strip():
        out += [findings.strip(), ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------- chart


def write_chart(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    sizes = _sizes(results)
    figure, (times, rates) = plt.subplots(1, 2, figsize=(11, 4.2))
    for phase, name in PHASES.items():
        points = [(e["rows"], _median(e, phase)) for _, e in sizes if _median(e, phase)]
        if not points:
            continue
        xs, ys = zip(*points, strict=True)
        times.plot(xs, ys, marker="o", label=name)
        rates.plot(xs, [x / y for x, y in points], marker="o", label=name)
    for axis, title in ((times, "build time (s, median)"), (rates, "rows/s (sales rows / time)")):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("sales rows")
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


# ---------------------------------------------------------------------------- files


def write_report(results: dict, output: Path, docs_copy: Path | None = None) -> None:
    """results.json, chart.png and REPORT.md in `output`; a copy of the report in docs."""
    output.mkdir(parents=True, exist_ok=True)
    (output / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    write_chart(results, output / "chart.png")
    findings_path = output / FINDINGS_FILE
    findings = findings_path.read_text() if findings_path.exists() else ""
    (output / "REPORT.md").write_text(render_markdown(results, "chart.png", findings))
    if docs_copy is not None:
        docs_copy.parent.mkdir(parents=True, exist_ok=True)
        link = os.path.relpath(output / "chart.png", docs_copy.parent)
        docs_copy.write_text(render_markdown(results, link, findings))
