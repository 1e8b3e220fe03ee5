"""One chunk of sales_data.csv: base invoices, the dirt, and the text of the lines."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakehouse.anomalies import names
from lakehouse.generate import dirt
from lakehouse.generate.plan import SALES_STREAM, Plan, interleave
from lakehouse.generate.values import format_price
from lakehouse.landing.contract import SALES_COLUMNS

IN_PLACE = [
    name
    for name in names("sales")
    if name not in dirt.FRESH_LINE_ANOMALIES and name not in dirt.COPY_ANOMALIES
]


@dataclass
class Event:
    name: str
    key: str
    row: int  # row in the chunk before interleaving (base rows, then extras)


@dataclass
class SalesChunk:
    data: bytes  # the lines, each ending in "\n"
    lines: int
    events: list[tuple[str, str, int]]  # (anomaly, key, 0-based line in the chunk)


def _clean_rows(plan: Plan, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Everything but the ids of n clean rows, as object arrays of text, plus the codes."""
    ref = plan.ref
    category = rng.choice(len(ref.categories), size=n, p=ref.category_shares)
    quantity = rng.integers(1, 6, size=n)
    day = rng.integers(0, len(ref.days), size=n)
    mall = rng.choice(len(ref.malls), size=n, p=ref.mall_shares)
    return {
        "category": ref.category_text[category],
        "quantity": ref.quantity_text[quantity],
        "price": ref.price_text[category, quantity],
        "invoice_date": ref.date_text[day],
        "shopping_mall": ref.mall_text[mall],
        "_category": category,
        "_quantity": quantity,
        "_day": day,
        "_mall": mall,
    }


def build(plan: Plan, chunk: int, start: int, stop: int) -> SalesChunk:
    rng = plan.rng(SALES_STREAM, chunk)
    n = stop - start
    index = np.arange(start, stop)
    cols = _clean_rows(plan, rng, n)
    cols["invoice_no"] = plan.invoice_ids(index)
    cols["customer_id"] = plan.customer_ids(plan.customer_of(index))
    rates = plan.rates

    # Distinct base rows for the in-place dirt and for the clean originals of copies.
    counts = {name: dirt.events_in(rates[name], start, stop) for name in names("sales")}
    reserving = IN_PLACE + list(dirt.COPY_ANOMALIES)
    counts.update(dirt.fit({name: counts[name] for name in reserving}, n))
    picked = rng.choice(n, size=sum(counts[name] for name in reserving), replace=False)
    taken: dict[str, np.ndarray] = {}
    offset = 0
    for name in reserving:
        taken[name] = np.sort(picked[offset : offset + counts[name]])
        offset += counts[name]

    events: list[Event] = []
    malformed: list[int] = []
    for name in IN_PLACE:
        for row in taken[name].tolist():
            _dirty_in_place(plan, rng, cols, name, row)
            if name == "malformed_line":
                malformed.append(row)
            events.append(Event(name, cols["invoice_no"][row].strip(), row))

    # Extra lines: copies of clean originals, and fresh lines without a real customer.
    extras: list[dict[str, str]] = []
    before: list[int] = []

    def add_extra(fields: dict[str, str], insert_before: int, name: str) -> None:
        events.append(Event(name, fields["invoice_no"].strip(), n + len(extras)))
        extras.append(fields)
        before.append(insert_before)

    for name in dirt.COPY_ANOMALIES:
        for row in taken[name].tolist():
            fields = {column: cols[column][row] for column in SALES_COLUMNS}
            if name == "conflicting_duplicate_invoice":
                events.append(Event(name, fields["invoice_no"], row))
                fields = _conflicting(plan, rng, cols, row, fields)
            add_extra(fields, int(rng.integers(row + 1, n + 1)), name)

    fresh_start = {
        "orphan_customer_id": dirt.events_before(rates["orphan_customer_id"], start),
        "missing_customer_id": dirt.events_before(rates["missing_customer_id"], start),
    }
    for name in dirt.FRESH_LINE_ANOMALIES:
        count = counts[name]
        if not count:
            continue
        first = fresh_start[name]
        if name == "orphan_customer_id":
            invoice_index = plan.rows + first + np.arange(count)
            customer = plan.customer_ids(plan.customers + first + np.arange(count))
        else:
            invoice_index = plan.rows + plan.orphans + first + np.arange(count)
            customer = [dirt.BLANKS[int(rng.integers(len(dirt.BLANKS)))] for _ in range(count)]
        invoices = plan.invoice_ids(invoice_index)
        body = _clean_rows(plan, rng, count)
        for k in range(count):
            fields = {column: body[column][k] for column in SALES_COLUMNS[2:]}
            fields.update(invoice_no=invoices[k], customer_id=customer[k])
            add_extra(fields, int(rng.integers(0, n + 1)), name)

    # Interleave and render.
    order, position = interleave(n, before)
    arrays = []
    for column in SALES_COLUMNS:
        values = cols[column]
        if extras:
            values = np.concatenate([values, np.array([e[column] for e in extras], dtype=object)])
        arrays.append(pa.array(values[order], type=pa.string()))
    lines = pc.binary_join_element_wise(*arrays, ",")
    if malformed:
        mask = np.zeros(len(order), dtype=bool)
        mask[position[malformed]] = True
        texts = {
            int(position[row]): dirt.malformed(rng, [cols[c][row] for c in SALES_COLUMNS])
            for row in malformed
        }
        lines = pc.replace_with_mask(
            lines, pa.array(mask), pa.array([texts[p] for p in sorted(texts)], type=pa.string())
        )
    lines = pc.binary_join_element_wise(lines, pa.scalar("\n"), "")
    return SalesChunk(
        data=_string_bytes(lines),
        lines=len(order),
        events=[(e.name, e.key, int(position[e.row])) for e in events],
    )


def _string_bytes(array: pa.StringArray) -> bytes:
    """The concatenated text of a string array without nulls, straight from its buffers."""
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)
    first, last = offsets[array.offset], offsets[array.offset + len(array)]
    return memoryview(array.buffers()[2])[first:last].tobytes()


def _dirty_in_place(
    plan: Plan, rng: np.random.Generator, cols: dict[str, np.ndarray], name: str, row: int
) -> None:
    ref = plan.ref
    category, quantity = int(cols["_category"][row]), int(cols["_quantity"][row])
    total = ref.line_total(category, quantity)

    def pick(options: tuple) -> object:
        return options[int(rng.integers(len(options)))]

    if name == "missing_invoice_no":
        cols["invoice_no"][row] = pick(dirt.BLANKS)
    elif name == "missing_invoice_date":
        cols["invoice_date"][row] = pick(dirt.BLANKS)
    elif name == "alt_date_format":
        cols["invoice_date"][row] = dirt.alt_date(rng, ref.days[int(cols["_day"][row])])
    elif name == "impossible_date":
        cols["invoice_date"][row] = pick(dirt.IMPOSSIBLE_DATES)
    elif name == "non_positive_price":
        cols["price"][row] = format_price(dirt.non_positive_price(rng, total))
    elif name == "price_mismatch":
        cols["price"][row] = format_price(dirt.mismatched_price(rng, total))
    elif name == "price_outlier":
        cols["price"][row] = format_price(dirt.outlier_price(rng, total))
    elif name == "quantity_out_of_range":
        bad = pick(dirt.OUT_OF_RANGE_QUANTITIES)
        cols["quantity"][row] = str(bad)
        if bad > 0:  # price consistent with the (wrong) quantity; else the row's real price
            cols["price"][row] = format_price(bad * float(ref.unit_prices[category]))
    elif name == "non_numeric_quantity":
        cols["quantity"][row] = pick(dirt.NON_NUMERIC_QUANTITIES)
    elif name == "variant_category":
        canonical = ref.categories[category]
        aliases = ref.aliases.get("category", {}).get(canonical, [])
        cols["category"][row] = dirt.variant(rng, canonical, aliases)
    elif name == "variant_mall":
        canonical = ref.malls[int(cols["_mall"][row])]
        aliases = ref.aliases.get("shopping_mall", {}).get(canonical, [])
        cols["shopping_mall"][row] = dirt.variant(rng, canonical, aliases)
    elif name == "unknown_category":
        cols["category"][row] = pick(dirt.UNKNOWN_CATEGORIES)
    elif name == "unknown_mall":
        cols["shopping_mall"][row] = pick(dirt.UNKNOWN_MALLS)
    elif name == "malformed_line":
        pass  # the line is rendered from the clean fields after interleaving
    else:  # pragma: no cover - a catalogue name without an injector
        raise AssertionError(f"no injector for {name}")


def _conflicting(
    plan: Plan, rng: np.random.Generator, cols: dict, row: int, fields: dict[str, str]
) -> dict[str, str]:
    """A valid line with the same invoice_no but other values: another quantity (price
    consistent), and sometimes another day or mall too."""
    ref = plan.ref
    category, quantity = int(cols["_category"][row]), int(cols["_quantity"][row])
    other = int(rng.choice([q for q in range(1, 6) if q != quantity]))
    fields = dict(fields)
    fields["quantity"] = ref.quantity_text[other]
    fields["price"] = ref.price_text[category, other]
    if rng.random() < 0.3:
        fields["invoice_date"] = ref.date_text[int(rng.integers(len(ref.days)))]
    if rng.random() < 0.3:
        fields["shopping_mall"] = ref.mall_text[int(rng.integers(len(ref.malls)))]
    return fields
