"""One chunk of customer_data.parquet: customers, their dirt, as an Arrow table."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from lakehouse.generate import dirt
from lakehouse.generate.plan import CUSTOMER_STREAM, Plan, interleave
from lakehouse.generate.values import AGE_MAX, AGE_MIN, Reference
from lakehouse.landing.contract import CUSTOMER_TYPES

# The contract's columns and types, as the Arrow types Spark reads them as.
_ARROW_TYPES = {"string": pa.string(), "double": pa.float64()}
SCHEMA = pa.schema(
    [pa.field(column, _ARROW_TYPES[kind]) for column, kind in CUSTOMER_TYPES.items()]
)
DIRT = ("null_age", "variant_payment_method", "duplicate_customer_conflict")


@dataclass
class CustomersChunk:
    table: pa.Table
    events: list[tuple[str, str, int]]  # (anomaly, customer_id, 0-based row in the chunk)


def build(plan: Plan, chunk: int, start: int, stop: int) -> CustomersChunk:
    ref = plan.ref
    rng = plan.rng(CUSTOMER_STREAM, chunk)
    n = stop - start
    ids = plan.customer_ids(np.arange(start, stop))
    gender = rng.choice(len(ref.genders), size=n, p=ref.gender_shares)
    age = rng.integers(AGE_MIN, AGE_MAX + 1, size=n).astype(np.float64)
    payment = rng.choice(len(ref.payments), size=n, p=ref.payment_shares)
    gender_text = ref.gender_text[gender]
    payment_text = ref.payment_text[payment]
    age_null = np.zeros(n, dtype=bool)

    counts = dirt.fit({name: dirt.events_in(plan.rates[name], start, stop) for name in DIRT}, n)
    picked = rng.choice(n, size=sum(counts.values()), replace=False)
    events: list[tuple[str, str, int]] = []  # row = index before interleaving
    extra_rows: list[tuple[str, str, float, str]] = []
    before: list[int] = []
    offset = 0
    for name in DIRT:
        rows = np.sort(picked[offset : offset + counts[name]]).tolist()
        offset += counts[name]
        for row in rows:
            if name == "null_age":
                age_null[row] = True
                events.append((name, ids[row], row))
            elif name == "variant_payment_method":
                canonical = ref.payments[int(payment[row])]
                aliases = ref.aliases.get("payment_method", {}).get(canonical, [])
                payment_text[row] = dirt.variant(rng, canonical, aliases)
                events.append((name, ids[row], row))
            else:  # a later row with the same id and other, valid attributes
                extra_rows.append(
                    _conflicting(rng, ref, ids[row], gender[row], age[row], payment[row])
                )
                events.append((name, ids[row], n + len(before)))
                before.append(int(rng.integers(row + 1, n + 1)))

    order, position = interleave(n, before)
    if extra_rows:
        extra = list(zip(*extra_rows, strict=True))
        ids = np.concatenate([ids, np.array(extra[0], dtype=object)])
        gender_text = np.concatenate([gender_text, np.array(extra[1], dtype=object)])
        age = np.concatenate([age, np.array(extra[2], dtype=np.float64)])
        payment_text = np.concatenate([payment_text, np.array(extra[3], dtype=object)])
        age_null = np.concatenate([age_null, np.zeros(len(extra_rows), dtype=bool)])
    table = pa.table(
        [
            pa.array(ids[order], type=pa.string()),
            pa.array(gender_text[order], type=pa.string()),
            pa.array(age[order], type=pa.float64(), mask=age_null[order]),
            pa.array(payment_text[order], type=pa.string()),
        ],
        schema=SCHEMA,
    )
    return CustomersChunk(table, [(name, key, int(position[row])) for name, key, row in events])


def _conflicting(
    rng: np.random.Generator,
    ref: Reference,
    customer_id: str,
    gender: int,
    age: float,
    payment: int,
) -> tuple[str, str, float, str]:
    """Same id, at least one of gender/age/payment_method different (all valid values)."""
    change = [bool(flag) for flag in rng.random(3) < 0.4]
    if not any(change):
        change[int(rng.integers(3))] = True
    if change[0]:
        gender = 1 - gender
    if change[1]:
        age = float(rng.choice([a for a in range(AGE_MIN, AGE_MAX + 1) if a != int(age)]))
    if change[2]:
        payment = int(rng.choice([p for p in range(len(ref.payments)) if p != payment]))
    return customer_id, ref.genders[int(gender)], float(age), ref.payments[int(payment)]
