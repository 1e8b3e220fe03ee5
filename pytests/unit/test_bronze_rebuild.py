"""`lakehouse build --rebuild-bronze` reads every delivery again from the landing folder, so it
refuses while a loaded file is missing or changed, naming each, unless told to forget it."""

from __future__ import annotations

import pytest

from lakehouse.errors import LakehouseError
from lakehouse.landing.rebuild import check_bronze_rebuild
from lakehouse.landing.states import CHANGED, LOADED, NEW, REMOVED, DeliveryState

LOADED_AT = "2026-12-01 08:00:00"
STATES = [
    DeliveryState("customers", "customer_data.parquet", LOADED, 100, LOADED_AT),
    DeliveryState("sales", "sales d1 (final).csv", REMOVED, None, LOADED_AT),
    DeliveryState("sales", "sales_2023-03-02.csv", CHANGED, 230, LOADED_AT),
    DeliveryState("sales", "sales_2023-03-03.csv", NEW, 120, None),
]


def test_a_missing_or_changed_loaded_file_stops_the_rebuild_and_is_named() -> None:
    with pytest.raises(LakehouseError) as raised:
        check_bronze_rebuild(STATES, forget=[])
    message = raised.value.message
    assert f"sales/sales d1 (final).csv: gone from the landing folder (loaded {LOADED_AT})" in (
        message
    )
    assert f"sales/sales_2023-03-02.csv: changed in place (loaded {LOADED_AT})" in message
    assert "customer_data.parquet" not in message and "2023-03-03" not in message
    assert "Nothing was changed" in message
    assert "--forget KIND/NAME" in raised.value.hint and "--full-refresh" in raised.value.hint


def test_forgetting_some_still_names_the_others() -> None:
    with pytest.raises(LakehouseError) as raised:
        check_bronze_rebuild(STATES, forget=["sales/sales d1 (final).csv"])
    assert "sales d1 (final).csv" not in raised.value.message
    assert "sales/sales_2023-03-02.csv: changed in place" in raised.value.message


def test_every_file_forgotten_or_present_lets_the_rebuild_go() -> None:
    forget = ["sales/sales d1 (final).csv", "sales/sales_2023-03-02.csv"]
    assert check_bronze_rebuild(STATES, forget=forget) is None
    present = [state for state in STATES if state.state in (LOADED, NEW)]
    assert check_bronze_rebuild(present, forget=[]) is None


@pytest.mark.parametrize(
    "name", ["customers/customer_data.parquet", "sales/sales_2023-03-03.csv", "sales/nope.csv"]
)
def test_forgetting_a_file_that_can_be_read_again_is_refused(name: str) -> None:
    with pytest.raises(LakehouseError) as raised:
        check_bronze_rebuild(STATES, forget=[name, "sales/sales d1 (final).csv"])
    assert f"--forget names {name}, which is not a loaded file that is missing" in (
        raised.value.message
    )
    assert "lakehouse deliveries" in raised.value.hint
