"""The access-pattern registry: every way the application reads data, as data.

The patterns are declared with their entities (``dogcare.storage.declarations``), their key
conditions taken from the entities' key templates; repositories execute them and
``docs/access-patterns.md`` is generated from them (``dogcare.storage.patterns_doc``), so what
analysts read is exactly what the code does.
"""

from __future__ import annotations

from dogcare.storage.declarations import (
    BOOKING_EXAMPLE,
    CAPACITY_WINDOW,
    DAY_ROSTER,
    DOG_EXAMPLE,
    EXPIRED_HOLDS,
    GET_BOOKING,
    GET_CAPACITY_USAGE,
    GET_DOG,
    GET_OWNER,
    GET_PAYMENT,
    LIST_CAPACITY_SETTINGS,
    LIST_DOG_BOOKINGS,
    LIST_OWNER_BOOKINGS,
    LIST_OWNER_DOGS,
    LIST_OWNER_PAYMENTS,
    LIST_OWNERS,
    OWNER_EXAMPLE,
    PAYMENT_EXAMPLE,
    SCHEMA,
)
from dogcare.storage.schema import HIGH, AccessPattern, RangeKey, RangeOp

REGISTRY: tuple[AccessPattern, ...] = SCHEMA.patterns
BY_NAME = {p.name: p for p in REGISTRY}

__all__ = [
    "BOOKING_EXAMPLE",
    "BY_NAME",
    "CAPACITY_WINDOW",
    "DAY_ROSTER",
    "DOG_EXAMPLE",
    "EXPIRED_HOLDS",
    "GET_BOOKING",
    "GET_CAPACITY_USAGE",
    "GET_DOG",
    "GET_OWNER",
    "GET_PAYMENT",
    "HIGH",
    "LIST_CAPACITY_SETTINGS",
    "LIST_DOG_BOOKINGS",
    "LIST_OWNERS",
    "LIST_OWNER_BOOKINGS",
    "LIST_OWNER_DOGS",
    "LIST_OWNER_PAYMENTS",
    "OWNER_EXAMPLE",
    "PAYMENT_EXAMPLE",
    "REGISTRY",
    "AccessPattern",
    "RangeKey",
    "RangeOp",
]
