"""Dogs: the profile item plus a schedule item that guards the dog's booked times."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from dogcare.domain.clock import iso, parse_iso
from dogcare.domain.model import Dog, Vaccination
from dogcare.errors import Conflict, NotRegistered, ResourceInUse, VersionMismatch
from dogcare.repositories.base import Page, Repository
from dogcare.storage.entities import VaccinationMap, key_item, new_item
from dogcare.storage.patterns import GET_DOG, LIST_OWNER_DOGS
from dogcare.storage.transactions import TransactionFailed, Tx


@dataclass(frozen=True)
class Schedule:
    """A dog's active bookings (id -> start, end) and the revision that guards them."""

    dog_id: str
    intervals: dict[str, tuple[datetime, datetime]]
    rev: int


def to_dog(item: Any) -> Dog:
    """The stored dog; its vaccination status is the services' to assess (it depends on today)."""
    return Dog(
        id=item.id,
        owner_id=item.owner_id,
        name=item.name,
        breed=item.breed,
        age=int(item.age) if item.age is not None else None,
        size=item.size,
        vaccinations=tuple(Vaccination(v.name, date.fromisoformat(v.expires_on)) for v in item.vaccinations or []),
        vaccination_status=None,
        special_needs=tuple(item.special_needs or ()),
        emergency_contact=item.emergency_contact,
        created_at=parse_iso(item.created_at),
        updated_at=parse_iso(item.updated_at),
        version=int(item.version),
    )


class DogRepository(Repository):
    def _item(self, dog: Dog) -> Any:
        return new_item(
            self.models.Dog,
            id=dog.id,
            owner_id=dog.owner_id,
            name=dog.name,
            breed=dog.breed,
            age=dog.age,
            size=dog.size,
            vaccinations=[VaccinationMap(name=v.name, expires_on=v.expires_on.isoformat()) for v in dog.vaccinations],
            special_needs=list(dog.special_needs),
            emergency_contact=dog.emergency_contact,
            created_at=iso(dog.created_at),
            updated_at=iso(dog.updated_at),
        )

    def add(self, dog: Dog) -> Dog:
        m = self.models
        item = self._item(dog)
        tx = Tx(self.store)
        owner_pk, owner_sk = m.Owner.declaration.key(id=dog.owner_id)
        tx.check("owner", m.Owner, owner_pk, owner_sk, m.Owner.pk.exists())
        tx.put("dog", item, m.Dog.pk.does_not_exist())
        schedule = new_item(m.DogSchedule, dog_id=dog.id, intervals={}, rev=0)
        tx.put("schedule", schedule, m.DogSchedule.pk.does_not_exist())
        try:
            tx.commit()
        except TransactionFailed as exc:
            if "owner" in exc.failed:
                raise NotRegistered("register an owner profile before adding dogs") from exc
            raise Conflict("a dog with this id already exists") from exc
        return to_dog(item)  # the version was set to 1 by the write

    def get(self, owner_id: str, dog_id: str) -> Dog:
        # never reveal another owner's dog exists (see Repository._get_owned)
        return to_dog(self._get_owned(GET_DOG, self.models.Dog, owner_id, dog_id=dog_id))

    def update(self, current: Dog, changed: Dog, expected_version: int | None = None) -> Dog:
        if expected_version is not None and expected_version != current.version:
            raise VersionMismatch(f"the dog is at version {current.version}, not {expected_version}")
        changed = replace(changed, id=current.id, owner_id=current.owner_id, updated_at=self.clock())
        item = self._item(changed)
        item.version = current.version
        tx = Tx(self.store)
        tx.put("dog", item, self.models.Dog.owner_id == current.owner_id)
        try:
            tx.commit()
        except TransactionFailed as exc:
            raise VersionMismatch("the dog was changed by another request") from exc
        return to_dog(item)

    def schedule(self, dog_id: str) -> Schedule:
        m = self.models.DogSchedule
        item = m.get(*m.declaration.key(dog_id=dog_id), consistent_read=True)
        return to_schedule(item)

    def delete(self, current: Dog, schedule: Schedule, now: datetime) -> None:
        active = [bid for bid, (_, end) in schedule.intervals.items() if end > now]
        if active:
            raise ResourceInUse(f"the dog has {len(active)} active booking(s); cancel them first")
        m = self.models
        item = self._item(current)
        item.version = current.version
        sched = key_item(m.DogSchedule, dog_id=current.id)
        tx = Tx(self.store)
        tx.delete("dog", item, m.Dog.owner_id == current.owner_id)
        tx.delete("schedule", sched, m.DogSchedule.rev == schedule.rev)
        try:
            tx.commit()
        except TransactionFailed as exc:
            raise ResourceInUse("the dog was booked or changed meanwhile; try again") from exc

    def list(self, owner_id: str, limit: int, cursor: str | None) -> Page[Dog]:
        items, next_cursor = self._query(
            LIST_OWNER_DOGS,
            self.models.Dog,
            scope=owner_id,
            params={"owner_id": owner_id},
            limit=limit,
            cursor=cursor,
        )
        return Page([to_dog(i) for i in items], next_cursor)


def to_schedule(item: Any) -> Schedule:
    intervals: dict[str, tuple[datetime, datetime]] = {}
    raw = item.intervals.as_dict() if hasattr(item.intervals, "as_dict") else dict(item.intervals or {})
    for booking_id, span in raw.items():
        start, end = span.split("/")
        intervals[booking_id] = (parse_iso(start), parse_iso(end))
    return Schedule(item.dog_id, intervals, int(item.rev))
