"""The profile report as Chromium renders it: every chart decodes and every anomaly shows with
its count (headless Chromium, so not a unit test)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser import headless

from lakehouse.generate import generate
from lakehouse.profile import REPORT_NAME, profile


@pytest.fixture(scope="module")
def default_run(tmp_path_factory) -> tuple[dict, dict, Path]:
    """The profile of a generated landing folder: (manifest, summary, report folder)."""
    root = tmp_path_factory.mktemp("profile_browser")
    manifest = generate(root / "landing", rows=20_000, seed=42, progress=False)
    summary = profile(root / "landing", root / "out", sample_rows=None)
    return manifest, summary, root / "out"


def test_report_opens_in_a_browser_with_its_charts(default_run, artifacts_dir, tmp_path):
    """The page as Chromium renders it: every anomaly with its count, every chart decoded."""
    _, summary, out = default_run
    page = (out / REPORT_NAME).resolve().as_uri()
    # After load, a script writes how many images decoded (naturalWidth > 0) into the title.
    probe = tmp_path / "probe.html"
    probe.write_text(
        f'<iframe id="report" src="{page}" width="1400" height="1000"></iframe><script>'
        "document.getElementById('report').onload = () => {"
        "  const images = [...document.getElementById('report').contentDocument.images];"
        "  document.title = 'decoded ' + images.filter(i => i.naturalWidth > 0).length"
        "    + ' of ' + images.length; };</script>",
        encoding="utf-8",
    )
    dom = headless(
        tmp_path / "chromium-dom", "--allow-file-access-from-files", "--dump-dom", probe.as_uri()
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    decoded = re.search(r"<title>decoded (\d+) of (\d+)</title>", dom.stdout)
    assert decoded, dom.stdout[:2000]
    assert int(decoded.group(1)) == int(decoded.group(2)) >= 6

    rendered = headless(tmp_path / "chromium-text", "--dump-dom", page)
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    for name, count in summary["anomalies"].items():
        assert re.search(rf"<code>{name}</code>.*?{count:,}<", rendered.stdout, re.S), name

    screenshot = artifacts_dir / "profile_report.png"
    screenshot.unlink(missing_ok=True)
    shot = headless(tmp_path / "chromium-shot", f"--screenshot={screenshot}", page)
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 20_000  # a rendered page, not a blank one
