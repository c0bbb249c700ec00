"""What dogcare stores: every entity, its keys and its access patterns, declared once.

Models (``dogcare.storage.entities``), key helpers (``dogcare.storage.keys``), the access
patterns (``dogcare.storage.patterns``), table definitions, the analytics export's columns, the
functions' IAM key conditions (``handlers.registry``) and the generated documentation are all
derived from these declarations. This is the one module where a key's literal text lives.

Keys are identical in both table layouts; only the table an item lives in changes.
"""

from __future__ import annotations

from dogcare.domain.vocabulary import BookingStatus
from dogcare.storage.schema import (
    Entity,
    IndexKey,
    KeyTemplate,
    Schema,
    Values,
    begins_with,
    between,
    free_map,
    list_of,
    number,
    shaped_map,
    string,
    timestamps,
    version,
)
from dogcare.storage.shards import OWNER_DIRECTORY_SHARDS, hold_shard, owner_directory_shard

SCHEMA_VERSION = 1
# Bookings record what they took (capacity counter keys, roster days, schedule interval, zone)
# from version 2 on; ``dogcare migrate`` brings older items up (``dogcare.maintenance``).
BOOKING_SCHEMA_VERSION = 2

# Example ids for the generated documentation (realistic, complete ids).
OWNER_EXAMPLE = "owner-4f1c2a9e-7b3d-5e8f-a1c2-3d4e5f6a7b8c"
DOG_EXAMPLE = "dog-9a2e4c6b-1d3f-4a5b-8c7d-9e0f1a2b3c4d"
BOOKING_EXAMPLE = "booking-77b0c1d2-e3f4-4a5b-9c6d-7e8f9a0b1c2d"
PAYMENT_EXAMPLE = "payment-c3d1e2f3-a4b5-4c6d-8e7f-9a0b1c2d3e4f"

# --- key shapes shared by several entities ------------------------------------------------------

PROFILE = KeyTemplate("#PROFILE")  # the sort key of an entity's main item
OWNER_KEY = KeyTemplate("OWNER#{owner_id}")
DOG_KEY = KeyTemplate("DOG#{dog_id}")
BOOKING_KEY = KeyTemplate("BOOKING#{booking_id}")
DAY_KEY = KeyTemplate("DAY#{day}")
TIMELINE = KeyTemplate("BOOKING#{start_time}#{booking_id}")  # a booking in the overlays: by start
OWNER_DIRECTORY = KeyTemplate("OWNERS#{shard}")
LEGACY_OWNER_DIRECTORY = KeyTemplate("OWNERS")  # the one directory partition before it was sharded

# The rate limiter's callers, in key spaces of their own: a token's subject can never produce
# the key of a source address (a subject "ip:1.2.3.4" is "sub#ip:1.2.3.4").
RATE_SUBJECT = KeyTemplate("sub#{subject}")
RATE_ADDRESS = KeyTemplate("ip#{address}")

# Idempotency records are written by the functions' idempotency layer (Powertools), not by the
# library: one of ``IDEMPOTENCY_SHARDS`` partitions per function, so that no single key carries
# a function's whole rate of keyed POSTs (a partition takes about 1,000 writes a second).
IDEMPOTENCY_KEY = KeyTemplate("IDEMPOTENCY#{function}#{shard:02d}")


def _pending_hold(values: Values) -> bool:
    """Only a pending booking with a deadline is in the sparse hold index."""
    return values.get("status") == BookingStatus.PENDING and bool(values.get("hold_expires_at"))


# --- owners -------------------------------------------------------------------------------------

OWNER = Entity(
    "owner",
    model="Owner",
    title="Owner",
    table="owners",
    attributes={
        "id": string(),
        "name": string(),
        "email": string(),
        "phone": string(null=True),
        "address": shaped_map("AddressMap", null=True, street=string(), city=string(), state=string(), zip=string()),
        "version": version(),
        **timestamps(),
    },
    pk=OWNER_KEY,
    sk=PROFILE,
    indexes={"gsi3": IndexKey(OWNER_DIRECTORY, KeyTemplate("{created_at}#{owner_id}"), note="the owner directory")},
    sources={"owner_id": "id", "shard": lambda v: owner_directory_shard(v["id"])},
    example={"owner_id": OWNER_EXAMPLE, "shard": "0"},
    item_bytes=500,
    export=(
        ("id", "string"),
        ("name", "string"),
        ("email", "string"),
        ("phone", "string"),
        ("street", "string"),
        ("city", "string"),
        ("state", "string"),
        ("zip", "string"),
        ("created_at", "timestamp"),
        ("updated_at", "timestamp"),
        ("version", "int"),
    ),
)
EMAIL_GUARD = Entity(
    "email_guard",
    model="EmailGuard",
    title="Email guard",
    table="owners",
    attributes={"owner_id": string()},
    pk=KeyTemplate("EMAIL#{email_key}"),  # the address's confusable skeleton
    sk=KeyTemplate("#UNIQUE"),
    item_bytes=150,
)
RATE_WINDOW = Entity(
    "rate_window",
    model="RateWindow",
    title="Rate window",
    table="owners",
    attributes={"used": number(default=0)},
    pk=KeyTemplate("RATE#{subject}"),
    sk=KeyTemplate("WINDOW#{window_start}"),
)

# --- dogs ---------------------------------------------------------------------------------------

DOG = Entity(
    "dog",
    model="Dog",
    title="Dog",
    table="dogs",
    attributes={
        "id": string(),
        "owner_id": string(),
        "name": string(),
        "breed": string(null=True),
        "age": number(null=True),
        "size": string(),
        "vaccinations": list_of(
            shaped_map("VaccinationMap", name=string(), expires_on=string()),
            default=list,
        ),
        "special_needs": list_of(string(), default=list),
        "emergency_contact": string(null=True),
        "version": version(),
        **timestamps(),
    },
    pk=DOG_KEY,
    sk=PROFILE,
    indexes={"gsi1": IndexKey(OWNER_KEY, DOG_KEY)},
    sources={"dog_id": "id"},
    example={"dog_id": DOG_EXAMPLE, "owner_id": OWNER_EXAMPLE},
    item_bytes=700,
    export=(
        ("id", "string"),
        ("owner_id", "string"),
        ("name", "string"),
        ("breed", "string"),
        ("age", "int"),
        ("size", "string"),
        ("vaccination_status", "string"),
        ("vaccinations", "json"),
        ("special_needs", "json"),
        ("emergency_contact", "string"),
        ("created_at", "timestamp"),
        ("updated_at", "timestamp"),
        ("version", "int"),
    ),
)
DOG_SCHEDULE = Entity(
    "dog_schedule",
    model="DogSchedule",
    title="Dog schedule",
    table="dogs",
    # The times a dog is booked: booking id -> "start/end". Guards against overlaps.
    attributes={"dog_id": string(), "intervals": free_map(default=dict), "rev": number(default=0)},
    pk=DOG_KEY,
    sk=KeyTemplate("#SCHEDULE"),
    item_bytes=550,
)

# --- bookings -----------------------------------------------------------------------------------

BOOKING = Entity(
    "booking",
    model="Booking",
    title="Booking",
    table="bookings",
    attributes={
        "id": string(),
        "owner_id": string(),
        "dog_id": string(),
        "service_type": string(),
        "start_time": string(),
        "end_time": string(),
        "status": string(),
        "price": shaped_map("MoneyMap", amount=number(), currency=string()),
        "payment_id": string(null=True),
        "special_instructions": string(null=True),
        "checked_in_at": string(null=True),
        "checked_out_at": string(null=True),
        "cancelled_at": string(null=True),
        # The recorded plan (absent on version-1 items): the days of the service's capacity
        # counters it holds (with ``service_type``, the counter keys), its roster days, the
        # exact interval in the dog's schedule item, the zone it was computed under. Days, not
        # whole keys: a typical booking stays within one write unit (1 KB).
        "capacity_days": list_of(string(), null=True),
        "roster_days": list_of(string(), null=True),
        "schedule_interval": string(null=True),
        "zone": string(null=True),
        "hold_expires_at": string(null=True),  # while pending (the unpaid hold's deadline)
        "version": version(),
        **timestamps(),
    },
    pk=BOOKING_KEY,
    sk=PROFILE,
    indexes={
        "gsi1": IndexKey(OWNER_KEY, TIMELINE),
        "gsi2": IndexKey(DOG_KEY, TIMELINE),
        "gsi3": IndexKey(
            KeyTemplate("HOLDS#{shard}"),
            KeyTemplate("{hold_expires_at}#{booking_id}"),
            when=_pending_hold,
            note="only while pending: the sparse hold index the sweeper reads",
        ),
    },
    sources={"booking_id": "id", "shard": lambda v: hold_shard(v["id"])},
    schema_version=BOOKING_SCHEMA_VERSION,
    example={"booking_id": BOOKING_EXAMPLE, "owner_id": OWNER_EXAMPLE, "dog_id": DOG_EXAMPLE, "shard": "0"},
    item_bytes=1200,  # its recorded plan and, while pending, its hold deadline and hold-index keys
    export=(
        ("id", "string"),
        ("owner_id", "string"),
        ("dog_id", "string"),
        ("service_type", "string"),
        ("start_time", "timestamp"),
        ("end_time", "timestamp"),
        ("status", "string"),
        ("price", "money"),
        ("currency", "string"),
        ("payment_id", "string"),
        ("special_instructions", "string"),
        ("checked_in_at", "timestamp"),
        ("checked_out_at", "timestamp"),
        ("cancelled_at", "timestamp"),
        ("created_at", "timestamp"),
        ("updated_at", "timestamp"),
        ("version", "int"),
    ),
)
BOOKING_DAY = Entity(
    "booking_day",
    model="BookingDay",
    title="Roster day",
    table="bookings",
    # One day of an active booking, projected into the sparse calendar index.
    attributes={
        "booking_id": string(),
        "owner_id": string(),
        "dog_id": string(),
        "dog_name": string(),
        "service_type": string(),
        "day": string(),
        "start_time": string(),
        "end_time": string(),
        "status": string(),
        "hold_expires_at": string(null=True),  # while pending: staff see the hold's deadline
    },
    pk=BOOKING_KEY,
    sk=DAY_KEY,
    indexes={"gsi3": IndexKey(DAY_KEY, KeyTemplate("{service_type}#{start_time}#{booking_id}"))},
    example={"day": "2026-12-01", "service_type": "daycare"},
    item_bytes=550,
)
CAPACITY_COUNTER = Entity(
    "capacity_counter",
    model="CapacityCounter",
    title="Capacity counter",
    table="bookings",
    attributes={"used": number(default=0)},
    pk=KeyTemplate("CAPACITY#{service_type}#{day}"),
    sk=KeyTemplate("#COUNTER"),
    example={"service_type": "daycare", "day": "2026-12-01"},
    item_bytes=100,
)
CAPACITY_CONFIG = Entity(
    "capacity_config",
    model="CapacityConfig",
    title="Capacity setting",
    table="bookings",
    attributes={"service_type": string(), "daily_capacity": number(), "updated_at": string()},
    pk=KeyTemplate("CONFIG#CAPACITY"),
    sk=KeyTemplate("SERVICE#{service_type}"),
    item_bytes=150,
)
PENDING_COUNTER = Entity(
    "pending_counter",
    model="PendingCounter",
    title="Pending counter",
    table="bookings",
    attributes={"used": number(default=0)},
    pk=OWNER_KEY,
    sk=KeyTemplate("#PENDING_BOOKINGS"),
    item_bytes=150,
)

# --- payments -----------------------------------------------------------------------------------

PAYMENT = Entity(
    "payment",
    model="Payment",
    title="Payment",
    table="payments",
    attributes={
        "id": string(),
        "owner_id": string(),
        "booking_id": string(),
        "amount": shaped_map("MoneyMap", amount=number(), currency=string()),
        "status": string(),
        "provider": string(),
        "provider_reference": string(null=True),
        "amount_refunded": number(default=0),
        "refund_due": number(null=True),
        "failure_reason": string(null=True),
        "version": version(),
        **timestamps(),
    },
    pk=KeyTemplate("PAYMENT#{payment_id}"),
    sk=PROFILE,
    indexes={"gsi1": IndexKey(OWNER_KEY, KeyTemplate("PAYMENT#{created_at}#{payment_id}"))},
    sources={"payment_id": "id"},
    example={"payment_id": PAYMENT_EXAMPLE, "owner_id": OWNER_EXAMPLE},
    item_bytes=650,
    export=(
        ("id", "string"),
        ("owner_id", "string"),
        ("booking_id", "string"),
        ("amount", "money"),
        ("amount_refunded", "money"),
        ("currency", "string"),
        ("status", "string"),
        ("provider", "string"),
        ("provider_reference", "string"),
        ("failure_reason", "string"),
        ("created_at", "timestamp"),
        ("updated_at", "timestamp"),
        ("version", "int"),
    ),
)
PROVIDER_EVENT = Entity(
    "provider_event",
    model="ProviderEvent",
    title="Provider event",
    table="payments",
    attributes={"event_type": string(), "outcome": string(), "processed_at": string()},
    pk=KeyTemplate("PROVIDER_EVENT#{event_id}"),
    sk=KeyTemplate("#PROCESSED"),
    item_bytes=200,
)

# --- access patterns: every way the application reads, in the order the documentation lists them

_FIRST_SHARD, _LAST_SHARD = OWNER_DIRECTORY.format(shard=0), OWNER_DIRECTORY.format(shard=OWNER_DIRECTORY_SHARDS - 1)
GET_OWNER = OWNER.get("get_owner", "One owner's profile by id.", ("GET /owners/profile", "PUT /owners/profile"))
LIST_OWNERS = OWNER.query(
    "list_owners",
    "All owners, oldest registration first (staff directory). The directory is sharded by a "
    f"hash of the owner id over `{_FIRST_SHARD}` .. `{_LAST_SHARD}`: a page is one Query per shard that "
    "has more (at most four), merged by registration time; the cursor holds every shard's position.",
    ("GET /admin/owners",),
    index="gsi3",
)
GET_DOG = DOG.get(
    "get_dog",
    "One dog by id (the library then checks it belongs to the caller).",
    ("GET /dogs/{id}", "PUT /dogs/{id}", "DELETE /dogs/{id}", "POST /bookings"),
)
LIST_OWNER_DOGS = DOG.query(
    "list_owner_dogs", "An owner's dogs.", ("GET /dogs",), index="gsi1", range_key=begins_with(DOG.sort_key("gsi1"))
)
GET_BOOKING = BOOKING.get(
    "get_booking",
    "One booking by id.",
    (
        "GET /bookings/{id}",
        "PUT /bookings/{id}",
        "DELETE /bookings/{id}",
        "POST /admin/bookings/{id}/check-in",
        "POST /admin/bookings/{id}/check-out",
    ),
)
LIST_OWNER_BOOKINGS = BOOKING.query(
    "list_owner_bookings",
    "An owner's bookings by start time; optionally only those starting in a window.",
    ("GET /bookings",),
    index="gsi1",
    range_key=begins_with(TIMELINE),
    example={"start_from": "2026-12-01T00:00:00Z", "start_to": "2026-12-31T23:59:59Z"},
    narrower={"window": between(TIMELINE, "start_time", "{start_from}", "{start_to}")},
)
LIST_DOG_BOOKINGS = BOOKING.query(
    "list_dog_bookings",
    "A dog's bookings by start time (history and upcoming stays of one dog).",
    ("analysts",),
    index="gsi2",
    range_key=begins_with(TIMELINE),
)
DAY_ROSTER = BOOKING_DAY.query(
    "day_roster",
    "Active bookings on one day (every day of a stay), by service and start time.",
    ("GET /admin/bookings",),
    index="gsi3",
    narrower={"service": begins_with(BOOKING_DAY.sort_key("gsi3"), "service_type")},
)
EXPIRED_HOLDS = BOOKING.query(
    "expired_holds",
    "Unpaid holds (pending bookings) whose deadline has passed, oldest first, one shard at a time. "
    "Sparse: only a pending booking carries these keys.",
    ("sweeper",),
    index="gsi3",
    range_key=between(BOOKING.sort_key("gsi3"), "hold_expires_at", "0000", "{until}"),
    example={"until": "2026-12-01T10:30:00Z"},
)
GET_CAPACITY_USAGE = CAPACITY_COUNTER.get(
    "get_capacity_usage", "Places used of one service on one day.", ("POST /bookings",)
)
LIST_CAPACITY_SETTINGS = CAPACITY_CONFIG.query(
    "list_capacity_settings",
    "The configured daily capacity of every service.",
    ("POST /bookings", "PUT /admin/capacity/{service_type}"),
    range_key=begins_with(CAPACITY_CONFIG.sk),
)
CAPACITY_WINDOW = CAPACITY_COUNTER.get(
    "capacity_window",
    "Places used of one service on each day of a window (at most 62 days), read together with the "
    f"service's capacity setting (`{CAPACITY_CONFIG.shape()}`): one key per day plus one.",
    ("GET /availability", "POST /bookings/quote"),
    operation="BatchGetItem",
)
GET_PAYMENT = PAYMENT.get("get_payment", "One payment by id.", ("GET /payments/{id}", "POST /payments/webhook"))
LIST_OWNER_PAYMENTS = PAYMENT.query(
    "list_owner_payments",
    "An owner's payments, newest last.",
    ("analysts",),
    index="gsi1",
    range_key=begins_with(PAYMENT.sort_key("gsi1")),
)

SCHEMA = Schema(
    (
        OWNER,
        EMAIL_GUARD,
        RATE_WINDOW,
        DOG,
        DOG_SCHEDULE,
        BOOKING,
        BOOKING_DAY,
        CAPACITY_COUNTER,
        CAPACITY_CONFIG,
        PENDING_COUNTER,
        PAYMENT,
        PROVIDER_EVENT,
    ),
    (
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
    ),
)
