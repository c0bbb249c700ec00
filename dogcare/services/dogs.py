"""Dog use cases, always on the acting owner's own dogs (``actor.owner_id``).

Every dog returned carries its vaccination status as of today, by the facility's rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from dogcare.commands import NewDog, UpdateDog
from dogcare.domain.actor import Actor
from dogcare.domain.clock import utcnow
from dogcare.domain.ids import new_id
from dogcare.domain.model import Dog, Vaccination
from dogcare.domain.vaccinations import VaccinationRules
from dogcare.errors import VersionMismatch
from dogcare.repositories.base import Page
from dogcare.repositories.dogs import DogRepository


class DogService:
    def __init__(
        self, dogs: DogRepository, vaccinations: VaccinationRules, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.dogs = dogs
        self.vaccinations = vaccinations
        self.clock = clock

    def _assessed(self, dog: Dog) -> Dog:
        return self.vaccinations.assess(dog, self.clock().date())

    def add(self, actor: Actor, command: NewDog) -> Dog:
        now = self.clock()
        dog = Dog(
            id=new_id("dog"),
            owner_id=actor.owner_id,
            name=command.name,
            breed=command.breed,
            age=command.age,
            size=command.size,
            vaccinations=tuple(Vaccination(v.name.lower(), v.expires_on) for v in command.vaccinations),
            vaccination_status=None,
            special_needs=tuple(command.special_needs),
            emergency_contact=command.emergency_contact,
            created_at=now,
            updated_at=now,
            version=0,
        )
        return self._assessed(self.dogs.add(dog))

    def get(self, actor: Actor, dog_id: str) -> Dog:
        return self._assessed(self.dogs.get(actor.owner_id, dog_id))

    def list(self, actor: Actor, limit: int, cursor: str | None) -> Page[Dog]:
        page = self.dogs.list(actor.owner_id, limit, cursor)
        today = self.clock().date()
        return Page([self.vaccinations.assess(d, today) for d in page.items], page.next_cursor)

    def update(self, actor: Actor, dog_id: str, command: UpdateDog, expected_version: int | None = None) -> Dog:
        current = self.dogs.get(actor.owner_id, dog_id)
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
            return self._assessed(current)
        return self._assessed(self.dogs.update(current, changed, expected_version))

    def delete(self, actor: Actor, dog_id: str, expected_version: int | None = None) -> None:
        current = self.dogs.get(actor.owner_id, dog_id)
        if expected_version is not None and expected_version != current.version:
            raise VersionMismatch(f"the dog is at version {current.version}, not {expected_version}")
        self.dogs.delete(current, self.dogs.schedule(dog_id), self.clock())
