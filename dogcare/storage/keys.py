"""Key helpers, derived from the declarations (``dogcare.storage.declarations``).

Every key shape is declared there once; these name the keys the maintenance jobs, the
functions and the tests ask for. Keys are identical in both table layouts.
"""

from __future__ import annotations

from datetime import date

from dogcare.storage import declarations as d
from dogcare.storage.shards import (
    HOLD_SHARDS,
    IDEMPOTENCY_SHARDS,
    OWNER_DIRECTORY_SHARDS,
    hold_shard,
    idempotency_shard,
    owner_directory_shard,
    shard_of,
)

PROFILE = d.PROFILE.text
EMAIL_SK = d.EMAIL_GUARD.sk.text
LEGACY_OWNER_DIRECTORY_PK = d.LEGACY_OWNER_DIRECTORY.text
SCHEDULE_SK = d.DOG_SCHEDULE.sk.text
COUNTER_SK = d.CAPACITY_COUNTER.sk.text
CAPACITY_CONFIG_PK = d.CAPACITY_CONFIG.pk.text
PENDING_SK = d.PENDING_COUNTER.sk.text
PROCESSED_SK = d.PROVIDER_EVENT.sk.text


def owner_pk(owner_id: str) -> str:
    return d.OWNER_KEY.format(owner_id=owner_id)


def email_pk(email: str) -> str:
    return d.EMAIL_GUARD.pk.format(email_key=email)


def owner_directory_pk(owner_id: str) -> str:
    """The owner directory is spread over a few GSI partitions by a hash of the owner id, so
    that registrations (every one writes the directory) never all land on one partition key."""
    return owner_directory_shard_pk(owner_directory_shard(owner_id))


def owner_directory_shard_pk(shard: int) -> str:
    return d.OWNER_DIRECTORY.format(shard=shard)


def owner_directory_sk(created_at: str, owner_id: str) -> str:
    return d.OWNER.indexes["gsi3"].sk.format(created_at=created_at, owner_id=owner_id)


def dog_pk(dog_id: str) -> str:
    return d.DOG_KEY.format(dog_id=dog_id)


def owner_dog_sk(dog_id: str) -> str:
    return d.DOG.indexes["gsi1"].sk.format(dog_id=dog_id)


def booking_pk(booking_id: str) -> str:
    return d.BOOKING_KEY.format(booking_id=booking_id)


def timeline_sk(start: str, booking_id: str) -> str:
    """Sort key of a booking in the owner and dog overlays: by start time, then id."""
    return d.TIMELINE.format(start_time=start, booking_id=booking_id)


def booking_day_sk(day: date) -> str:
    return d.BOOKING_DAY.sk.format(day=day.isoformat())


def calendar_pk(day: date) -> str:
    return d.BOOKING_DAY.indexes["gsi3"].pk.format(day=day.isoformat())


def calendar_sk(service_type: str, start: str, booking_id: str) -> str:
    return d.BOOKING_DAY.indexes["gsi3"].sk.format(service_type=service_type, start_time=start, booking_id=booking_id)


def capacity_pk(service_type: str, day: date) -> str:
    return d.CAPACITY_COUNTER.pk.format(service_type=service_type, day=day.isoformat())


def capacity_config_sk(service_type: str) -> str:
    return d.CAPACITY_CONFIG.sk.format(service_type=service_type)


def holds_pk(shard: int) -> str:
    return d.BOOKING.indexes["gsi3"].pk.format(shard=shard)


def holds_sk(expires_at: str, booking_id: str) -> str:
    return d.BOOKING.indexes["gsi3"].sk.format(hold_expires_at=expires_at, booking_id=booking_id)


def payment_pk(payment_id: str) -> str:
    return d.PAYMENT.pk.format(payment_id=payment_id)


def owner_payment_sk(created_at: str, payment_id: str) -> str:
    return d.PAYMENT.indexes["gsi1"].sk.format(created_at=created_at, payment_id=payment_id)


def provider_event_pk(event_id: str) -> str:
    return d.PROVIDER_EVENT.pk.format(event_id=event_id)


def rate_pk(subject: str) -> str:
    return d.RATE_WINDOW.pk.format(subject=subject)


def rate_subject(subject: str) -> str:
    return d.RATE_SUBJECT.format(subject=subject)


def rate_address(address: str) -> str:
    return d.RATE_ADDRESS.format(address=address)


def rate_sk(window_start: int) -> str:
    return d.RATE_WINDOW.sk.format(window_start=window_start)


def idempotency_pk(function_name: str, shard: int) -> str:
    """One of ``IDEMPOTENCY_SHARDS`` partitions per function (see the declaration)."""
    return d.IDEMPOTENCY_KEY.format(function=function_name, shard=shard)


__all__ = [
    "HOLD_SHARDS",
    "IDEMPOTENCY_SHARDS",
    "OWNER_DIRECTORY_SHARDS",
    "hold_shard",
    "idempotency_shard",
    "owner_directory_shard",
    "shard_of",
]
