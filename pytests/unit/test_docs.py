"""The project's documents stand on their own: every document a file cites is in the
repository, and the landing contract states what the code enforces (no server needed)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from lakehouse.anomalies import ANOMALIES
from lakehouse.config import PROJECT_DIR
from lakehouse.landing.contract import CUSTOMER_COLUMNS, SALES_COLUMNS
from lakehouse.seeds import read_seed

CONTRACT = PROJECT_DIR / "docs" / "landing_contract.md"
# A markdown file name in any text cites it: `docs/landing_contract.md`, `(../../README.md)`.
CITED_MARKDOWN = re.compile(r"(?<![\w./:~-])((?:\.{1,2}/)?[\w./-]*[\w-]\.md)\b")


def repository_files(*options: str) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", *options], cwd=PROJECT_DIR,
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return [name for name in listed.split("\0") if name]


def citations(files: list[str]) -> list[tuple[str, str]]:
    found = []
    for name in files:
        path = PROJECT_DIR / name
        if not path.is_file():  # deleted in the work tree
            continue
        text = path.read_bytes()
        if b"\0" in text[:8192]:  # binary
            continue
        for line in text.decode("utf-8", errors="replace").splitlines():
            # A web address names someone else's document, not one of this repository.
            line = re.sub(r"\w+://\S+", "", line)
            found += [(name, cited) for cited in CITED_MARKDOWN.findall(line)]
    return found


def test_every_cited_markdown_file_is_in_the_repository() -> None:
    tracked = repository_files()
    # The documents of the work tree: tracked, or new and not ignored (about to be committed).
    documents = {
        name for name in tracked + repository_files("--others", "--exclude-standard")
        if name.endswith(".md")
    }  # fmt: skip
    by_name = {Path(name).name for name in documents}
    found = citations(tracked)
    assert found, "no file cites a markdown document: the pattern is broken"
    dangling = []
    for citing, cited in found:
        candidates = [
            (PROJECT_DIR / Path(citing).parent / cited).resolve(),
            (PROJECT_DIR / cited).resolve(),
        ]
        resolves = any(
            path.is_relative_to(PROJECT_DIR)
            and path.relative_to(PROJECT_DIR).as_posix() in documents
            for path in candidates
        )
        if not resolves and "/" not in cited:  # a bare name: a document of that name
            resolves = cited in by_name
        if not resolves:
            dangling.append(f"{citing} cites {cited}")
    assert dangling == [], "documents cited but not in the repository:\n" + "\n".join(dangling)


def test_the_landing_contract_states_what_the_code_enforces() -> None:
    text = CONTRACT.read_text()
    for column in (*SALES_COLUMNS, *CUSTOMER_COLUMNS):
        assert f"`{column}`" in text, f"column {column} is not described"
    assert f"`{','.join(SALES_COLUMNS)}`" in text  # the header line, in its order
    for anomaly in ANOMALIES:
        assert f"`{anomaly.name}`" in text, f"anomaly {anomaly.name} is not described"
    values = [
        *(row["category"] for row in read_seed("product_categories.csv")),
        *(row["unit_price_try"] for row in read_seed("product_categories.csv")),
        *(row["shopping_mall"] for row in read_seed("shopping_malls.csv")),
        *(row["payment_method"] for row in read_seed("payment_methods.csv")),
    ]
    for value in values:
        assert value in text, f"{value!r} of the seeds is not in the contract"
    readme = (PROJECT_DIR / "README.md").read_text()
    assert "docs/landing_contract.md" in readme
