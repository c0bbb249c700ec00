"""Pricing: server-side, from the price table: per day, per night, per started hour, by dog size."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from dogcare.domain.money import Money
from dogcare.domain.pricing import DEFAULT_PRICES, UNITS, PriceTable, billable_units, quote

START = datetime(2030, 3, 5, 9, 0, tzinfo=UTC)
TABLE = PriceTable.default()


@pytest.mark.parametrize(("size", "amount"), [("small", 3500), ("medium", 4000), ("large", 4500), ("giant", 5000)])
def test_daycare_is_priced_per_day_by_size(size: str, amount: int) -> None:
    assert quote(TABLE, "daycare", size, START, START + timedelta(hours=8), 0) == Money(amount, "USD")


@pytest.mark.parametrize(("nights", "size", "amount"), [(1, "small", 5500), (3, "large", 19500), (30, "giant", 210000)])
def test_boarding_is_priced_per_night(nights: int, size: str, amount: int) -> None:
    end = START + timedelta(days=nights)
    assert quote(TABLE, "boarding", size, START, end, nights) == Money(amount, "USD")


@pytest.mark.parametrize(
    ("duration", "hours"),
    [
        (timedelta(minutes=1), 1),
        (timedelta(minutes=30), 1),
        (timedelta(hours=1), 1),
        (timedelta(hours=1, seconds=1), 2),
        (timedelta(hours=2, minutes=59), 3),
        (timedelta(hours=12), 12),
    ],
)
def test_parking_is_priced_per_started_hour(duration: timedelta, hours: int) -> None:
    assert billable_units("parking", START, START + duration, 0) == hours
    assert quote(TABLE, "parking", "medium", START, START + duration, 0) == Money(900 * hours, "USD")


def test_units_per_service() -> None:
    assert UNITS == {"daycare": "day", "boarding": "night", "parking": "hour"}
    assert billable_units("daycare", START, START + timedelta(hours=10), 0) == 1
    assert billable_units("boarding", START, START + timedelta(days=4), 4) == 4


def test_default_table_covers_every_service_and_size() -> None:
    for service in ("daycare", "boarding", "parking"):
        assert set(DEFAULT_PRICES[service]) == {"small", "medium", "large", "giant"}


def test_table_from_json_with_its_currency() -> None:
    table = PriceTable.from_json(json.dumps({"daycare": {"small": "1000", "large": 2000}}), "EUR")
    assert table.unit_price("daycare", "small") == Money(1000, "EUR")
    assert quote(table, "daycare", "large", START, START + timedelta(hours=1), 0) == Money(2000, "EUR")
    with pytest.raises(KeyError):
        table.unit_price("boarding", "small")
