"""Read-only lookups the web app's screens need, each one fail-closed BatchGetItem.

- ``capacity_usage``: a service's capacity setting and its per-day counters (availability,
  quotes), the ``capacity_window`` access pattern;
- ``dog_and_owner``: a booking's dog and owner for the staff care card.

Reads go through ``dogcare.storage.batch.batch_get``: a key DynamoDB left unprocessed is
retried and, if still unread, the whole read fails (503) rather than being taken as absent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from dogcare.domain.model import Dog, Owner
from dogcare.errors import NotFound
from dogcare.repositories.base import Repository
from dogcare.repositories.dogs import to_dog
from dogcare.repositories.owners import to_owner
from dogcare.storage.batch import batch_get
from dogcare.storage.entities import key_of


@dataclass(frozen=True)
class CapacityUsage:
    """The configured daily capacity (None: not set, the default applies) and places used per day."""

    configured: int | None
    used: dict[date, int]


class LookupRepository(Repository):
    def capacity_usage(self, service_type: str, days: Sequence[date]) -> CapacityUsage:
        """The capacity setting and one counter per day, in requests of at most 100 keys."""
        m = self.models
        config_key = key_of(m.CapacityConfig, service_type=service_type)
        # the capacity_window access pattern: one counter key per day
        counter_keys = {day: key_of(m.CapacityCounter, service_type=service_type, day=day.isoformat()) for day in days}
        found = batch_get(self.store, [config_key, *counter_keys.values()])
        config_raw = found.get(config_key)
        configured = int(m.CapacityConfig.from_raw_data(config_raw).daily_capacity) if config_raw else None
        used: dict[date, int] = {}
        for day, key in counter_keys.items():
            raw = found.get(key)
            # No counter item: nobody has booked that day yet (the key was read and is absent).
            used[day] = max(0, int(m.CapacityCounter.from_raw_data(raw).used or 0)) if raw else 0
        return CapacityUsage(configured, used)

    def dog_and_owner(self, dog_id: str, owner_id: str) -> tuple[Dog, Owner]:
        """The dog and its owner, in one BatchGetItem; ``NotFound`` if either is gone."""
        m = self.models
        dog_key = key_of(m.Dog, id=dog_id)
        owner_key = key_of(m.Owner, id=owner_id)
        found = batch_get(self.store, [dog_key, owner_key])
        dog_raw, owner_raw = found.get(dog_key), found.get(owner_key)
        if dog_raw is None or dog_raw.get("entity_type", {}).get("S") != m.Dog.declaration.name:
            raise NotFound("the booking's dog no longer exists")
        if owner_raw is None or owner_raw.get("entity_type", {}).get("S") != m.Owner.declaration.name:
            raise NotFound("the booking's owner no longer exists")
        return to_dog(m.Dog.from_raw_data(dog_raw)), to_owner(m.Owner.from_raw_data(owner_raw))
