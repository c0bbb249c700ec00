"""Money as integer minor units plus a currency: never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# ISO 4217 exponents that differ from the usual two decimals.
_EXPONENTS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "HUF": 2, "BHD": 3, "KWD": 3, "JOD": 3}


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


@dataclass(frozen=True, order=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount must be an int of minor units")
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ValueError(f"not an ISO 4217 currency code: {self.currency!r}")
        object.__setattr__(self, "currency", self.currency.upper())

    @property
    def major(self) -> str:
        """The amount in major units as a fixed-point string, e.g. ``"45.00"``."""
        places = exponent(self.currency)
        value = Decimal(self.amount).scaleb(-places)
        return f"{value:.{places}f}"

    @classmethod
    def from_major(cls, value: str | int | Decimal, currency: str) -> Money:
        places = exponent(currency)
        minor = Decimal(str(value)).scaleb(places)
        if minor != minor.to_integral_value():
            raise ValueError(f"{value} has more than {places} decimal places")
        return cls(int(minor), currency)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def times(self, units: int) -> Money:
        return Money(self.amount * units, self.currency)

    def percent(self, percent: int) -> Money:
        # Round half down in the customer's favour is not our call: truncate towards zero
        # (floor division would round a negative amount away from zero).
        share = abs(self.amount * percent) // 100
        return Money(share if self.amount * percent >= 0 else -share, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch: {self.currency} vs {other.currency}")
