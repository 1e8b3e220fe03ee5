"""The HTML report: one self-contained page (inline CSS, charts as data URIs)."""

from __future__ import annotations

from html import escape

from lakehouse.profile import report_sections as sections

CSS = """
:root { --ink:#0f172a; --muted:#64748b; --line:#e2e8f0; --accent:#2563eb; --warn:#b91c1c;
        --ok:#15803d; --bg:#f8fafc; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
       color:var(--ink); background:var(--bg); }
header { background:#0f172a; color:#f8fafc; padding:28px 40px 22px; }
header h1 { margin:0 0 6px; font-size:24px; font-weight:650; }
header .meta { color:#cbd5e1; font-size:13px; }
header .meta span { margin-right:18px; white-space:nowrap; }
main { max-width:1180px; margin:0 auto; padding:24px 40px 60px; }
nav { font-size:13px; margin:0 0 18px; color:var(--muted); }
nav a { color:var(--accent); text-decoration:none; margin-right:12px; }
section { background:#fff; border:1px solid var(--line); border-radius:10px;
          padding:18px 24px; margin:0 0 20px; }
h2 { font-size:18px; margin:0 0 12px; }
h3 { font-size:15px; margin:18px 0 8px; color:#334155; }
p.note { color:var(--muted); font-size:13px; margin:6px 0; }
.banner { background:#fef3c7; border:1px solid #f59e0b; color:#78350f; border-radius:8px;
          padding:12px 16px; margin:0 0 18px; font-weight:600; }
.cards { display:grid; grid-template-columns:repeat(auto-fit,minmax(180px,1fr)); gap:12px;
         margin:0 0 20px; }
.card { background:#fff; border:1px solid var(--line); border-radius:10px; padding:12px 16px; }
.card .v { font-size:22px; font-weight:650; }
.card .l { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
ul.findings li { margin:4px 0; }
table { border-collapse:collapse; width:100%; font-size:13px; margin:6px 0 10px; }
th, td { text-align:left; padding:6px 10px; border-bottom:1px solid var(--line);
         vertical-align:top; }
th { background:#f1f5f9; font-weight:600; color:#334155; }
td.n, th.n { text-align:right; font-variant-numeric:tabular-nums; }
tr.zero td { color:#94a3b8; }
code { font:12px ui-monospace,SFMono-Regular,Menlo,monospace; background:#f1f5f9;
       padding:1px 4px; border-radius:4px; }
.pill { display:inline-block; font-size:11px; padding:1px 8px; border-radius:999px;
        background:#e2e8f0; color:#334155; }
.pill.quarantined { background:#fee2e2; color:var(--warn); }
.pill.repaired { background:#dcfce7; color:var(--ok); }
.pill.collapsed { background:#e0e7ff; color:#3730a3; }
.charts { display:grid; grid-template-columns:repeat(auto-fit,minmax(480px,1fr)); gap:14px; }
.charts img { width:100%; border:1px solid var(--line); border-radius:8px; background:#fff; }
footer { color:var(--muted); font-size:12px; max-width:1180px; margin:0 auto;
         padding:0 40px 40px; }
"""


def render(s: dict, charts: dict) -> str:
    sales, customers = s["files"]["sales"], s["files"]["customers"]
    read = f"{sections.file_names(customers)}, {sections.file_names(sales)}"  # every file read
    sample = ""
    if s["sampled"]:
        sample = (
            f"<div class='banner'>Sampled: {sales['profiled_rows']:,} of "
            f"{sales['total_rows']:,} sales lines and {customers['profiled_rows']:,} of "
            f"{customers['total_rows']:,} customer rows profiled ({escape(s['sampling_method'])})."
            " Counts and charts describe the sample.</div>"
        )
    cards = "".join(
        f"<div class='card'><div class='v'>{sections.n(v)}</div>"
        f"<div class='l'>{escape(label)}</div></div>"
        for label, v in (
            ("sales lines in file", sales["total_rows"]),
            ("customer rows in file", customers["total_rows"]),
            ("dirty sales lines", sales["dirty_rows"]),
            ("dirty customer rows", customers["dirty_rows"]),
            ("anomaly kinds present", sum(1 for c in s["anomalies"].values() if c)),
        )
    )
    parts = [
        (
            "findings",
            "Key findings",
            "<ul class='findings'>"
            + "".join(f"<li>{escape(f)}</li>" for f in sections.key_findings(s))
            + "</ul>",
        ),
        ("anomalies", "Anomalies found", sections.anomalies(s)),
        ("columns", "Columns", sections.columns(s)),
        ("distributions", "Distributions", sections.charts(charts)),
        ("nulls", "Nulls and blanks", sections.nulls(s)),
        ("outliers", "Price outliers", sections.outliers(s)),
        ("keys", "Candidate keys", sections.keys(s)),
        ("schema", "Schema inconsistencies", sections.schema(s)),
        ("integrity", "Referential integrity", sections.integrity(s)),
        ("duplicates", "Duplicates", sections.duplicates(s)),
        ("malformed", "Malformed CSV lines", sections.malformed(s)),
        ("canonical", "Canonical value sets", sections.canonical(s)),
        ("other", "Other rule failures", sections.other(s)),
        (
            "differences",
            "Where this report and the generator's manifest can differ",
            "<ul>"
            + "".join(f"<li>{escape(d)}</li>" for d in s["detection_differences"])
            + "</ul><p class='note'>These findings are computed from the files alone; "
            "manifest.json is never read.</p>",
        ),
    ]
    nav = "".join(f"<a href='#{a}'>{escape(t)}</a>" for a, t, _ in parts[:-1])
    body = "".join(sections.section(a, t, b) for a, t, b in parts)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Data profile: {escape(read)}</title>
<style>{CSS}</style></head>
<body>
<header><h1>Data profile: {escape(read)}</h1>
<div class="meta"><span>landing: {escape(s["landing_dir"])}</span>
<span>sales: {sales["total_rows"]:,} lines</span>
<span>customers: {customers["total_rows"]:,} rows</span>
<span>generated {escape(s["generated_at"])}</span>
<span>in {s["runtime_s"]:.1f} s</span></div></header>
<main>{sample}<div class="cards">{cards}</div><nav>{nav}</nav>{body}</main>
<footer><p>Made by <code>lakehouse profile</code> with pandas, pyarrow and matplotlib.
{escape(s["library_note"])}</p></footer>
</body></html>
"""
