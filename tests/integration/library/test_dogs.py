"""Dogs against moto, in both layouts: ownership, versions, delete guard, pagination."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from dogcare.commands import NewDog, UpdateDog, VaccinationInput
from dogcare.domain.actor import Actor
from dogcare.errors import InvalidCursor, NotFound, NotRegistered, ResourceInUse, VersionMismatch
from dogcare.facade import Dogcare
from dogcare.storage import keys
from dogcare.testing.factories import actor_of
from tests.conftest import Clock

from .conftest import add_dog, at, book, items_by_key, nothing_written, register, vaccinations


def test_add_writes_profile_and_empty_schedule(app: Dogcare) -> None:
    owner = register(app)
    dog = add_dog(app, owner, breed="Collie", age=4, special_needs=["no chicken"], emergency_contact="Bob 555")
    assert dog.owner_id == owner.id
    assert dog.version == 1
    assert dog.vaccination_status == "up-to-date"
    items = items_by_key(app)
    profile = items[(keys.dog_pk(dog.id), keys.PROFILE)]
    assert (profile["gsi1pk"]["S"], profile["gsi1sk"]["S"]) == (
        keys.owner_pk(owner.id),
        keys.owner_dog_sk(dog.id),
    )
    schedule = items[(keys.dog_pk(dog.id), keys.SCHEDULE_SK)]
    assert schedule["rev"]["N"] == "0"
    assert schedule["intervals"]["M"] == {}
    assert app.dogs.get(actor_of(owner), dog.id) == dog
    if app.settings.table_layout == "four":
        assert profile["_table"] == schedule["_table"] == "dogcare-test-dogs"


def test_add_requires_a_registered_owner(app: Dogcare) -> None:
    with nothing_written(app), pytest.raises(NotRegistered):
        app.dogs.add(Actor("sub-unknown"), NewDog(name="Rex", size="small"))


def test_vaccination_status_follows_the_clock(app: Dogcare, clock: Clock) -> None:
    owner = register(app)
    dog = add_dog(app, owner, vaccinations=vaccinations(bordetella=date(2030, 3, 20)))
    assert dog.vaccination_status == "expiring"
    assert app.dogs.get(actor_of(owner), dog.id).vaccination_status == "expiring"
    clock.advance(days=20)
    assert app.dogs.get(actor_of(owner), dog.id).vaccination_status == "expired"
    assert app.dogs.list(actor_of(owner), 10, None).items[0].vaccination_status == "expired"
    assert add_dog(app, owner, vaccinations=vaccinations(dhpp=None)).vaccination_status == "missing"


def test_another_owners_dog_is_not_found(app: Dogcare) -> None:
    ana, bob = register(app, "sub-a"), register(app, "sub-b")
    dog = add_dog(app, ana)
    with pytest.raises(NotFound):
        app.dogs.get(actor_of(bob), dog.id)
    with nothing_written(app), pytest.raises(NotFound):
        app.dogs.update(actor_of(bob), dog.id, UpdateDog(name="Mine now"))
    with nothing_written(app), pytest.raises(NotFound):
        app.dogs.delete(actor_of(bob), dog.id)
    with pytest.raises(NotFound):
        app.dogs.get(actor_of(ana), "dog-00000000-0000-0000-0000-000000000000")


def test_a_non_dog_item_under_a_dog_key_is_not_found(app: Dogcare) -> None:
    owner = register(app)
    with pytest.raises(NotFound):
        app.dogs.get(actor_of(owner), owner.id)  # nothing at DOG#owner-...


def test_update_changes_fields_and_bumps_version(app: Dogcare, clock: Clock) -> None:
    owner = register(app)
    dog = add_dog(app, owner)
    clock.advance(hours=1)
    updated = app.dogs.update(
        actor_of(owner),
        dog.id,
        UpdateDog(
            age=5,
            special_needs=["insulin"],
            vaccinations=[VaccinationInput(name="Rabies", expires_on=date(2032, 1, 1))],
        ),
        expected_version=1,
    )
    assert (updated.age, updated.special_needs, updated.version) == (5, ("insulin",), 2)
    assert updated.vaccinations[0].name == "rabies"
    assert updated.vaccination_status == "missing"
    assert updated.updated_at == clock.now
    assert updated.created_at == dog.created_at
    assert app.dogs.get(actor_of(owner), dog.id) == updated


def test_update_with_a_stale_version_writes_nothing(app: Dogcare) -> None:
    owner = register(app)
    dog = add_dog(app, owner)
    app.dogs.update(actor_of(owner), dog.id, UpdateDog(name="Max"))
    with nothing_written(app), pytest.raises(VersionMismatch):
        app.dogs.update(actor_of(owner), dog.id, UpdateDog(name="Stale"), expected_version=1)
    with nothing_written(app), pytest.raises(VersionMismatch):
        app.dog_repository.update(dog, replace(dog, name="Stale"))  # a concurrent writer got there first
    assert app.dogs.get(actor_of(owner), dog.id).name == "Max"


def test_delete_is_blocked_by_an_active_booking(app: Dogcare) -> None:
    owner = register(app)
    dog = add_dog(app, owner)
    booking = book(app, owner, dog)
    with nothing_written(app), pytest.raises(ResourceInUse):
        app.dogs.delete(actor_of(owner), dog.id)
    app.bookings.cancel(actor_of(owner), booking.id)
    app.dogs.delete(actor_of(owner), dog.id, expected_version=1)
    assert not [k for k in items_by_key(app) if k[0] == keys.dog_pk(dog.id)]
    with pytest.raises(NotFound):
        app.dogs.get(actor_of(owner), dog.id)


def test_delete_is_allowed_once_the_stay_is_over(app: Dogcare, clock: Clock) -> None:
    owner = register(app)
    dog = add_dog(app, owner)
    book(app, owner, dog, start=at(5, 9), end=at(5, 12))
    clock.advance(days=1, hours=4)  # 2030-03-05 12:00
    app.dogs.delete(actor_of(owner), dog.id)


def test_delete_with_a_stale_version_writes_nothing(app: Dogcare) -> None:
    owner = register(app)
    dog = add_dog(app, owner)
    app.dogs.update(actor_of(owner), dog.id, UpdateDog(name="Max"))
    with nothing_written(app), pytest.raises(VersionMismatch):
        app.dogs.delete(actor_of(owner), dog.id, expected_version=1)
    schedule = app.dog_repository.schedule(dog.id)
    with nothing_written(app), pytest.raises(ResourceInUse):
        app.dog_repository.delete(dog, schedule, app.clock())  # `dog` is at version 1, stored is 2


def test_list_pages_with_cursors(app: Dogcare) -> None:
    ana, bob = register(app, "sub-a"), register(app, "sub-b")
    dogs = {add_dog(app, ana, name=f"Dog {i}").id for i in range(5)}
    add_dog(app, bob, name="Bob's")
    seen: list[str] = []
    page = app.dogs.list(actor_of(ana), limit=2, cursor=None)
    sizes = [len(page.items)]
    seen.extend(d.id for d in page.items)
    while page.next_cursor:
        page = app.dogs.list(actor_of(ana), limit=2, cursor=page.next_cursor)
        sizes.append(len(page.items))
        seen.extend(d.id for d in page.items)
    assert sizes == [2, 2, 1]
    assert sorted(seen) == sorted(dogs)
    assert app.dogs.list(actor_of(ana), limit=100, cursor=None).next_cursor is None


def test_a_cursor_is_bound_to_its_owner(app: Dogcare) -> None:
    ana, bob = register(app, "sub-a"), register(app, "sub-b")
    for i in range(3):
        add_dog(app, ana, name=f"Dog {i}")
    add_dog(app, bob)
    cursor = app.dogs.list(actor_of(ana), limit=1, cursor=None).next_cursor
    assert cursor is not None
    with pytest.raises(InvalidCursor):
        app.dogs.list(actor_of(bob), limit=1, cursor=cursor)
    with pytest.raises(InvalidCursor):
        app.bookings.list(actor_of(ana), limit=1, cursor=cursor)
    with pytest.raises(InvalidCursor):
        app.dogs.list(actor_of(ana), limit=1, cursor=cursor[:-3] + "AAA")
    assert len(app.dogs.list(actor_of(ana), limit=1, cursor=cursor).items) == 1
