"""The manifest: what was injected where, and what silver should make of it."""

from __future__ import annotations

from lakehouse.anomalies import ANOMALIES, names

MAX_LISTED = 10_000  # keys/lines stored per anomaly; count is always exact

LINE_NUMBERING = {
    "sales": "1-based data line of sales_data.csv (line 1 = the first line after the header)",
    "customers": "0-based row index of customer_data.parquet (in file order)",
}


class AnomalyLog:
    """Per anomaly: exact count, and the keys and line numbers of the affected rows
    (keys[i] belongs to lines[i]), capped at MAX_LISTED."""

    def __init__(self) -> None:
        self.entries = {
            anomaly.name: {"count": 0, "keys": [], "lines": [], "truncated": False}
            for anomaly in ANOMALIES
        }

    def add_chunk(self, events: list[tuple[str, str, int]], line_offset: int) -> None:
        for name, key, line in sorted(events, key=lambda event: (event[0], event[2])):
            entry = self.entries[name]
            entry["count"] += 1
            if len(entry["lines"]) < MAX_LISTED:
                entry["keys"].append(key)
                entry["lines"].append(line_offset + line)
            else:
                entry["truncated"] = True

    def count(self, name: str) -> int:
        return self.entries[name]["count"]

    def as_dict(self) -> dict:
        result = {}
        for anomaly in ANOMALIES:
            entry = dict(self.entries[anomaly.name])
            result[anomaly.name] = {
                "entity": anomaly.entity,
                "outcome": anomaly.outcome,
                "reason": anomaly.reason,
                **entry,
            }
        return result


def expected_outcomes(log: AnomalyLog, rows_total: dict[str, int]) -> dict:
    """Per entity: rows_total = silver_rows + quarantined_total + collapsed_duplicates.
    Each dirty row carries one anomaly, so the sums follow from the catalogue's outcomes."""
    expected = {}
    for entity in ("customers", "sales"):
        quarantined: dict[str, int] = {}
        collapsed = repaired = 0
        for anomaly in (a for a in ANOMALIES if a.name in names(entity)):
            count = log.count(anomaly.name)
            if anomaly.outcome == "quarantined":
                quarantined[anomaly.reason] = quarantined.get(anomaly.reason, 0) + count
            elif anomaly.outcome == "collapsed":
                collapsed += count
            else:
                repaired += count
        quarantined_total = sum(quarantined.values())
        expected[entity] = {
            "rows_total": rows_total[entity],
            "silver_rows": rows_total[entity] - quarantined_total - collapsed,
            "quarantined_rows": dict(sorted(quarantined.items())),
            "quarantined_total": quarantined_total,
            "collapsed_duplicates": collapsed,
            "repaired_rows": repaired,
            "clean_rows": rows_total[entity] - quarantined_total - collapsed - repaired,
        }
    return expected
