"""The owner directory, sharded over ``OWNERS#0..3`` in gsi3: the staff list reads every shard in
bounded requests, in registration order, and the migration from the single ``OWNERS`` key."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from dogcare.commands import RegisterOwner
from dogcare.domain.actor import Actor
from dogcare.errors import InvalidCursor
from dogcare.facade import Dogcare
from dogcare.storage import keys
from dogcare.storage.migrations import migrate_owner_directory
from tests.conftest import Clock

STAFF = Actor.staff("staff-1")


def register_many(app: Dogcare, clock: Clock, n: int) -> list[str]:
    ids = []
    for i in range(n):
        clock.advance(seconds=1 + i % 3)
        ids.append(app.owners.register(Actor(f"dir-{i:03d}"), RegisterOwner(name=f"O{i}"), f"d{i}@example.com").id)
    return ids


def queries(app: Dogcare) -> Counter[str]:
    seen: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        seen[model.name] += 1

    app.store.on_request(count)
    return seen


def test_the_directory_spreads_over_every_shard(app: Dogcare, clock: Clock) -> None:
    ids = register_many(app, clock, 40)
    used = Counter(keys.owner_directory_shard(i) for i in ids)
    assert set(used) == set(range(keys.OWNER_DIRECTORY_SHARDS)), used
    raw = app.store.client.get_item(
        TableName=app.store.layout.table_name("owners"),
        Key={"pk": {"S": keys.owner_pk(ids[0])}, "sk": {"S": "#PROFILE"}},
    )["Item"]
    assert raw["gsi3pk"]["S"] == keys.owner_directory_pk(ids[0])


@pytest.mark.parametrize("limit", [1, 4, 7, 100])
def test_pages_cover_every_shard_in_registration_order(app: Dogcare, clock: Clock, limit: int) -> None:
    ids = register_many(app, clock, 23)
    seen = queries(app)
    listed: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        before = seen["Query"]
        page = app.staff.owners_page(STAFF, limit, cursor)
        assert seen["Query"] - before <= keys.OWNER_DIRECTORY_SHARDS  # bounded: one Query per shard at most
        assert len(page.items) <= limit
        listed += [o.id for o in page.items]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
        assert pages < 100
    assert listed == ids  # every owner once, oldest registration first across the shards
    # DynamoDB may hand back a last key on a page that happens to end a shard: at most one empty page.
    assert -(-len(ids) // limit) <= pages <= len(ids) // limit + 1


def test_a_tampered_directory_cursor_is_refused(app: Dogcare, clock: Clock) -> None:
    register_many(app, clock, 3)
    cursor = app.staff.owners_page(STAFF, 1, None).next_cursor
    assert cursor is not None
    with pytest.raises(InvalidCursor):
        app.staff.owners_page(STAFF, 1, cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB"))


@pytest.mark.parametrize("layout", ["single", "four"], indirect=True)
def test_the_migration_moves_legacy_directory_entries_once(app: Dogcare, clock: Clock) -> None:
    ids = register_many(app, clock, 9)
    table = app.store.layout.table_name("owners")
    client = app.store.client
    for owner_id in ids:  # as written before the directory was sharded
        client.update_item(
            TableName=table,
            Key={"pk": {"S": keys.owner_pk(owner_id)}, "sk": {"S": keys.PROFILE}},
            UpdateExpression="SET gsi3pk = :legacy",
            ExpressionAttributeValues={":legacy": {"S": keys.LEGACY_OWNER_DIRECTORY_PK}},
        )
    assert app.staff.owners_page(STAFF, 100, None).items == []  # the list reads only the shards

    first = migrate_owner_directory(app.store, page_size=4)
    assert (first.scanned, first.migrated) == (9, 9)
    assert [o.id for o in app.staff.owners_page(STAFF, 100, None).items] == ids
    again = migrate_owner_directory(app.store)
    assert (again.scanned, again.migrated) == (0, 0)  # idempotent: nothing left under the old key
    versions = {o.id: o.version for o in app.staff.owners_page(STAFF, 100, None).items}
    assert set(versions.values()) == {1}  # a key move is not a profile change (ETags stay)
