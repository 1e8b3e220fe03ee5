"""What a run will produce, fixed before the first row: sizes, id spaces, rates, streams.

Every chunk draws from its own random stream, seeded by (seed, entity, chunk number), so a
chunk's content depends only on the options, never on what was generated before it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lakehouse.generate import dirt
from lakehouse.generate.values import IdFormatter, IdPermutation, Reference, id_digits

CHUNK_ROWS = 250_000  # part of the output's identity: changing it changes the bytes

CUSTOMER_STREAM, SALES_STREAM = 1, 2
_INVOICE_ID_STREAM, _CUSTOMER_ID_STREAM, _OWNER_STREAM = 11, 12, 13


@dataclass
class Plan:
    ref: Reference
    seed: int
    rows: int  # base invoices (each with its own invoice_no)
    invoices_per_customer: int
    customers: int  # real customers, ceil(rows / invoices_per_customer)
    rates: dict[str, float]
    orphans: int  # fresh lines whose customer_id is absent from the customers file
    missing_customers: int  # fresh lines with a null/blank customer_id
    invoice_ids: IdFormatter
    customer_ids: IdFormatter
    owner: IdPermutation  # invoice index -> slot; slot // invoices_per_customer = customer

    @classmethod
    def build(
        cls, ref: Reference, seed: int, rows: int, invoices_per_customer: int, rates: dict
    ) -> Plan:
        customers = math.ceil(rows / invoices_per_customer)
        orphans = dirt.events_before(rates["orphan_customer_id"], rows)
        missing = dirt.events_before(rates["missing_customer_id"], rows)
        invoice_digits = id_digits(rows + orphans + missing)
        customer_digits = id_digits(customers + orphans)
        return cls(
            ref=ref,
            seed=seed,
            rows=rows,
            invoices_per_customer=invoices_per_customer,
            customers=customers,
            rates=rates,
            orphans=orphans,
            missing_customers=missing,
            invoice_ids=IdFormatter("I", invoice_digits, seed, _INVOICE_ID_STREAM),
            customer_ids=IdFormatter("C", customer_digits, seed, _CUSTOMER_ID_STREAM),
            owner=IdPermutation(rows, seed, _OWNER_STREAM),
        )

    def customer_of(self, invoice_index: np.ndarray) -> np.ndarray:
        """Customer index of base invoices: every customer gets invoices_per_customer of them
        (the last customer the remainder), spread over the whole file."""
        return self.owner(invoice_index) // self.invoices_per_customer

    def rng(self, stream: int, chunk: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, stream, chunk])

    @staticmethod
    def chunks(total: int) -> list[tuple[int, int, int]]:
        """(number, start, stop) of each chunk; a short tail joins the chunk before it."""
        bounds = list(range(0, total, CHUNK_ROWS)) + [total]
        if len(bounds) > 2 and bounds[-1] - bounds[-2] < CHUNK_ROWS // 4:
            del bounds[-2]
        return [(number, bounds[number], bounds[number + 1]) for number in range(len(bounds) - 1)]


def interleave(n_base: int, insert_before: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Order of n_base rows plus extra rows, extra k placed just before base row
    insert_before[k] (n_base = at the end). Returns (order, position): order[i] is the row
    at output position i; position[row] the output position of a row (base rows first,
    then the extras in the order given)."""
    extras = len(insert_before)
    where = np.concatenate([np.arange(n_base), np.asarray(insert_before, dtype=np.int64)])
    after = np.concatenate([np.ones(n_base, dtype=np.int8), np.zeros(extras, dtype=np.int8)])
    tiebreak = np.arange(n_base + extras)
    order = np.lexsort((tiebreak, after, where))
    position = np.empty_like(order)
    position[order] = np.arange(len(order))
    return order, position
