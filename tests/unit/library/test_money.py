"""Money: integer minor units, a currency, and the currency's exponent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dogcare.domain.money import Money, exponent


def test_amount_is_minor_units_and_currency_is_upper_cased() -> None:
    money = Money(4500, "usd")
    assert money.amount == 4500
    assert money.currency == "USD"
    assert money.major == "45.00"


@pytest.mark.parametrize(
    ("currency", "places"),
    [("USD", 2), ("EUR", 2), ("jpy", 0), ("KRW", 0), ("KWD", 3), ("BHD", 3), ("XYZ", 2)],
)
def test_currency_exponent(currency: str, places: int) -> None:
    assert exponent(currency) == places


@pytest.mark.parametrize(
    ("amount", "currency", "major"),
    [
        (4500, "USD", "45.00"),
        (5, "USD", "0.05"),
        (0, "USD", "0.00"),
        (-150, "EUR", "-1.50"),
        (500, "JPY", "500"),
        (1234, "KWD", "1.234"),
        (1, "BHD", "0.001"),
    ],
)
def test_major_is_a_fixed_point_string(amount: int, currency: str, major: str) -> None:
    assert Money(amount, currency).major == major


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [
        ("45", "USD", 4500),
        ("45.5", "USD", 4550),
        (Decimal("0.01"), "USD", 1),
        (500, "JPY", 500),
        ("1.234", "KWD", 1234),
    ],
)
def test_from_major(value: str | int | Decimal, currency: str, minor: int) -> None:
    assert Money.from_major(value, currency) == Money(minor, currency)


@pytest.mark.parametrize(("value", "currency"), [("1.234", "USD"), ("0.5", "JPY"), ("1.0001", "KWD")])
def test_from_major_refuses_more_places_than_the_currency_has(value: str, currency: str) -> None:
    with pytest.raises(ValueError, match="decimal places"):
        Money.from_major(value, currency)


@pytest.mark.parametrize("amount", [1.5, 45.0, Decimal("45"), "4500", True])
def test_amount_must_be_an_int(amount: object) -> None:
    with pytest.raises(TypeError):
        Money(amount, "USD")  # type: ignore[arg-type]


@pytest.mark.parametrize("currency", ["US", "USDX", "U1D", "", "€€€"])
def test_currency_must_be_an_iso_code(currency: str) -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        Money(100, currency)


def test_arithmetic_keeps_the_currency() -> None:
    assert Money(4500, "USD") + Money(500, "USD") == Money(5000, "USD")
    assert Money(4500, "USD") - Money(500, "USD") == Money(4000, "USD")
    assert Money(4500, "USD").times(3) == Money(13500, "USD")


@pytest.mark.parametrize("other", [Money(1, "EUR"), Money(1, "JPY")])
def test_mixing_currencies_is_refused(other: Money) -> None:
    with pytest.raises(ValueError, match="currency mismatch"):
        _ = Money(100, "USD") + other
    with pytest.raises(ValueError, match="currency mismatch"):
        _ = Money(100, "USD") - other


@pytest.mark.parametrize(
    ("amount", "percent", "expected"),
    [
        (4500, 50, 2250),
        (999, 50, 499),
        (1, 50, 0),
        (4500, 100, 4500),
        (4500, 0, 0),
        (-999, 50, -499),
        (-1, 50, 0),
    ],
)
def test_percent_truncates_towards_zero(amount: int, percent: int, expected: int) -> None:
    assert Money(amount, "USD").percent(percent) == Money(expected, "USD")


def test_money_is_immutable() -> None:
    money = Money(100, "USD")
    with pytest.raises(AttributeError):
        money.amount = 5  # type: ignore[misc]


@given(st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from(["USD", "JPY", "KWD", "EUR"]))
def test_major_round_trips(amount: int, currency: str) -> None:
    money = Money(amount, currency)
    assert Money.from_major(money.major, currency) == money
