"""Stable shards: one hot key spread over a few partitions by a hash of a value."""

from __future__ import annotations

import hashlib

OWNER_DIRECTORY_SHARDS = 4
# The sparse index of unpaid holds is spread over a few partitions, so that a busy day's holds
# are not one hot index key.
HOLD_SHARDS = 4
IDEMPOTENCY_SHARDS = 16


def shard_of(value: str, shards: int) -> int:
    """A stable shard in ``0..shards-1`` for ``value`` (a hash: the same on every host and run,
    unlike ``hash()``), used wherever one hot key is spread over a few partitions."""
    digest = hashlib.sha256(value.encode()).digest()
    return int.from_bytes(digest[:4], "big") % shards


def owner_directory_shard(owner_id: str) -> int:
    return shard_of(owner_id, OWNER_DIRECTORY_SHARDS)


def hold_shard(booking_id: str) -> int:
    """A stable shard of a booking (its id's hash; ids are random, so they spread evenly)."""
    return shard_of(booking_id, HOLD_SHARDS)


def idempotency_shard(owner_id: str, key: str) -> int:
    """Which of a function's idempotency partitions holds (caller, key): stable, evenly spread."""
    return shard_of(f"{owner_id}\x00{key}", IDEMPOTENCY_SHARDS)
