"""Prices are computed on the server from a price table: service x dog size -> price per unit."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime

from dogcare.domain.money import Money
from dogcare.domain.vocabulary import ServiceType

# Minor units per unit of service: daycare per day, boarding per night, parking per started hour.
DEFAULT_PRICES: dict[str, dict[str, int]] = {
    ServiceType.DAYCARE: {"small": 3500, "medium": 4000, "large": 4500, "giant": 5000},
    ServiceType.BOARDING: {"small": 5500, "medium": 6000, "large": 6500, "giant": 7000},
    ServiceType.PARKING: {"small": 800, "medium": 900, "large": 1000, "giant": 1100},
}
UNITS = {ServiceType.DAYCARE: "day", ServiceType.BOARDING: "night", ServiceType.PARKING: "hour"}


@dataclass(frozen=True)
class PriceTable:
    currency: str
    prices: dict[str, dict[str, int]]

    @classmethod
    def default(cls, currency: str = "USD") -> PriceTable:
        return cls(currency, DEFAULT_PRICES)

    @classmethod
    def from_json(cls, text: str, currency: str) -> PriceTable:
        data = json.loads(text)
        return cls(currency, {service: {size: int(v) for size, v in sizes.items()} for service, sizes in data.items()})

    def unit_price(self, service_type: str, size: str) -> Money:
        return Money(self.prices[service_type][size], self.currency)


def billable_units(service_type: str, start: datetime, end: datetime, nights: int) -> int:
    if service_type == ServiceType.PARKING:
        return max(1, math.ceil((end - start).total_seconds() / 3600))
    if service_type == ServiceType.BOARDING:
        return nights
    return 1


def quote(table: PriceTable, service_type: str, size: str, start: datetime, end: datetime, nights: int) -> Money:
    return table.unit_price(service_type, size).times(billable_units(service_type, start, end, nights))
