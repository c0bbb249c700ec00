"""Owners against moto, in both layouts: registration, the unique-email guard, versions."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dogcare.commands import RegisterOwner, UpdateOwner
from dogcare.domain.actor import Actor
from dogcare.domain.ids import normalise_email, owner_id_for
from dogcare.domain.skeleton import email_key
from dogcare.errors import (
    AlreadyRegistered,
    DuplicateEmail,
    InvalidCursor,
    NotFound,
    ValidationFailed,
    VersionMismatch,
)
from dogcare.facade import Dogcare
from dogcare.repositories.owners import migrate_email_guards
from dogcare.storage import keys
from dogcare.testing.factories import actor_of
from tests.conftest import Clock

from .conftest import items_by_key, nothing_written, register

STAFF = Actor.staff("staff-1")


def test_register_writes_profile_directory_entry_and_email_guard(app: Dogcare) -> None:
    owner = app.owners.register(Actor("sub-a"), RegisterOwner(name="Ana"), "  Ana@Example.COM ")
    assert owner.id == owner_id_for("sub-a")
    assert owner.email == "Ana@Example.COM"  # as the identity provider gave it, trimmed
    assert owner.version == 1
    items = items_by_key(app)
    profile = items[(keys.owner_pk(owner.id), keys.PROFILE)]
    assert profile["entity_type"]["S"] == "owner"
    assert profile["gsi3pk"]["S"] == keys.owner_directory_pk(owner.id)
    assert profile["version"]["N"] == "1"
    guard = items[(keys.email_pk(email_key("ana@example.com")), keys.EMAIL_SK)]
    assert guard["owner_id"]["S"] == owner.id
    assert len(items) == 2
    assert app.owners.profile(Actor("sub-a")) == owner


def test_duplicate_email_writes_nothing(app: Dogcare) -> None:
    register(app, "sub-a", "ana@example.com")
    with nothing_written(app), pytest.raises(DuplicateEmail):
        app.owners.register(Actor("sub-b"), RegisterOwner(name="Bob"), "ANA@example.com")
    with pytest.raises(NotFound):
        app.owners.profile(Actor("sub-b"))


@pytest.mark.parametrize(
    "look_alike",
    [
        "\u0435mma@example.com",  # Cyrillic e
        "e\u217fma@example.com",  # Roman numeral one thousand (m)
        "\uff45mma@example.com",  # full-width e
        "ernma@example.com",  # r + n looks like m
        "EMMA@EXAMPLE.COM",
    ],
)
def test_a_look_alike_address_collides_with_the_original(app: Dogcare, look_alike: str) -> None:
    register(app, "sub-a", "emma@example.com")
    with nothing_written(app), pytest.raises(DuplicateEmail):
        app.owners.register(Actor("sub-b"), RegisterOwner(name="Bob"), look_alike)


def test_different_addresses_do_not_collide(app: Dogcare) -> None:
    register(app, "sub-a", "emma@example.com")
    for n, other in enumerate(["emma@example.org", "emma1@example.com", "gemma@example.com"]):
        app.owners.register(Actor(f"sub-{n}"), RegisterOwner(name="Other"), other)


def test_registering_twice_is_already_registered(app: Dogcare) -> None:
    register(app, "sub-a", "ana@example.com")
    with nothing_written(app), pytest.raises(AlreadyRegistered):
        register(app, "sub-a", "ana@example.com")
    with nothing_written(app), pytest.raises(AlreadyRegistered):
        register(app, "sub-a", "other@example.com")


def test_profile_of_unknown_subject_is_not_found(app: Dogcare) -> None:
    with pytest.raises(NotFound, match="register first"):
        app.owners.profile(Actor("nobody"))


def test_update_profile_fields_and_version(app: Dogcare) -> None:
    register(app, "sub-a")
    updated = app.owners.update_profile(Actor("sub-a"), UpdateOwner(name="Ana Maria", phone="+1 555 0100"), 1)
    assert (updated.name, updated.phone, updated.version) == ("Ana Maria", "+1 555 0100", 2)
    assert app.owners.profile(Actor("sub-a")) == updated


def test_email_change_moves_the_guard_atomically(app: Dogcare, clock: Clock) -> None:
    register(app, "sub-a", "old@example.com")
    updated = app.owners.update_profile(Actor("sub-a"), UpdateOwner(), email="new@example.com")
    assert updated.email == "new@example.com"
    items = items_by_key(app)
    assert (keys.email_pk(email_key("old@example.com")), keys.EMAIL_SK) not in items
    new_guard = items[(keys.email_pk(email_key("new@example.com")), keys.EMAIL_SK)]
    assert new_guard["owner_id"]["S"] == owner_id_for("sub-a")
    # The old address is free again; the new one is taken.
    register(app, "sub-b", "old@example.com")
    with nothing_written(app), pytest.raises(DuplicateEmail):
        register(app, "sub-c", "new@example.com")


def test_email_change_to_a_taken_address_writes_nothing(app: Dogcare) -> None:
    register(app, "sub-a", "ana@example.com")
    register(app, "sub-b", "bob@example.com")
    with nothing_written(app), pytest.raises(DuplicateEmail):
        app.owners.update_profile(Actor("sub-a"), UpdateOwner(name="Ana B"), email="b\u043eb@example.com")
    assert app.owners.profile(Actor("sub-a")).email == "ana@example.com"


def test_same_email_again_keeps_the_guard(app: Dogcare) -> None:
    register(app, "sub-a", "ana@example.com")
    updated = app.owners.update_profile(Actor("sub-a"), UpdateOwner(name="Ana 2"), email="ANA@example.com")
    assert updated.email == "ANA@example.com"
    guards = [k for k in items_by_key(app) if k[0].startswith("EMAIL#")]
    assert guards == [(keys.email_pk(email_key("ana@example.com")), keys.EMAIL_SK)]


def test_wrong_expected_version_writes_nothing(app: Dogcare) -> None:
    register(app, "sub-a")
    with nothing_written(app), pytest.raises(VersionMismatch):
        app.owners.update_profile(Actor("sub-a"), UpdateOwner(name="X"), expected_version=2, email="x@example.com")


def test_stale_write_is_a_version_mismatch_and_writes_nothing(app: Dogcare) -> None:
    owner = register(app, "sub-a", "ana@example.com")
    app.owners.update_profile(Actor("sub-a"), UpdateOwner(name="First"))
    repo = app.owner_repository
    with nothing_written(app), pytest.raises(VersionMismatch):
        repo.update(owner, replace(owner, name="Stale"))  # `owner` is still at version 1
    with nothing_written(app), pytest.raises(VersionMismatch):
        repo.update(owner, replace(owner, email="stale@example.com"))
    assert app.owners.profile(Actor("sub-a")).name == "First"


def test_updating_an_unregistered_owner_is_not_found(app: Dogcare) -> None:
    with nothing_written(app), pytest.raises(NotFound):
        app.owners.update_profile(Actor("nobody"), UpdateOwner(name="X"))


def test_directory_lists_owners_oldest_first_with_cursors(app: Dogcare, clock: Clock) -> None:
    made = []
    for i in range(5):
        made.append(register(app, f"sub-{i}"))
        clock.advance(minutes=1)
    page = app.staff.owners_page(STAFF, limit=2, cursor=None)
    seen = list(page.items)
    while page.next_cursor:
        page = app.staff.owners_page(STAFF, limit=2, cursor=page.next_cursor)
        seen.extend(page.items)
    assert [o.id for o in seen] == [o.id for o in made]
    first = app.staff.owners_page(STAFF, limit=2, cursor=None)
    assert first.next_cursor is not None
    with pytest.raises(InvalidCursor):
        app.dogs.list(actor_of(made[0].id), limit=2, cursor=first.next_cursor)


def test_an_address_the_provider_gave_that_we_cannot_store_is_a_422(app: Dogcare) -> None:
    for bad in ["ana\u200b@example.com", "not-an-email", "a" * 250 + "@example.com"]:
        with nothing_written(app), pytest.raises(ValidationFailed) as error:
            app.owners.register(Actor("sub-a"), RegisterOwner(name="Ana"), bad)
        assert error.value.errors[0].field == "header.X-Id-Token"


# --- moving existing guards to the skeleton key ----------------------------------------------


def _to_legacy_guard(app: Dogcare, owner_id: str, email: str) -> None:
    """Put ``owner_id``'s guard where earlier versions kept it (the NFKC-lowercased address)."""
    guard = app.store.models.EmailGuard
    guard(keys.email_pk(email_key(email)), keys.EMAIL_SK).delete()
    guard(keys.email_pk(normalise_email(email)), keys.EMAIL_SK, owner_id=owner_id).save()


def _guards(app: Dogcare) -> dict[str, str]:
    return {k[0]: v["owner_id"]["S"] for k, v in items_by_key(app).items() if k[0].startswith("EMAIL#")}


def test_migrate_email_guards_moves_legacy_guards_and_is_idempotent(app: Dogcare) -> None:
    emma = register(app, "sub-a", "Emma@Example.com")
    ben = register(app, "sub-b", "ben@example.com")
    _to_legacy_guard(app, emma.id, emma.email)
    assert _guards(app) == {keys.email_pk("emma@example.com"): emma.id, keys.email_pk(email_key(ben.email)): ben.id}
    # Before the migration, the look-alike slips past the guard: that is what it fixes.
    first = migrate_email_guards(app)
    assert (first.moved, first.current, first.conflicts) == (1, 1, [])
    assert _guards(app) == {keys.email_pk(email_key(emma.email)): emma.id, keys.email_pk(email_key(ben.email)): ben.id}
    with nothing_written(app):
        again = migrate_email_guards(app)
    assert (again.moved, again.current, again.conflicts) == (0, 2, [])
    with nothing_written(app), pytest.raises(DuplicateEmail):
        app.owners.register(Actor("sub-c"), RegisterOwner(name="Fake"), "\u0435mma@example.com")


def test_migrate_email_guards_reports_existing_look_alikes_and_keeps_their_guards(app: Dogcare) -> None:
    emma = register(app, "sub-a", "emma@example.com")
    _to_legacy_guard(app, emma.id, emma.email)
    twin = register(app, "sub-b", "\u0435mma@example.com")  # registered before guards were skeletons
    _to_legacy_guard(app, twin.id, twin.email)
    report = migrate_email_guards(app)
    assert (report.moved, report.conflicts) == (1, [twin.id])
    assert _guards(app) == {
        keys.email_pk(email_key(emma.email)): emma.id,
        keys.email_pk(normalise_email(twin.email)): twin.id,
    }
    assert migrate_email_guards(app).conflicts == [twin.id]


def test_an_email_change_before_the_migration_succeeds(app: Dogcare) -> None:
    emma = register(app, "sub-a", "emma@example.com")
    _to_legacy_guard(app, emma.id, emma.email)
    updated = app.owners.update_profile(Actor("sub-a"), UpdateOwner(), email="emma.b@example.com")
    assert updated.email == "emma.b@example.com"
    assert _guards(app)[keys.email_pk(email_key("emma.b@example.com"))] == emma.id
