"""Key templates: every key is computed here from an entity's fields, never by callers.

Keys are identical in both table layouts; only the table an item lives in changes.
"""

from __future__ import annotations

import hashlib
from datetime import date

PROFILE = "#PROFILE"


def owner_pk(owner_id: str) -> str:
    return f"OWNER#{owner_id}"


def email_pk(email: str) -> str:
    return f"EMAIL#{email}"


EMAIL_SK = "#UNIQUE"
LEGACY_OWNER_DIRECTORY_PK = "OWNERS"  # the one directory partition before it was sharded
OWNER_DIRECTORY_SHARDS = 4


def shard_of(value: str, shards: int) -> int:
    """A stable shard in ``0..shards-1`` for ``value`` (a hash: the same on every host and run,
    unlike ``hash()``), used wherever one hot key is spread over a few partitions."""
    digest = hashlib.sha256(value.encode()).digest()
    return int.from_bytes(digest[:4], "big") % shards


def owner_directory_shard(owner_id: str) -> int:
    return shard_of(owner_id, OWNER_DIRECTORY_SHARDS)


def owner_directory_pk(owner_id: str) -> str:
    """The owner directory is spread over a few GSI partitions by a hash of the owner id, so
    that registrations (every one writes the directory) never all land on one partition key."""
    return owner_directory_shard_pk(owner_directory_shard(owner_id))


def owner_directory_shard_pk(shard: int) -> str:
    return f"OWNERS#{shard}"


def owner_directory_sk(created_at: str, owner_id: str) -> str:
    return f"{created_at}#{owner_id}"


def dog_pk(dog_id: str) -> str:
    return f"DOG#{dog_id}"


def owner_dog_sk(dog_id: str) -> str:
    return f"DOG#{dog_id}"


SCHEDULE_SK = "#SCHEDULE"


def booking_pk(booking_id: str) -> str:
    return f"BOOKING#{booking_id}"


def timeline_sk(start: str, booking_id: str) -> str:
    """Sort key of a booking in the owner and dog overlays: by start time, then id."""
    return f"BOOKING#{start}#{booking_id}"


def booking_day_sk(day: date) -> str:
    return f"DAY#{day.isoformat()}"


def calendar_pk(day: date) -> str:
    return f"DAY#{day.isoformat()}"


def calendar_sk(service_type: str, start: str, booking_id: str) -> str:
    return f"{service_type}#{start}#{booking_id}"


def capacity_pk(service_type: str, day: date) -> str:
    return f"CAPACITY#{service_type}#{day.isoformat()}"


COUNTER_SK = "#COUNTER"
CAPACITY_CONFIG_PK = "CONFIG#CAPACITY"


def capacity_config_sk(service_type: str) -> str:
    return f"SERVICE#{service_type}"


PENDING_SK = "#PENDING_BOOKINGS"

# The sparse index of unpaid holds (on the booking item itself, in the calendar GSI): only a
# pending booking carries these keys, so the sweeper reads exactly the holds, by expiry.
# Spread over a few partitions so that a busy day's holds are not one hot index key.
HOLD_SHARDS = 4


def hold_shard(booking_id: str) -> int:
    """A stable shard of a booking (its id's hash; ids are random, so they spread evenly)."""
    return shard_of(booking_id, HOLD_SHARDS)


def holds_pk(shard: int) -> str:
    return f"HOLDS#{shard}"


def holds_sk(expires_at: str, booking_id: str) -> str:
    return f"{expires_at}#{booking_id}"


def payment_pk(payment_id: str) -> str:
    return f"PAYMENT#{payment_id}"


def owner_payment_sk(created_at: str, payment_id: str) -> str:
    return f"PAYMENT#{created_at}#{payment_id}"


def provider_event_pk(event_id: str) -> str:
    return f"PROVIDER_EVENT#{event_id}"


PROCESSED_SK = "#PROCESSED"


def rate_pk(subject: str) -> str:
    return f"RATE#{subject}"


# The rate limiter's callers, in key spaces of their own: a token's subject can never produce
# the key of a source address (a subject "ip:1.2.3.4" is "sub#ip:1.2.3.4").
def rate_subject(subject: str) -> str:
    return f"sub#{subject}"


def rate_address(address: str) -> str:
    return f"ip#{address}"


def rate_sk(window_start: int) -> str:
    return f"WINDOW#{window_start}"


IDEMPOTENCY_SHARDS = 16


def idempotency_shard(owner_id: str, key: str) -> int:
    """Which of a function's idempotency partitions holds (caller, key): stable, evenly spread."""
    return shard_of(f"{owner_id}\x00{key}", IDEMPOTENCY_SHARDS)


def idempotency_pk(function_name: str, shard: int) -> str:
    """One of ``IDEMPOTENCY_SHARDS`` partitions per function, so that no single key carries a
    function's whole rate of keyed POSTs (a partition takes about 1,000 writes a second)."""
    return f"IDEMPOTENCY#{function_name}#{shard:02d}"
