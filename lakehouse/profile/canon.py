"""The canonical value sets, read from the dbt seeds (the single source of truth).

A value is `canonical` when it equals a seed value exactly, a `variant` when lower/trim makes
it a canonical value or a known alias (seeds/value_aliases.csv), and `unknown` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lakehouse.seeds import read_seed


@dataclass(frozen=True)
class Domain:
    name: str  # "category", "shopping_mall", "payment_method"
    canonical: tuple[str, ...]
    lookup: dict[str, str]  # lower/trim canonical or alias -> canonical value

    def classify(self, values: pd.Series) -> pd.Series:
        """'canonical', 'variant' or 'unknown' for each value (null counts as unknown)."""
        text = values.astype("str")
        exact = text.isin(self.canonical).fillna(False).to_numpy(dtype=bool)
        folded = text.str.strip().str.lower()
        known = folded.isin(list(self.lookup)).fillna(False).to_numpy(dtype=bool)
        status = np.where(exact, "canonical", np.where(known, "variant", "unknown"))
        return pd.Series(status, index=values.index)

    def resolve(self, values: pd.Series) -> pd.Series:
        """The canonical value each value maps to (null when unknown)."""
        return values.astype("str").str.strip().str.lower().map(self.lookup)


@dataclass(frozen=True)
class Reference:
    category: Domain
    shopping_mall: Domain
    payment_method: Domain
    unit_prices: dict[str, float]
    aliases_checked: int


def load_reference() -> Reference:
    categories = read_seed("product_categories.csv")
    malls = [row["shopping_mall"] for row in read_seed("shopping_malls.csv")]
    payments = [row["payment_method"] for row in read_seed("payment_methods.csv")]
    aliases = read_seed("value_aliases.csv")

    def domain(name: str, canonical: list[str]) -> Domain:
        lookup = {value.strip().lower(): value for value in canonical}
        for row in aliases:
            if row["domain"] == name:
                lookup.setdefault(row["alias"].strip().lower(), row["canonical_value"])
        return Domain(name, tuple(canonical), lookup)

    return Reference(
        category=domain("category", [row["category"] for row in categories]),
        shopping_mall=domain("shopping_mall", malls),
        payment_method=domain("payment_method", payments),
        unit_prices={row["category"]: float(row["unit_price_try"]) for row in categories},
        aliases_checked=len(aliases),
    )
