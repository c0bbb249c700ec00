"""The access-pattern registry: every way the application reads data, as data.

Repositories execute these definitions; ``docs/access-patterns.md`` is generated from them
(``dogcare.storage.patterns_doc``), so what analysts read is exactly what the code does.
Each pattern names its logical table, its index (None for the base table), the key
condition with templates, and the entity it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from dogcare.storage.layout import CALENDAR, DOG_OVERLAY, OWNER_OVERLAY, IndexSpec, LogicalTable

RangeOp = Literal["eq", "begins_with", "between"]
HIGH = "\uffff"  # sorts after every character we store: closes an open BETWEEN range

# Example parameters for the generated documentation (realistic, complete ids).
OWNER_EXAMPLE = "owner-4f1c2a9e-7b3d-5e8f-a1c2-3d4e5f6a7b8c"
DOG_EXAMPLE = "dog-9a2e4c6b-1d3f-4a5b-8c7d-9e0f1a2b3c4d"
BOOKING_EXAMPLE = "booking-77b0c1d2-e3f4-4a5b-9c6d-7e8f9a0b1c2d"
PAYMENT_EXAMPLE = "payment-c3d1e2f3-a4b5-4c6d-8e7f-9a0b1c2d3e4f"


@dataclass(frozen=True)
class RangeKey:
    op: RangeOp
    templates: tuple[str, ...]


@dataclass(frozen=True)
class AccessPattern:
    name: str
    summary: str
    table: LogicalTable
    index: IndexSpec | None
    operation: Literal["GetItem", "Query", "BatchGetItem"]
    hash_template: str
    range: RangeKey | None
    entity: str
    used_by: tuple[str, ...]
    example: dict[str, str] = field(default_factory=dict)
    narrower: dict[str, RangeKey] = field(default_factory=dict)

    @property
    def hash_attr(self) -> str:
        return self.index.hash_attr if self.index else "pk"

    @property
    def range_attr(self) -> str:
        return self.index.range_attr if self.index else "sk"

    def hash_value(self, **params: Any) -> str:
        return self.hash_template.format(**params)

    def range_key(self, variant: str | None = None) -> RangeKey | None:
        return self.narrower[variant] if variant else self.range

    def range_values(self, variant: str | None = None, **params: Any) -> tuple[str, ...]:
        key = self.range_key(variant)
        return tuple(t.format(**params) for t in key.templates) if key else ()

    def key_condition(self, variant: str | None = None) -> str:
        text = f"{self.hash_attr} = '{self.hash_template}'"
        key = self.range_key(variant)
        if key is None:
            return text
        if key.op == "eq":
            return f"{text} AND {self.range_attr} = '{key.templates[0]}'"
        if key.op == "begins_with":
            return f"{text} AND begins_with({self.range_attr}, '{key.templates[0]}')"
        return f"{text} AND {self.range_attr} BETWEEN '{key.templates[0]}' AND '{key.templates[1]}'"


def _p(*args: Any, **kwargs: Any) -> AccessPattern:
    return AccessPattern(*args, **kwargs)


GET_OWNER = _p(
    "get_owner",
    "One owner's profile by id.",
    "owners",
    None,
    "GetItem",
    "OWNER#{owner_id}",
    RangeKey("eq", ("#PROFILE",)),
    "owner",
    ("GET /owners/profile", "PUT /owners/profile"),
    {"owner_id": OWNER_EXAMPLE},
)
LIST_OWNERS = _p(
    "list_owners",
    "All owners, oldest registration first (staff directory). The directory is sharded by a "
    "hash of the owner id over `OWNERS#0` .. `OWNERS#3`: a page is one Query per shard that "
    "has more (at most four), merged by registration time; the cursor holds every shard's position.",
    "owners",
    CALENDAR,
    "Query",
    "OWNERS#{shard}",
    None,
    "owner",
    ("GET /admin/owners",),
    {"shard": "0"},
)
GET_DOG = _p(
    "get_dog",
    "One dog by id (the library then checks it belongs to the caller).",
    "dogs",
    None,
    "GetItem",
    "DOG#{dog_id}",
    RangeKey("eq", ("#PROFILE",)),
    "dog",
    ("GET /dogs/{id}", "PUT /dogs/{id}", "DELETE /dogs/{id}", "POST /bookings"),
    {"dog_id": DOG_EXAMPLE},
)
LIST_OWNER_DOGS = _p(
    "list_owner_dogs",
    "An owner's dogs.",
    "dogs",
    OWNER_OVERLAY,
    "Query",
    "OWNER#{owner_id}",
    RangeKey("begins_with", ("DOG#",)),
    "dog",
    ("GET /dogs",),
    {"owner_id": OWNER_EXAMPLE},
)
GET_BOOKING = _p(
    "get_booking",
    "One booking by id.",
    "bookings",
    None,
    "GetItem",
    "BOOKING#{booking_id}",
    RangeKey("eq", ("#PROFILE",)),
    "booking",
    (
        "GET /bookings/{id}",
        "PUT /bookings/{id}",
        "DELETE /bookings/{id}",
        "POST /admin/bookings/{id}/check-in",
        "POST /admin/bookings/{id}/check-out",
    ),
    {"booking_id": BOOKING_EXAMPLE},
)
LIST_OWNER_BOOKINGS = _p(
    "list_owner_bookings",
    "An owner's bookings by start time; optionally only those starting in a window.",
    "bookings",
    OWNER_OVERLAY,
    "Query",
    "OWNER#{owner_id}",
    RangeKey("begins_with", ("BOOKING#",)),
    "booking",
    ("GET /bookings",),
    {"owner_id": OWNER_EXAMPLE, "start_from": "2026-12-01T00:00:00Z", "start_to": "2026-12-31T23:59:59Z"},
    narrower={"window": RangeKey("between", ("BOOKING#{start_from}", "BOOKING#{start_to}#" + HIGH))},
)
LIST_DOG_BOOKINGS = _p(
    "list_dog_bookings",
    "A dog's bookings by start time (history and upcoming stays of one dog).",
    "bookings",
    DOG_OVERLAY,
    "Query",
    "DOG#{dog_id}",
    RangeKey("begins_with", ("BOOKING#",)),
    "booking",
    ("analysts",),
    {"dog_id": DOG_EXAMPLE},
)
DAY_ROSTER = _p(
    "day_roster",
    "Active bookings on one day (every day of a stay), by service and start time.",
    "bookings",
    CALENDAR,
    "Query",
    "DAY#{day}",
    None,
    "booking_day",
    ("GET /admin/bookings",),
    {"day": "2026-12-01", "service_type": "daycare"},
    narrower={"service": RangeKey("begins_with", ("{service_type}#",))},
)
EXPIRED_HOLDS = _p(
    "expired_holds",
    "Unpaid holds (pending bookings) whose deadline has passed, oldest first, one shard at a time. "
    "Sparse: only a pending booking carries these keys.",
    "bookings",
    CALENDAR,
    "Query",
    "HOLDS#{shard}",
    RangeKey("between", ("0000", "{until}#" + HIGH)),
    "booking",
    ("sweeper",),
    {"shard": "0", "until": "2026-12-01T10:30:00Z"},
)
GET_CAPACITY_USAGE = _p(
    "get_capacity_usage",
    "Places used of one service on one day.",
    "bookings",
    None,
    "GetItem",
    "CAPACITY#{service_type}#{day}",
    RangeKey("eq", ("#COUNTER",)),
    "capacity_counter",
    ("POST /bookings",),
    {"service_type": "daycare", "day": "2026-12-01"},
)
LIST_CAPACITY_SETTINGS = _p(
    "list_capacity_settings",
    "The configured daily capacity of every service.",
    "bookings",
    None,
    "Query",
    "CONFIG#CAPACITY",
    RangeKey("begins_with", ("SERVICE#",)),
    "capacity_config",
    ("POST /bookings", "PUT /admin/capacity/{service_type}"),
)
CAPACITY_WINDOW = _p(
    "capacity_window",
    "Places used of one service on each day of a window (at most 62 days), read together with the "
    "service's capacity setting (`CONFIG#CAPACITY / SERVICE#{service_type}`): one key per day plus one.",
    "bookings",
    None,
    "BatchGetItem",
    "CAPACITY#{service_type}#{day}",
    RangeKey("eq", ("#COUNTER",)),
    "capacity_counter",
    ("GET /availability", "POST /bookings/quote"),
    {"service_type": "daycare", "day": "2026-12-01"},
)
GET_PAYMENT = _p(
    "get_payment",
    "One payment by id.",
    "payments",
    None,
    "GetItem",
    "PAYMENT#{payment_id}",
    RangeKey("eq", ("#PROFILE",)),
    "payment",
    ("GET /payments/{id}", "POST /payments/webhook"),
    {"payment_id": PAYMENT_EXAMPLE},
)
LIST_OWNER_PAYMENTS = _p(
    "list_owner_payments",
    "An owner's payments, newest last.",
    "payments",
    OWNER_OVERLAY,
    "Query",
    "OWNER#{owner_id}",
    RangeKey("begins_with", ("PAYMENT#",)),
    "payment",
    ("analysts",),
    {"owner_id": OWNER_EXAMPLE},
)

REGISTRY: tuple[AccessPattern, ...] = (
    GET_OWNER,
    LIST_OWNERS,
    GET_DOG,
    LIST_OWNER_DOGS,
    GET_BOOKING,
    LIST_OWNER_BOOKINGS,
    LIST_DOG_BOOKINGS,
    DAY_ROSTER,
    EXPIRED_HOLDS,
    GET_CAPACITY_USAGE,
    LIST_CAPACITY_SETTINGS,
    CAPACITY_WINDOW,
    GET_PAYMENT,
    LIST_OWNER_PAYMENTS,
)
BY_NAME = {p.name: p for p in REGISTRY}
