"""The sections of the HTML report, each rendered from the JSON summary."""

from __future__ import annotations

from html import escape
from pathlib import Path

from lakehouse.anomalies import BY_NAME


def n(value) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return escape(str(value))


def _table(head: list[str], rows: list[list], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    cells = "".join(
        f'<th class="{"n" if i in numeric else ""}">{escape(h)}</th>' for i, h in enumerate(head)
    )
    body = []
    for row in rows:
        tds = "".join(
            f'<td class="{"n" if i in numeric else ""}">{c if isinstance(c, _Raw) else n(c)}</td>'
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{tds}</tr>")
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{''.join(body)}</tbody></table>"


class _Raw(str):
    """Markup that the table helper must not escape."""


def _stat(value: float | None) -> str:
    return "&ndash;" if value is None else f"{value:,.2f}".rstrip("0").rstrip(".")


def _shown(value: str) -> str:
    """A value as text, quoted when whitespace would otherwise hide what it is."""
    return repr(value) if value == "" or value != value.strip() else value


def _values(pairs: list[list]) -> _Raw:
    if not pairs:
        return _Raw("&ndash;")
    return _Raw(", ".join(f"<code>{escape(repr(v))}</code>&times;{c:,}" for v, c in pairs))


def section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{escape(title)}</h2>{body}</section>'


def key_findings(s: dict) -> list[str]:
    sales, customers = s["files"]["sales"], s["files"]["customers"]
    found = []
    if s["sampled"]:
        found.append(
            f"Sampled: {sales['profiled_rows']:,} of {sales['total_rows']:,} sales lines "
            f"profiled ({s['sampling_method']}); counts cover the sample only."
        )
    share = 100.0 * sales["dirty_rows"] / max(sales["profiled_rows"], 1)
    found.append(
        f"{sales['dirty_rows']:,} of {sales['profiled_rows']:,} sales lines ({share:.2f}%) and "
        f"{customers['dirty_rows']:,} of {customers['profiled_rows']:,} customer rows carry an "
        "anomaly of the catalogue."
    )
    top = sorted(((c, n) for n, c in s["anomalies"].items() if c), reverse=True)[:3]
    if top:
        found.append("Most frequent: " + ", ".join(f"{n} ({c:,})" for c, n in top) + ".")
    ri = s["referential_integrity"]
    found.append(
        f"{ri['sales_rows_not_matching']:,} sales lines name a customer_id absent from the "
        f"customers file ({ri['distinct_missing_customer_ids']:,} distinct ids)."
    )
    dup = s["duplicates"]
    found.append(
        f"{dup['sales_exact_duplicate_extra_copies']:,} exact duplicate lines; "
        f"{dup['sales_conflicting_invoice_numbers']:,} invoice numbers repeated with conflicting "
        f"values; {dup['customers_conflicting_ids']:,} customers listed twice with different "
        "attributes."
    )
    formats = s["schema_inconsistencies"]["date_formats"]
    other = sum(v for k, v in formats.items() if k not in ("dd-mm-yyyy", "missing"))
    found.append(f"{other:,} invoice dates not written dd-mm-yyyy.")
    age = s["columns"]["customers"]["age"]
    found.append(
        f"age is null in {age['nulls']:,} customer rows; no other customer column has nulls."
        if not any(c["nulls"] for k, c in s["columns"]["customers"].items() if k != "age")
        else f"age is null in {age['nulls']:,} customer rows."
    )
    out = s["price_outliers"]
    if out.get("rows"):
        found.append(
            f"Price p99 is {out['p99_threshold']:,.2f} ({out['above_p99']:,} lines above); the "
            f"IQR upper fence {out['iqr_upper_fence']:,.2f} ({out['above_iqr_fence']:,} above)."
        )
    if s["malformed_lines"]["count"]:
        found.append(
            f"{s['malformed_lines']['count']:,} malformed CSV lines, counted and set aside."
        )
    return found


def anomalies(s: dict) -> str:
    rows = []
    for name, count in s["anomalies"].items():
        anomaly = BY_NAME[name]
        ex = s["anomaly_examples"][name]
        listed = ex["keys"] or [""] * len(ex["lines"])
        shown = [
            key if key.strip() else f"line {line}"
            for key, line in zip(listed, ex["lines"], strict=True)
        ]
        sample = ", ".join(shown[:5])
        rows.append(
            [
                _Raw(f"<code>{name}</code>"),
                anomaly.entity,
                _Raw(f'<span class="pill {anomaly.outcome}">{anomaly.outcome}</span>'),
                count,
                s["anomaly_rule_hits"][name],
                anomaly.description,
                sample,
            ]
        )
    table = _table(
        ["anomaly", "file", "silver", "rows", "rows failing the rule", "definition", "examples"],
        rows,
        {3, 4},
    )
    order = s["precedence"]
    return (
        table + "<h3>Classification precedence</h3><p class='note'>A row failing several rules is "
        "counted once, under the first rule it fails in this order (quarantine reasons before "
        "repairs; structure and keys before values). <em>rows</em> counts by precedence, "
        "<em>rows failing the rule</em> counts every row the rule matches.</p>"
        f"<p class='note'>sales: {' &rarr; '.join(order['sales'])}</p>"
        f"<p class='note'>customers: {' &rarr; '.join(order['customers'])}</p>"
        f"<p class='note'>Examples are invoice_no / customer_id values; line numbers in the JSON "
        f"follow: sales {escape(s['line_numbering']['sales'])}; customers "
        f"{escape(s['line_numbering']['customers'])}.</p>"
    )


def columns(s: dict) -> str:
    html = []
    for entity in ("sales", "customers"):
        rows = []
        for name, c in s["columns"][entity].items():
            num = c.get("numeric", {})
            stats = (
                " / ".join(_stat(num[key]) for key in ("min", "max", "mean", "median", "std"))
                if num.get("count")
                else "&ndash;"
            )
            top = ", ".join(
                f"<code>{escape(_shown(v))}</code> {p:g}%" for v, _, p in c["top_values"]
            )
            rows.append(
                [
                    _Raw(f"<code>{name}</code>"),
                    c["declared_type"],
                    c["delivered_type"],
                    c["nulls"],
                    c["blanks"],
                    c["distinct"],
                    _Raw(stats),
                    _Raw(top),
                ]
            )
        file = s["files"][entity]
        html.append(
            f"<h3>{escape(file_names(file))} &mdash; {file['profiled_rows']:,} rows "
            "profiled</h3>"
            + _table(
                [
                    "column",
                    "contract",
                    "as delivered",
                    "nulls",
                    "blanks",
                    "distinct",
                    "min / max / mean / median / std",
                    "top values",
                ],
                rows,
                {3, 4, 5},
            )
        )
    return "".join(html)


def charts(uris: dict) -> str:
    imgs = [f'<img alt="{escape(name)} chart" src="{uri}">' for name, uri in uris.items() if uri]
    return f"<div class='charts'>{''.join(imgs)}</div>"


def nulls(s: dict) -> str:
    rows = [
        [f"{entity}.{name}", c["rows"], c["nulls"], c["blanks"], f"{c['null_pct']:.3f}%"]
        for entity in ("sales", "customers")
        for name, c in s["columns"][entity].items()
    ]
    return _table(["column", "rows", "nulls", "blanks", "null or blank"], rows, {1, 2, 3, 4}) + (
        "<p class='note'>Null: absent, empty, or a null token (null/none/nan). Blank: only "
        "whitespace. Sales rows exclude the malformed lines, which cannot be split into "
        "columns.</p>"
    )


def outliers(s: dict) -> str:
    o = s["price_outliers"]
    if not o.get("rows"):
        return "<p>No positive numeric prices.</p>"
    rows = [
        [
            "99th percentile (the original analysis: flag for review)",
            o["p99_threshold"],
            o["above_p99"],
        ],
        ["IQR upper fence (Q3 + 1.5 IQR)", o["iqr_upper_fence"], o["above_iqr_fence"]],
        ["IQR lower fence (Q1 - 1.5 IQR)", o["iqr_lower_fence"], o["below_iqr_fence"]],
    ]
    return _table(["rule", "threshold", "rows beyond"], rows, {1, 2}) + (
        f"<p class='note'>On {o['rows']:,} positive numeric prices. Q1 {o['q1']:,.2f}, "
        f"Q3 {o['q3']:,.2f}, IQR {o['iqr']:,.2f}, max {o['max']:,.2f}. Price is a line total "
        "(quantity x unit price), so high values are often legitimate (Technology x 5 = 5,250); "
        "the anomaly price_outlier instead compares each price with its own line total.</p>"
    )


def keys(s: dict) -> str:
    html = []
    for entity in ("sales", "customers"):
        k = s["candidate_keys"][entity]
        rows = [
            [
                " + ".join(r["columns"]),
                r["distinct"],
                r["duplicated_rows"],
                f"{100 * r['uniqueness']:.3f}%",
                "yes" if r["unique"] else "no",
            ]
            for r in k["columns"] + k["pairs"][:8]
        ]
        html.append(
            f"<h3>{entity}: single columns and the 8 most unique pairs</h3>"
            + _table(
                ["columns", "distinct", "rows repeating", "uniqueness", "unique"], rows, {1, 2, 3}
            )
        )
    return "".join(html)


def schema(s: dict) -> str:
    x = s["schema_inconsistencies"]
    formats = _table(
        ["invoice_date format", "rows"], [[k, v] for k, v in x["date_formats"].items()], {1}
    )
    rows = [
        [
            "impossible dates, by format",
            _values([[k, v] for k, v in x["impossible_dates_by_format"].items()]),
        ],
        ["impossible / unparseable date values", _values(x["impossible_date_values"])],
        ["quantity not a whole number", _values(x["non_numeric_quantity_values"])],
        ["quantity outside 1-5", _values(x["out_of_range_quantity_values"])],
        ["price not a number", _values(x["non_numeric_price_values"])],
        ["invoice_no not matching ^I\\d{6,}$", x["invalid_invoice_no_format"]],
        ["sales.customer_id not matching ^C\\d{6,}$", x["invalid_sales_customer_id_format"]],
        ["customers.customer_id not matching ^C\\d{6,}$", x["invalid_customer_id_format"]],
    ]
    return formats + _table(["check", "values (value x rows) or rows"], rows)


def integrity(s: dict) -> str:
    ri = s["referential_integrity"]
    rows = [[k.replace("_", " "), v] for k, v in ri.items()]
    return _table(["sales.customer_id -> customers.customer_id", "rows"], rows, {1}) + (
        "<p class='note'>Checked against every customer_id of the Parquet file, even when the "
        "files are sampled.</p>"
    )


def duplicates(s: dict) -> str:
    d = s["duplicates"]
    rows = [
        [
            "sales: exact duplicate lines (extra copies)",
            d["sales_exact_duplicate_extra_copies"],
            "",
        ],
        [
            "sales: invoice_no repeated with conflicting values (numbers)",
            d["sales_conflicting_invoice_numbers"],
            ", ".join(d["sales_conflicting_examples"][:5]),
        ],
        ["sales: rows involved (originals included)", d["sales_conflicting_invoice_rows"], ""],
        [
            "customers: customer_id repeated with conflicting attributes (ids)",
            d["customers_conflicting_ids"],
            ", ".join(d["customers_conflicting_examples"][:5]),
        ],
        ["customers: extra rows beyond the first", d["customers_conflicting_extra_rows"], ""],
        ["customers: exact duplicate rows", d["customers_exact_duplicate_rows"], ""],
    ]
    return _table(["duplicate kind", "count", "examples"], rows, {1})


def malformed(s: dict) -> str:
    m = s["malformed_lines"]
    rows = [
        [e["line"], e["problem"], _Raw(f"<code>{escape(e['text'])}</code>")] for e in m["examples"]
    ]
    kinds = ", ".join(f"{k}: {v:,}" for k, v in m["by_problem"].items()) or "none"
    return (
        f"<p>{m['count']:,} lines ({kinds}). The file is read line by line, so a bad line is "
        "counted and set aside, never merged into its neighbours.</p>"
        + (_table(["data line", "problem", "text"], rows) if rows else "")
    )


def canonical(s: dict) -> str:
    rows = []
    for domain in ("category", "shopping_mall", "payment_method"):
        c = s["canonical_sets"][domain]
        st = c["status"]
        rows.append(
            [
                _Raw(f"<code>{domain}</code>"),
                st.get("canonical", 0),
                st.get("variant", 0),
                st.get("unknown", 0),
                _values(c["variants"]),
                _values(c["unknown"]),
            ]
        )
    return _table(
        ["column", "canonical", "variants", "unknown", "variant spellings", "unknown values"],
        rows,
        {1, 2, 3},
    ) + (
        "<p class='note'>Canonical sets from seeds/product_categories.csv, shopping_malls.csv and "
        "payment_methods.csv; a variant is a value whose lower/trim form is a canonical value or "
        "an alias of seeds/value_aliases.csv.</p>"
    )


def other(s: dict) -> str:
    rows = [
        [name, v["rows"], v["rows_otherwise_clean"]] for name, v in s["other_rule_failures"].items()
    ]
    return _table(
        ["rule (no catalogue name)", "rows", "of which no catalogue anomaly"], rows, {1, 2}
    )


def file_names(file: dict) -> str:
    """The names of the files read for one kind, e.g. `sales_data.csv, sales_2023.csv`."""
    return ", ".join(Path(read["path"]).name for read in file["files"])
