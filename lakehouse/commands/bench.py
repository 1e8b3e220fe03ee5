"""`lakehouse bench`: build time, scale and memory of the pipeline, with a written report."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path

from lakehouse.config import PROJECT_DIR
from lakehouse.errors import LakehouseError

DEFAULT_OUTPUT = PROJECT_DIR / "benchmarks"
DOCS_COPY = PROJECT_DIR / "docs" / "benchmarks.md"

DESCRIPTION = """\
Benchmark the pipeline at several sizes on one freshly started server of its own
(state folder .lakehouse-bench/, port 10021, driver memory 6g, unless LAKEHOUSE_STATE_DIR,
LAKEHOUSE_PORT or LAKEHOUSE_DRIVER_MEMORY say otherwise). For each size:

  1. generate the landing files (~5 invoices per customer); the generator's peak memory
  2. the floor job: one Spark SQL statement that reads both files, joins, writes Delta
  3. dbt build --full-refresh
  4. the same-work floor: that build's compiled model SQL, in DAG order, in one local Spark
     session with no dbt, Thrift or tests (build / same-work = the price of orchestration,
     same-work / floor = the price of the rules)
  5. one new day of sales (~0.1% of the rows + a few corrections) as a new file, dbt build
  6. dbt build with no new file (what a build costs when there is nothing to do)
  7. every analysis in analyses/ (and a one-month query) over JDBC: 1 warm-up + N runs,
     p50/p95; the files Spark's scan read for a one-month query (its SQL metrics) against
     the fact's files, and for the same query with a filter pruning cannot use

Each build's node-seconds per kind of node (seeds, models, data and unit tests, hooks) come
from its run_results.json. The server's memory is sampled throughout. The server is
stopped at the end, also on a failure or Ctrl-C. Writes results.json, REPORT.md (targets
met or missed) and chart.png; with the default --output the report is also copied to
docs/benchmarks.md. Sizes not run again keep their earlier results in the report (a ratio
between sizes measured with other code is reported, not judged). Generated data stays in
the state folder.
"""


def _sizes(text: str) -> list[int]:
    from lakehouse.bench.sizes import parse_sizes

    try:
        return parse_sizes(text)
    except LakehouseError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="benchmark build time, scale and memory against a floor job; write a report",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=_sizes("100k,1M,10M"),
        help="sales rows per size, comma separated (default 100k,1M,10M)",
    )
    parser.add_argument(
        "--repeats",
        type=_positive,
        default=5,
        help="timed runs of each query after one warm-up (default 5)",
    )
    parser.add_argument(
        "--build-repeats",
        type=_positive,
        default=1,
        help="runs of the floor job, the full build, the same-work floor and the incremental "
        "build per size (default 1)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="report folder (default benchmarks/)",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="run nothing: write REPORT.md and chart.png again from results.json "
        "(e.g. after editing findings.md in the report folder)",
    )
    parser.set_defaults(handler=_bench)


def _stop_on_sigterm(signum: int, frame: object) -> None:
    # `kill` (and nohup'd runs, where SIGINT is ignored) gets the same clean stop as Ctrl-C:
    # the results so far are written and the bench's server is stopped.
    raise KeyboardInterrupt


def _bench(args: argparse.Namespace) -> int:
    from lakehouse.bench.runner import Bench, BenchOptions, bench_settings

    signal.signal(signal.SIGTERM, _stop_on_sigterm)

    output = args.output.resolve()
    docs_copy = DOCS_COPY if output == DEFAULT_OUTPUT.resolve() else None
    if args.report_only:
        from lakehouse.bench.report import load_results, write_report

        results = load_results(output, keep_run=True)
        if not results["sizes"]:
            raise LakehouseError(f"No results in {output / 'results.json'}.", "Run the bench.")
        write_report(results, output, docs_copy)
        print(f"Report: {output / 'REPORT.md'}")
        return 0
    options = BenchOptions(
        sizes=args.sizes,
        output=output,
        repeats=args.repeats,
        build_repeats=args.build_repeats,
        docs_copy=docs_copy,
    )
    results = Bench(bench_settings(), options).run()
    failed = [label for label, entry in results["sizes"].items() if entry.get("error")]
    print(f"Report: {output / 'REPORT.md'}")
    if failed:
        print(f"Failed sizes: {', '.join(failed)} (see the report's Failures section).")
        return 1
    return 0
