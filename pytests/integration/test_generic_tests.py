"""The project's expectation tests (tests/generic), run against fixtures where each must pass
and where each must fail.

The fixture project pytests/support/dbt_generic_tests/ reads the generic tests through its macro
paths and applies each one to a clean batch of rows (tests named `*__must_pass`) and to a
dirty batch that breaks it in a known way (`*__must_fail`, with the number of failing rows
expected in `config.meta.expected_failures`); a misuse the test must refuse when it compiles
is `*__must_error`, with a piece of the message in `config.meta.expected_error`. One
`dbt build` runs them all; the tests below read its manifest and run results.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from lakehouse.config import PROJECT_DIR, Settings
from lakehouse.connection import client_host, query
from lakehouse.dbt_runner import dbt_executable

FIXTURE_PROJECT = Path(__file__).resolve().parents[1] / "support" / "dbt_generic_tests"
GENERIC_TESTS_DIR = PROJECT_DIR / "tests" / "generic"
MUST_PASS, MUST_FAIL, MUST_ERROR = "__must_pass", "__must_fail", "__must_error"
# A documented argument that does not match the test's signature is an error, not a warning.
WARN_ERROR_OPTIONS = json.dumps({"error": ["InvalidMacroAnnotation", "MacroNotFoundForPatch"]})


@dataclass(frozen=True)
class CaseOutcome:
    name: str  # the data test's name in the fixture YAML
    generic_test: str  # which generic test it applies
    status: str  # pass, fail, error, ...
    failures: int | None  # rows returned by the test query
    expected_failures: int | None
    expected_error: str | None  # a piece of the compilation error's message
    relation_name: str | None  # where store_failures kept the rows
    message: str | None


@dataclass(frozen=True)
class BuildResult:
    outcomes: dict[str, CaseOutcome]
    other_statuses: dict[str, str]  # seeds and models: unique_id -> status
    output: str


def generic_test_names() -> set[str]:
    """The generic tests the project defines: one `{% test name(...) %}` per file."""
    return {path.stem for path in GENERIC_TESTS_DIR.glob("*.sql")}


@pytest.fixture(scope="module")
def fixture_build(lakehouse_server: Settings, tmp_path_factory) -> BuildResult:
    """Seed the fixtures, build the view and run every fixture test, once for this module."""
    target = tmp_path_factory.mktemp("generic_tests_target")
    env = dict(
        os.environ,
        DBT_PROFILES_DIR=str(FIXTURE_PROJECT),
        LAKEHOUSE_HOST=client_host(lakehouse_server),
        LAKEHOUSE_PORT=str(lakehouse_server.port),
    )
    command = [
        dbt_executable(),
        "--warn-error-options", WARN_ERROR_OPTIONS,
        "build",
        "--target-path", str(target),
        "--log-path", str(target / "logs"),
    ]  # fmt: skip
    completed = subprocess.run(
        command,
        cwd=FIXTURE_PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = completed.stdout + completed.stderr
    run_results_path = target / "run_results.json"
    # Exit code 1 is expected (the must_fail tests fail); 2 means dbt itself could not run.
    assert completed.returncode in (0, 1) and run_results_path.exists(), (
        f"dbt build did not run (exit code {completed.returncode}):\n{output[-4000:]}"
    )
    manifest = json.loads((target / "manifest.json").read_text())
    run_results = json.loads(run_results_path.read_text())

    outcomes: dict[str, CaseOutcome] = {}
    others: dict[str, str] = {}
    for result in run_results["results"]:
        node = manifest["nodes"][result["unique_id"]]
        if node["resource_type"] != "test":
            others[result["unique_id"]] = result["status"]
            continue
        outcomes[node["name"]] = CaseOutcome(
            name=node["name"],
            generic_test=node["test_metadata"]["name"],
            status=result["status"],
            failures=result.get("failures"),
            expected_failures=node["config"].get("meta", {}).get("expected_failures"),
            expected_error=node["config"].get("meta", {}).get("expected_error"),
            relation_name=result.get("relation_name") or node.get("relation_name"),
            message=result.get("message"),
        )
    return BuildResult(outcomes, others, output)


def test_fixtures_are_built(fixture_build: BuildResult) -> None:
    assert fixture_build.other_statuses, "no seed or model ran"
    statuses = fixture_build.other_statuses
    broken = {uid: status for uid, status in statuses.items() if status != "success"}
    assert not broken, f"fixtures not built: {broken}\n{fixture_build.output[-4000:]}"


def test_every_fixture_test_says_whether_it_must_pass_or_fail(fixture_build: BuildResult) -> None:
    suffixes = (MUST_PASS, MUST_FAIL, MUST_ERROR)
    unnamed = [name for name in fixture_build.outcomes if not name.endswith(suffixes)]
    assert not unnamed, f"name these with one of {suffixes}: {unnamed}"


def test_must_pass_tests_pass(fixture_build: BuildResult) -> None:
    cases = [o for o in fixture_build.outcomes.values() if o.name.endswith(MUST_PASS)]
    assert cases
    wrong = [
        f"{o.name} ({o.generic_test}): {o.status}, {o.failures} failing rows; {o.message}"
        for o in cases
        if o.status != "pass" or o.failures != 0
    ]
    assert not wrong, "must pass, did not:\n" + "\n".join(wrong)


def test_must_fail_tests_fail_with_the_expected_rows(fixture_build: BuildResult) -> None:
    cases = [o for o in fixture_build.outcomes.values() if o.name.endswith(MUST_FAIL)]
    assert cases
    missing = [o.name for o in cases if o.expected_failures is None]
    assert not missing, f"give config.meta.expected_failures for: {missing}"
    wrong = [
        f"{o.name} ({o.generic_test}): {o.status} with {o.failures} failing rows, "
        f"expected fail with {o.expected_failures}; {o.message}"
        for o in cases
        if o.status != "fail" or o.failures != o.expected_failures
    ]
    assert not wrong, "must fail, did not as expected:\n" + "\n".join(wrong)


def test_unknown_regex_flags_are_refused_when_the_test_compiles(
    fixture_build: BuildResult,
) -> None:
    """A flag Java lacks (PostgreSQL's `c`) stops the test before any query, naming the flag."""
    cases = [o for o in fixture_build.outcomes.values() if o.name.endswith(MUST_ERROR)]
    assert {o.generic_test for o in cases} == {
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_match_regex",
    }
    for outcome in cases:
        assert outcome.expected_error, f"give config.meta.expected_error for {outcome.name}"
        assert outcome.status == "error", f"{outcome.name}: {outcome.status}"
        assert outcome.failures is None, f"{outcome.name} ran a query: {outcome.failures} rows"
        assert "Compilation Error" in (outcome.message or ""), outcome.message
        assert outcome.expected_error in (outcome.message or ""), outcome.message


def test_every_generic_test_is_covered_both_ways(fixture_build: BuildResult) -> None:
    expected = generic_test_names()
    assert len(expected) == 39, f"tests/generic defines {sorted(expected)}"
    for suffix in (MUST_PASS, MUST_FAIL):
        outcomes = fixture_build.outcomes.values()
        covered = {o.generic_test for o in outcomes if o.name.endswith(suffix)}
        assert covered == expected, (
            f"{suffix[2:]} cases missing for {sorted(expected - covered)}; "
            f"unknown tests {sorted(covered - expected)}"
        )


def test_stored_failures_are_the_failing_rows(
    fixture_build: BuildResult, lakehouse_server: Settings
) -> None:
    """store_failures keeps the rows that broke the expectation, with their columns."""
    outcome = fixture_build.outcomes["pair_greater__dirty__must_fail"]
    assert outcome.relation_name, "store_failures is configured on this test"
    rows = query(
        lakehouse_server,
        f"select order_id, cast(gross_amount as string), cast(net_amount as string) "
        f"from {outcome.relation_name} order by order_id, net_amount",
    )
    assert rows == [
        (6, "0.00", "0.00"),
        (6, "250.00", "250.01"),
        (7, "6.05", "6.05"),
    ]


def test_row_counts_per_group_count_a_missing_group_as_zero(
    fixture_build: BuildResult, lakehouse_server: Settings
) -> None:
    """group_by: one failing row per order whose header and line counts differ, orders without
    a header included."""
    outcome = fixture_build.outcomes["row_count__per_order_all_lines__must_fail"]
    assert outcome.relation_name, "store_failures is configured on this test"
    rows = query(
        lakehouse_server,
        f"select order_id, model_row_count, compare_row_count "
        f"from {outcome.relation_name} order by order_id",
    )
    assert rows == [(1, 1, 2), (6, 0, 2), (7, 0, 2), (8, 0, 2)]


def test_tolerance_is_the_larger_of_the_absolute_and_the_relative(
    fixture_build: BuildResult, lakehouse_server: Settings
) -> None:
    """Only line 4 (off by 10.00 on 100.00) is outside both 1 cent and 0.5%."""
    outcome = fixture_build.outcomes["within_tolerance__either__must_fail"]
    assert outcome.relation_name, "store_failures is configured on this test"
    rows = query(
        lakehouse_server,
        f"select id, cast(tested_difference as string), cast(allowed_difference as string) "
        f"from {outcome.relation_name}",
    )
    assert len(rows) == 1
    line, difference, allowed = rows[0]
    assert (line, float(difference), float(allowed)) == (4, 10.0, 0.5)
