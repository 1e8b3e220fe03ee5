"""Clean values true to the landing contract (docs/landing_contract.md): names, shares,
prices, dates and ids.

Canonical names and unit prices are read from the dbt seeds (the single source of truth);
the shares of rows live here. Everything is precomputed into small lookup tables so a chunk
of rows is built by indexing, not by formatting each row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from lakehouse.errors import LakehouseError
from lakehouse.seeds import read_seed

# Shares of rows (docs/landing_contract.md). Names must match the seeds exactly.
CATEGORY_SHARES = {
    "Clothing": 0.35,
    "Cosmetics": 0.15,
    "Food & Beverage": 0.15,
    "Toys": 0.10,
    "Shoes": 0.10,
    "Souvenir": 0.05,
    "Technology": 0.05,
    "Books": 0.05,
}
MALL_SHARES = {
    "Mall of Istanbul": 0.20,
    "Kanyon": 0.20,
    "Metrocity": 0.15,
    "Metropol AVM": 0.10,
    "Istinye Park": 0.10,
    "Zorlu Center": 0.05,
    "Cevahir AVM": 0.05,
    "Forum Istanbul": 0.05,
    "Viaport Outlet": 0.05,
    "Emaar Square Mall": 0.05,
}
PAYMENT_SHARES = {"Cash": 0.45, "Credit Card": 0.35, "Debit Card": 0.20}
GENDER_SHARES = {"Female": 0.60, "Male": 0.40}
AGE_MIN, AGE_MAX = 18, 69
QUANTITY_MIN, QUANTITY_MAX = 1, 5
FIRST_DAY = dt.date(2021, 1, 1)
LAST_DAY = dt.date(2023, 3, 8)
ID_SPACE_6_DIGITS = 900_000  # I100000..I999999


def _names_from_seed(name: str, column: str, shares: dict[str, float]) -> list[str]:
    names = [row[column] for row in read_seed(name)]
    if sorted(names) != sorted(shares):
        raise LakehouseError(
            f"seeds/{name} lists {sorted(names)}, the generator's shares {sorted(shares)}.",
            "Keep the seed and CATEGORY/MALL/PAYMENT_SHARES in lakehouse/generate/values.py "
            "in step.",
        )
    return list(shares)  # in the order of the shares table


def format_price(value: float) -> str:
    """The source's way: the shortest text that reads back as the 2-decimal value
    (300.08, 1500.4, 5250.0); negative prices keep their sign."""
    return repr(round(float(value), 2) + 0.0)  # + 0.0 turns -0.0 into 0.0


@dataclass(frozen=True)
class Reference:
    categories: list[str]
    category_shares: np.ndarray
    unit_prices: np.ndarray  # float, by category index
    malls: list[str]
    mall_shares: np.ndarray
    payments: list[str]
    payment_shares: np.ndarray
    genders: list[str]
    gender_shares: np.ndarray
    aliases: dict[str, dict[str, list[str]]]  # domain -> canonical -> aliases (lower case)
    days: list[dt.date]
    # Lookup tables of text, as numpy object arrays for fancy indexing.
    category_text: np.ndarray
    mall_text: np.ndarray
    payment_text: np.ndarray
    gender_text: np.ndarray
    quantity_text: np.ndarray  # by quantity 0..QUANTITY_MAX
    price_text: np.ndarray  # [category, quantity]
    date_text: np.ndarray  # dd-mm-yyyy by day index

    def line_total(self, category: int, quantity: int) -> float:
        return round(quantity * float(self.unit_prices[category]), 2)


def _object_array(values: list[str]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


@lru_cache(maxsize=1)
def reference() -> Reference:
    categories = _names_from_seed("product_categories.csv", "category", CATEGORY_SHARES)
    prices = {
        row["category"]: float(row["unit_price_try"]) for row in read_seed("product_categories.csv")
    }
    malls = _names_from_seed("shopping_malls.csv", "shopping_mall", MALL_SHARES)
    payments = _names_from_seed("payment_methods.csv", "payment_method", PAYMENT_SHARES)
    aliases: dict[str, dict[str, list[str]]] = {}
    for row in read_seed("value_aliases.csv"):
        domain = aliases.setdefault(row["domain"], {})
        domain.setdefault(row["canonical_value"], []).append(row["alias"])
    unit_prices = np.array([prices[name] for name in categories])
    days = [FIRST_DAY + dt.timedelta(days=n) for n in range((LAST_DAY - FIRST_DAY).days + 1)]
    price_text = np.empty((len(categories), QUANTITY_MAX + 1), dtype=object)
    for c, unit in enumerate(unit_prices):
        for q in range(QUANTITY_MAX + 1):
            price_text[c, q] = format_price(q * unit)

    def shares(table: dict[str, float]) -> np.ndarray:
        values = np.array(list(table.values()))
        return values / values.sum()

    return Reference(
        categories=categories,
        category_shares=shares(CATEGORY_SHARES),
        unit_prices=unit_prices,
        malls=malls,
        mall_shares=shares(MALL_SHARES),
        payments=payments,
        payment_shares=shares(PAYMENT_SHARES),
        genders=list(GENDER_SHARES),
        gender_shares=shares(GENDER_SHARES),
        aliases=aliases,
        days=days,
        category_text=_object_array(categories),
        mall_text=_object_array(malls),
        payment_text=_object_array(payments),
        gender_text=_object_array(list(GENDER_SHARES)),
        quantity_text=_object_array([str(q) for q in range(QUANTITY_MAX + 1)]),
        price_text=price_text,
        date_text=_object_array([day.strftime("%d-%m-%Y") for day in days]),
    )


# --- ids -------------------------------------------------------------------------------------


def id_digits(ids_needed: int) -> int:
    """6 digits (the source's width) while the ids fit, one more per factor of ten beyond."""
    digits = 6
    while ids_needed > 9 * 10 ** (digits - 1):
        digits += 1
    return digits


_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix(values: np.ndarray, key: np.uint64) -> np.ndarray:
    """A 64-bit hash (splitmix64 finaliser) of values and a round key."""
    with np.errstate(over="ignore"):
        z = (values + key) & _MASK64
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


class IdPermutation:
    """A keyed bijection of 0..size-1 onto itself, computed for any slice without memory.

    A 4-round Feistel network on the smallest even power of two >= size, with cycle walking
    for values that land outside the range. Index k gets id prefix + (10**(digits-1) + perm(k)),
    so ids look scattered like the source's (I138884) yet are unique by construction.
    """

    def __init__(self, size: int, seed: int, stream: int) -> None:
        self.size = size
        bits = max(2, (size - 1).bit_length())
        self.half = (bits + 1) // 2
        self.half_mask = np.uint64((1 << self.half) - 1)
        keys = np.random.default_rng([seed, stream]).integers(0, 2**63, size=4, dtype=np.uint64)
        self.keys = [np.uint64(k) for k in keys]

    def _feistel(self, values: np.ndarray) -> np.ndarray:
        left = values >> np.uint64(self.half)
        right = values & self.half_mask
        for key in self.keys:
            left, right = right, left ^ (_mix(right, key) & self.half_mask)
        return (left << np.uint64(self.half)) | right

    def __call__(self, index: np.ndarray) -> np.ndarray:
        values = self._feistel(np.asarray(index, dtype=np.uint64))
        outside = values >= np.uint64(self.size)
        while outside.any():
            values[outside] = self._feistel(values[outside])
            outside = values >= np.uint64(self.size)
        return values.astype(np.int64)


class IdFormatter:
    """Ids `<prefix><digits>` for index 0..size-1 of an id space of `digits` digits."""

    def __init__(self, prefix: str, digits: int, seed: int, stream: int) -> None:
        self.prefix = prefix
        self.digits = digits
        self.low = 10 ** (digits - 1)
        self.permutation = IdPermutation(9 * self.low, seed, stream)

    def __call__(self, index: np.ndarray) -> np.ndarray:
        numbers = self.permutation(index) + self.low
        return _object_array([f"{self.prefix}{n}" for n in numbers.tolist()])
