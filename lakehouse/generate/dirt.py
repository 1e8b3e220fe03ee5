"""The dirt: default rates, how many of each anomaly a chunk gets, and the dirty values.

Rates are per base row: round(rate x rows) events for sales anomalies, round(rate x customers)
for customer anomalies (exact counts, not random ones). An event is one affected row, except:
  exact_duplicate                - one extra identical line (count = extra copies)
  conflicting_duplicate_invoice  - one extra line reusing an invoice_no; count += 2 per event
                                   (the clean original and the conflicting copy)
  duplicate_customer_conflict    - one extra customer row (count = extra rows)
Every value here is chosen so that the row breaks exactly one rule of the catalogue, read this
way (the order a validator should follow so that each row gets exactly one reason):
  - a line that does not split into 7 fields is malformed_line, nothing else is judged;
  - the missing_* checks treat an empty field and a field of spaces alike; a row with a blank
    invoice_no never takes part in duplicate checks;
  - price is judged against quantity x unit price only when quantity is a whole number 1-5
    and the category resolves (so quantity_out_of_range 0/-1 rows keep the row's positive
    price, 6+ rows carry the price of the wrong quantity, unknown_category rows keep theirs);
    a ratio of 10-50 is price_outlier, any other difference over 1% (0.5x-2x) price_mismatch;
  - exact_duplicate copies and the originals of conflicting duplicates are otherwise clean,
    as are the first rows of duplicate customers.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from lakehouse.anomalies import ANOMALIES, BY_NAME, names
from lakehouse.errors import LakehouseError
from lakehouse.generate.values import Reference

# Like a real feed: a fraction of a percent each, ~2% of sales lines dirty in all.
DEFAULT_RATES: dict[str, float] = {
    "null_age": 0.0012,  # the source: 119 of 99,457
    "variant_payment_method": 0.002,
    "duplicate_customer_conflict": 0.001,
    "missing_invoice_no": 0.0005,
    "missing_customer_id": 0.0005,
    "missing_invoice_date": 0.0005,
    "orphan_customer_id": 0.001,
    "exact_duplicate": 0.002,
    "conflicting_duplicate_invoice": 0.001,
    "alt_date_format": 0.003,
    "impossible_date": 0.0005,
    "non_positive_price": 0.0005,
    "price_mismatch": 0.001,
    "price_outlier": 0.0005,
    "quantity_out_of_range": 0.0005,
    "non_numeric_quantity": 0.0005,
    "variant_category": 0.002,
    "variant_mall": 0.002,
    "unknown_category": 0.0005,
    "unknown_mall": 0.0005,
    "malformed_line": 0.0005,
}
assert set(DEFAULT_RATES) == {anomaly.name for anomaly in ANOMALIES}

MAX_RATE = 0.2
MAX_TOTAL_RATE = 0.5  # per entity, so there are always enough clean rows to pick from

# Sales anomalies that are extra lines with a fresh invoice_no (they take a customer reference
# away, so the real customer keeps its own invoice); the rest alter a base row in place.
FRESH_LINE_ANOMALIES = ("orphan_customer_id", "missing_customer_id")
# Sales anomalies that add a line next to a clean original (which they reserve).
COPY_ANOMALIES = ("exact_duplicate", "conflicting_duplicate_invoice")

# Values that are neither canonical nor an alias after lower/trim (checked in resolve_rates).
UNKNOWN_CATEGORIES = ("Electronics", "Garden", "Furniture", "Jewelry", "Sports", "Pet Supplies")
UNKNOWN_MALLS = ("Akasya AVM", "Capitol AVM", "Marmara Park", "Optimum Outlet", "Vadistanbul")
OUT_OF_RANGE_QUANTITIES = (0, -1, -2, 6, 7, 8, 10, 12, 20)
NON_NUMERIC_QUANTITIES = ("two", "three", "2.5", "1.5", "3x", "five", "4 pcs", "n/a")
IMPOSSIBLE_DATES = (
    "31-02-2022", "30-02-2021", "29-02-2021", "29-02-2022", "30-02-2023", "31-04-2022",
    "31-06-2021", "31-09-2022", "31-11-2021", "31-04-2021", "31-06-2022", "31-11-2022",
)  # fmt: skip
BLANKS = ("", " ", "  ", "   ")  # null (empty field) or blank text


def resolve_rates(clean: bool, rates: dict[str, float] | None) -> dict[str, float]:
    """The effective rate of every anomaly, validated; all zero when clean."""
    if clean and rates:
        raise LakehouseError(
            "--clean and --rate contradict each other.",
            "Use --clean for data without dirt, or --rate NAME=VALUE to change the dirt.",
        )
    effective = {name: 0.0 for name in DEFAULT_RATES} if clean else dict(DEFAULT_RATES)
    for name, value in (rates or {}).items():
        if name not in BY_NAME:
            raise LakehouseError(
                f"Unknown anomaly {name!r} in --rate.",
                "Known names: " + ", ".join(DEFAULT_RATES) + ".",
            )
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise LakehouseError(
                f"--rate {name}={value!r} is not a number.", "Give a fraction, e.g. 0.001."
            ) from None
        if not 0.0 <= value <= MAX_RATE:
            raise LakehouseError(
                f"--rate {name}={value} is outside 0..{MAX_RATE}.",
                "Rates are fractions of rows: 0.001 is one row in a thousand.",
            )
        effective[name] = value
    for entity in ("sales", "customers"):
        total = sum(effective[name] for name in names(entity))
        if total > MAX_TOTAL_RATE:
            raise LakehouseError(
                f"The {entity} rates add up to {total:.3f}, more than {MAX_TOTAL_RATE}.",
                "Lower some --rate values: at most half the rows can be dirty.",
            )
    return effective


def events_before(rate: float, index: int) -> int:
    """Events among base rows 0..index-1: cumulative rounding, so chunks add up exactly."""
    return int(np.floor(rate * index + 0.5))


def events_in(rate: float, start: int, stop: int) -> int:
    return events_before(rate, stop) - events_before(rate, start)


def fit(counts: dict[str, int], capacity: int) -> dict[str, int]:
    """Trim counts (last names first) so they need at most `capacity` distinct rows. Only a
    tiny chunk can need it (rates add up to <= 0.5); the manifest counts what was injected."""
    fitted = dict(counts)
    excess = sum(fitted.values()) - capacity
    for name in reversed(list(fitted)):
        if excess <= 0:
            break
        cut = min(excess, fitted[name])
        fitted[name] -= cut
        excess -= cut
    return fitted


# --- dirty values ---------------------------------------------------------------------------


def variant(rng: np.random.Generator, canonical: str, aliases: list[str]) -> str:
    """Another spelling of a canonical value: an alias, another case, or stray whitespace."""
    candidates = [
        canonical.lower(),
        canonical.upper(),
        f" {canonical}",
        f"{canonical} ",
        f"  {canonical} ",
        f" {canonical.lower()} ",
    ]
    candidates += aliases
    candidates += [alias.title() for alias in aliases]
    candidates = [text for text in dict.fromkeys(candidates) if text != canonical]
    return candidates[int(rng.integers(len(candidates)))]


def check_unknowns(ref: Reference) -> None:
    """Unknown values must not resolve to a canonical value by any rule."""
    for domain, canon, unknowns in (
        ("category", ref.categories, UNKNOWN_CATEGORIES),
        ("shopping_mall", ref.malls, UNKNOWN_MALLS),
    ):
        known = {name.lower() for name in canon}
        known |= {
            alias.lower() for group in ref.aliases.get(domain, {}).values() for alias in group
        }
        clash = [value for value in unknowns if value.strip().lower() in known]
        assert not clash, f"unknown {domain} values {clash} are known names"


def alt_date(rng: np.random.Generator, day: dt.date) -> str:
    if rng.random() < 0.5:
        return day.strftime("%Y-%m-%d")
    return f"{day.day}/{day.month}/{day.year}"


def mismatched_price(rng: np.random.Generator, total: float) -> float:
    """Off by 10-50% either way (well past a 1% tolerance), within 0.5x-2x."""
    factor = rng.uniform(0.5, 0.9) if rng.random() < 0.5 else rng.uniform(1.1, 2.0)
    return round(total * factor, 2)


def outlier_price(rng: np.random.Generator, total: float) -> float:
    return round(total * rng.uniform(10.0, 50.0), 2)


def non_positive_price(rng: np.random.Generator, total: float) -> float:
    return 0.0 if rng.random() < 0.3 else -total


def malformed(rng: np.random.Generator, fields: list[str]) -> str:
    """One physical line a CSV reader cannot map onto the 7 columns, and that never swallows
    the next line (no unbalanced quote): too few fields, too many, or a quoted comma."""
    shape = int(rng.integers(4))
    fields = list(fields)
    if shape == 0:  # the last field cut off
        return ",".join(fields[:-1])
    if shape == 1:  # a separator lost between category and quantity: 6 fields
        return ",".join(fields[:2] + [fields[2] + fields[3]] + fields[4:])
    if shape == 2:  # a trailing extra field
        return ",".join(fields + [str(rng.choice(["", "N/A", "x", "0"]))])
    # price and date quoted together: a balanced quote on the line, 6 fields
    return ",".join(fields[:4] + [f'"{fields[4]},{fields[5]}"', fields[6]])
