"""Dog use cases, always scoped to the calling owner."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from dogcare.commands import NewDog, UpdateDog
from dogcare.domain.clock import utcnow
from dogcare.domain.ids import new_id
from dogcare.domain.model import Dog, Vaccination
from dogcare.errors import VersionMismatch
from dogcare.repositories.base import Page
from dogcare.repositories.dogs import DogRepository


class DogService:
    def __init__(self, dogs: DogRepository, clock: Callable[[], datetime] = utcnow) -> None:
        self.dogs = dogs
        self.clock = clock

    def add(self, owner_id: str, command: NewDog) -> Dog:
        now = self.clock()
        dog = Dog(
            id=new_id("dog"),
            owner_id=owner_id,
            name=command.name,
            breed=command.breed,
            age=command.age,
            size=command.size,
            vaccinations=tuple(Vaccination(v.name.lower(), v.expires_on) for v in command.vaccinations),
            vaccination_status="missing",
            special_needs=tuple(command.special_needs),
            emergency_contact=command.emergency_contact,
            created_at=now,
            updated_at=now,
            version=0,
        )
        return self.dogs.add(dog)

    def get(self, owner_id: str, dog_id: str) -> Dog:
        return self.dogs.get(owner_id, dog_id)

    def list(self, owner_id: str, limit: int, cursor: str | None) -> Page[Dog]:
        return self.dogs.list(owner_id, limit, cursor)

    def update(self, owner_id: str, dog_id: str, command: UpdateDog, expected_version: int | None = None) -> Dog:
        current = self.dogs.get(owner_id, dog_id)
        fields = command.model_dump(exclude_unset=True)
        changes: dict[str, object] = {}
        for name in ("name", "breed", "age", "size", "emergency_contact"):
            if name in fields and not (name in ("name", "size") and fields[name] is None):
                changes[name] = getattr(command, name)
        if command.vaccinations is not None:
            changes["vaccinations"] = tuple(Vaccination(v.name.lower(), v.expires_on) for v in command.vaccinations)
        if command.special_needs is not None:
            changes["special_needs"] = tuple(command.special_needs)
        changed = replace(current, **changes)  # type: ignore[arg-type]
        if changed == current:
            # Nothing to change: no write, no new version (but a stale If-Match still fails).
            if expected_version is not None and expected_version != current.version:
                raise VersionMismatch(f"the dog is at version {current.version}, not {expected_version}")
            return current
        return self.dogs.update(current, changed, expected_version)

    def delete(self, owner_id: str, dog_id: str, expected_version: int | None = None) -> None:
        current = self.dogs.get(owner_id, dog_id)
        if expected_version is not None and expected_version != current.version:
            raise VersionMismatch(f"the dog is at version {current.version}, not {expected_version}")
        self.dogs.delete(current, self.dogs.schedule(dog_id), self.clock())
