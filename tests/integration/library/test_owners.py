"""Owners against moto, in both layouts: registration, the unique-email guard, versions."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dogcare.commands import RegisterOwner, UpdateOwner
from dogcare.domain.ids import owner_id_for
from dogcare.errors import AlreadyRegistered, DuplicateEmail, InvalidCursor, NotFound, VersionMismatch
from dogcare.facade import Dogcare
from dogcare.storage import keys
from tests.conftest import Clock

from .conftest import items_by_key, nothing_written, register


def test_register_writes_profile_directory_entry_and_email_guard(app: Dogcare) -> None:
    owner = app.owners.register("sub-a", RegisterOwner(name="Ana", email="  Ana@Example.COM "))
    assert owner.id == owner_id_for("sub-a")
    assert owner.email == "ana@example.com"
    assert owner.version == 1
    items = items_by_key(app)
    profile = items[(keys.owner_pk(owner.id), keys.PROFILE)]
    assert profile["entity_type"]["S"] == "owner"
    assert profile["gsi3pk"]["S"] == keys.owner_directory_pk(owner.id)
    assert profile["version"]["N"] == "1"
    guard = items[(keys.email_pk("ana@example.com"), keys.EMAIL_SK)]
    assert guard["owner_id"]["S"] == owner.id
    assert len(items) == 2
    assert app.owners.profile("sub-a") == owner


def test_duplicate_email_writes_nothing(app: Dogcare) -> None:
    register(app, "sub-a", "ana@example.com")
    with nothing_written(app), pytest.raises(DuplicateEmail):
        app.owners.register("sub-b", RegisterOwner(name="Bob", email="ANA@example.com"))
    with pytest.raises(NotFound):
        app.owners.profile("sub-b")


def test_registering_twice_is_already_registered(app: Dogcare) -> None:
    register(app, "sub-a", "ana@example.com")
    with nothing_written(app), pytest.raises(AlreadyRegistered):
        register(app, "sub-a", "ana@example.com")
    with nothing_written(app), pytest.raises(AlreadyRegistered):
        register(app, "sub-a", "other@example.com")


def test_profile_of_unknown_subject_is_not_found(app: Dogcare) -> None:
    with pytest.raises(NotFound, match="register first"):
        app.owners.profile("nobody")


def test_update_profile_fields_and_version(app: Dogcare) -> None:
    register(app, "sub-a")
    updated = app.owners.update_profile("sub-a", UpdateOwner(name="Ana Maria", phone="+1 555 0100"), 1)
    assert (updated.name, updated.phone, updated.version) == ("Ana Maria", "+1 555 0100", 2)
    assert app.owners.profile("sub-a") == updated


def test_email_change_moves_the_guard_atomically(app: Dogcare, clock: Clock) -> None:
    register(app, "sub-a", "old@example.com")
    updated = app.owners.update_profile("sub-a", UpdateOwner(email="new@example.com"))
    assert updated.email == "new@example.com"
    items = items_by_key(app)
    assert (keys.email_pk("old@example.com"), keys.EMAIL_SK) not in items
    assert items[(keys.email_pk("new@example.com"), keys.EMAIL_SK)]["owner_id"]["S"] == owner_id_for("sub-a")
    # The old address is free again; the new one is taken.
    register(app, "sub-b", "old@example.com")
    with nothing_written(app), pytest.raises(DuplicateEmail):
        register(app, "sub-c", "new@example.com")


def test_email_change_to_a_taken_address_writes_nothing(app: Dogcare) -> None:
    register(app, "sub-a", "ana@example.com")
    register(app, "sub-b", "bob@example.com")
    with nothing_written(app), pytest.raises(DuplicateEmail):
        app.owners.update_profile("sub-a", UpdateOwner(name="Ana B", email="bob@example.com"))
    assert app.owners.profile("sub-a").email == "ana@example.com"


def test_same_email_again_keeps_the_guard(app: Dogcare) -> None:
    register(app, "sub-a", "ana@example.com")
    app.owners.update_profile("sub-a", UpdateOwner(email="ANA@example.com", name="Ana 2"))
    assert (keys.email_pk("ana@example.com"), keys.EMAIL_SK) in items_by_key(app)


def test_wrong_expected_version_writes_nothing(app: Dogcare) -> None:
    register(app, "sub-a")
    with nothing_written(app), pytest.raises(VersionMismatch):
        app.owners.update_profile("sub-a", UpdateOwner(name="X", email="x@example.com"), expected_version=2)


def test_stale_write_is_a_version_mismatch_and_writes_nothing(app: Dogcare) -> None:
    owner = register(app, "sub-a", "ana@example.com")
    app.owners.update_profile("sub-a", UpdateOwner(name="First"))
    repo = app.owner_repository
    with nothing_written(app), pytest.raises(VersionMismatch):
        repo.update(owner, replace(owner, name="Stale"))  # `owner` is still at version 1
    with nothing_written(app), pytest.raises(VersionMismatch):
        repo.update(owner, replace(owner, email="stale@example.com"))
    assert app.owners.profile("sub-a").name == "First"


def test_updating_an_unregistered_owner_is_not_found(app: Dogcare) -> None:
    with nothing_written(app), pytest.raises(NotFound):
        app.owners.update_profile("nobody", UpdateOwner(name="X"))


def test_directory_lists_owners_oldest_first_with_cursors(app: Dogcare, clock: Clock) -> None:
    made = []
    for i in range(5):
        made.append(register(app, f"sub-{i}"))
        clock.advance(minutes=1)
    page = app.owners.list_owners(limit=2, cursor=None)
    seen = list(page.items)
    while page.next_cursor:
        page = app.owners.list_owners(limit=2, cursor=page.next_cursor)
        seen.extend(page.items)
    assert [o.id for o in seen] == [o.id for o in made]
    first = app.owners.list_owners(limit=2, cursor=None)
    assert first.next_cursor is not None
    with pytest.raises(InvalidCursor):
        app.dogs.list(made[0].id, limit=2, cursor=first.next_cursor)
