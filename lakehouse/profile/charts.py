"""Charts as base64 PNG data URIs, so the HTML report is one self-contained file."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

ACCENT = "#2563eb"
MUTED = "#94a3b8"
WARN = "#dc2626"


def _encode(figure) -> str:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=96)
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _axes(width: float = 6.4, height: float = 3.4):
    figure, axes = plt.subplots(figsize=(width, height))
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#e2e8f0", linewidth=0.8)
    axes.set_axisbelow(True)
    return figure, axes


def histogram(
    values: pd.Series,
    title: str,
    xlabel: str,
    marks: dict[str, float] | None = None,
    clip: float | None = None,
):
    """A histogram; values above `clip` are left out (and their number put in the title), so
    a few extreme outliers do not squash the body of the distribution into one bar."""
    values = pd.to_numeric(values, errors="coerce").dropna()
    if values.empty:
        return None
    if clip is not None and (values > clip).any():
        hidden = int((values > clip).sum())
        values = values[values <= clip]
        title = f"{title}: {hidden:,} values above {clip:,.0f} not shown"
    figure, axes = _axes()
    axes.hist(values, bins=60, color=ACCENT, alpha=0.85)
    for (label, value), colour in zip((marks or {}).items(), (WARN, "#f59e0b"), strict=False):
        axes.axvline(
            value, color=colour, linestyle="--", linewidth=1.2, label=f"{label}: {value:,.2f}"
        )
    if marks:
        axes.legend(frameon=False, fontsize=8)
    axes.set_title(title, fontsize=11, loc="left")
    axes.set_xlabel(xlabel)
    axes.set_ylabel("rows")
    return _encode(figure)


def bars(counts: dict[str, int], title: str, xlabel: str = "", horizontal: bool = False):
    if not counts:
        return None
    labels, values = list(counts), list(counts.values())
    total = sum(values)
    if horizontal:
        figure, axes = _axes(6.4, 0.32 * len(labels) + 1.0)
        axes.grid(axis="y", visible=False)
        axes.grid(axis="x", color="#e2e8f0", linewidth=0.8)
        positions = range(len(labels))[::-1]
        axes.barh(list(positions), values, color=ACCENT)
        axes.set_yticks(list(positions), labels, fontsize=8)
        for position, value in zip(positions, values, strict=True):
            axes.text(value, position, f" {100 * value / total:.1f}%", va="center", fontsize=8)
        axes.set_xlabel("rows")
    else:
        figure, axes = _axes()
        axes.bar(labels, values, color=ACCENT)
        axes.set_xlabel(xlabel)
        axes.set_ylabel("rows")
        if len(labels) > 12:
            axes.tick_params(axis="x", labelrotation=90, labelsize=7)
    axes.set_title(title, fontsize=11, loc="left")
    return _encode(figure)


def shares(values: pd.Series, title: str, canonical: tuple[str, ...]):
    """Shares of the canonical values, with every other spelling as one grey bar."""
    text = values.astype("str")
    counts = text[text.isin(canonical)].value_counts()
    ordered = {name: int(counts.get(name, 0)) for name in canonical}
    ordered = dict(sorted(ordered.items(), key=lambda item: -item[1]))
    other = int(len(text) - sum(ordered.values()))
    if other:
        ordered["(other spellings / unknown)"] = other
    return bars(ordered, title, horizontal=True)


def monthly(counts: dict[str, int], title: str):
    if not counts:
        return None
    figure, axes = _axes(7.2, 3.2)
    labels = list(counts)
    axes.bar(range(len(labels)), list(counts.values()), color=ACCENT)
    step = max(1, len(labels) // 14)
    axes.set_xticks(
        range(0, len(labels), step), labels[::step], rotation=45, ha="right", fontsize=8
    )
    axes.set_ylabel("invoices")
    axes.set_title(title, fontsize=11, loc="left")
    return _encode(figure)
