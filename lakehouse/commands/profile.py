"""`lakehouse profile`: the data-profiling report of the landing files."""

from __future__ import annotations

import argparse
from pathlib import Path

from lakehouse.commands.options import add_options, settings_from


def _positive(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("give at least 1 row")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    from lakehouse.profile import DEFAULT_SAMPLE_ROWS

    parser = subparsers.add_parser(
        "profile",
        help="profile the landing files: distributions, keys, anomalies (HTML + JSON)",
        description=(
            "Profile every delivery of the landing folder (customers/*.parquet, "
            "sales/*.csv: the files dbt reads): column statistics, charts, nulls, outliers, "
            "candidate keys, format and referential checks, duplicates, malformed lines and "
            "the anomalies of the catalogue, each counted from the files alone. Writes "
            "profile_report.html (self-contained) and profile_summary.json."
        ),
    )
    add_options(parser, "landing")
    parser.add_argument("--out", type=Path, help="report folder (default: <state>/profile)")
    parser.add_argument(
        "--sample-rows",
        type=_positive,
        default=DEFAULT_SAMPLE_ROWS,
        metavar="N",
        help="profile only the first N data lines of a bigger file "
        f"(default {DEFAULT_SAMPLE_ROWS:,})",
    )
    parser.set_defaults(handler=_profile)


def _profile(args: argparse.Namespace) -> int:
    from lakehouse.profile import profile

    settings = settings_from(args)
    landing = settings.landing_dir
    out = (args.out or settings.state_dir / "profile").expanduser()
    summary = profile(landing, out, args.sample_rows)
    sales = summary["files"]["sales"]
    dirty = sum(summary["anomalies"].values())
    print(
        f"Profiled {sales['profiled_rows']:,} of {sales['total_rows']:,} sales lines and "
        f"{summary['files']['customers']['profiled_rows']:,} customer rows in "
        f"{summary['runtime_s']:.1f} s."
    )
    if summary["sampled"]:
        print(f"Sampled: {summary['sampling_method']}.")
    present = {name: count for name, count in summary["anomalies"].items() if count}
    print(
        f"{dirty:,} anomalous rows, {len(present)} kinds: "
        + ", ".join(f"{name} {count:,}" for name, count in present.items())
    )
    print(f"Report: {summary['outputs']['html']}")
    print(f"Summary: {summary['outputs']['json']}")
    return 0
