"""``dogcare migrate`` (the library side) on moto, in both layouts: old-shape booking items are
brought to the current schema version exactly as the booking would have recorded them, a
second run changes nothing, an interrupted run resumes, a wrong zone is refused, and a
request writing the item meanwhile wins."""

from __future__ import annotations

from typing import Any

import pytest

from dogcare.commands import UpdateBooking
from dogcare.domain.model import Booking
from dogcare.errors import StorageUnavailable
from dogcare.facade import Dogcare
from dogcare.maintenance.migrate import MIGRATIONS, Checkpoint, MigrationStep, Progress, Upgrade, migrate
from dogcare.storage import keys
from dogcare.storage.entities import BOOKING_SCHEMA_VERSION
from dogcare.testing.factories import actor_of

from .conftest import add_dog, at, book, operator_tools, put_raw, raw_item, register, snapshot

PLAN_ATTRIBUTES = ("capacity_days", "roster_days", "schedule_interval", "zone")


def booking_item(app: Dogcare, booking: Booking) -> dict[str, Any]:
    return raw_item(app, "bookings", keys.booking_pk(booking.id), keys.PROFILE)


def make_old(app: Dogcare, booking: Booking) -> dict[str, Any]:
    """Rewrite a booking item in the version-1 shape (no recorded plan); returns the item as
    the current code wrote it."""
    current = booking_item(app, booking)
    old = {k: v for k, v in current.items() if k not in PLAN_ATTRIBUTES}
    old["schema_version"] = {"N": "1"}
    put_raw(app, "bookings", old)
    return current


def run(app: Dogcare, **kwargs: Any) -> Any:
    with operator_tools(app):
        return migrate(app, **kwargs)


@pytest.fixture
def made(app: Dogcare) -> list[Booking]:
    ana = register(app, "sub-a")
    rex, kiwi = add_dog(app, ana, "Rex"), add_dog(app, ana, "Kiwi")
    day = book(app, ana, rex, "daycare", at(5, 9), at(5, 17))
    stay = book(app, ana, kiwi, "boarding", at(6, 9), at(9, 11))
    gone = book(app, ana, rex, "parking", at(7, 9), at(7, 11))
    app.bookings.cancel(actor_of(ana), gone.id)
    return [day, stay, app.booking_repository.get(gone.id)]


def test_old_items_are_migrated_to_what_the_booking_would_have_recorded(app: Dogcare, made: list[Booking]) -> None:
    originals = {b.id: make_old(app, b) for b in made}
    legacy = app.booking_repository.get(made[0].id)
    assert legacy.plan is None  # an old item still reads
    with pytest.raises(StorageUnavailable, match="dogcare migrate"):
        app.bookings.cancel(actor_of(legacy.owner_id), legacy.id)  # never recomputed under today's settings

    result = run(app)
    assert (result.scanned, result.migrated, result.already, result.refused) == (3, 3, 0, [])
    for b in made:
        assert booking_item(app, b) == originals[b.id]  # the same item, attribute for attribute
        assert int(booking_item(app, b)["schema_version"]["N"]) == BOOKING_SCHEMA_VERSION
    app.bookings.cancel(actor_of(legacy.owner_id), legacy.id)
    assert app.booking_repository.capacity_used("daycare", at(5, 9).date()) == 0


def test_a_second_run_changes_nothing(app: Dogcare, made: list[Booking]) -> None:
    for b in made:
        make_old(app, b)
    run(app)
    before = snapshot(app)
    again = run(app)
    assert (again.scanned, again.migrated) == (0, 0)
    assert snapshot(app) == before


def test_an_interrupted_run_resumes_from_its_checkpoint(app: Dogcare, made: list[Booking]) -> None:
    owner = register(app, "sub-b")
    more = [
        book(app, owner, add_dog(app, owner, f"Dog{n}"), "daycare", at(10 + n, 9), at(10 + n, 12)) for n in range(4)
    ]
    everything = made + more
    for b in everything:
        make_old(app, b)
    seen: list[Progress] = []

    def stop_after_first_migration(progress: Progress) -> None:
        seen.append(progress)
        if progress.migrated:
            raise KeyboardInterrupt  # the operator's Ctrl-C, or a lost session

    with pytest.raises(KeyboardInterrupt):
        run(app, page_size=3, on_page=stop_after_first_migration)
    first = seen[-1]
    assert 0 < first.migrated < len(everything)
    assert first.checkpoint.key is not None

    resumed = run(app, page_size=3, resume=first.checkpoint.encode())
    assert resumed.refused == []
    assert first.migrated + resumed.migrated == len(everything)  # nothing done twice, nothing missed
    assert all(int(booking_item(app, b)["schema_version"]["N"]) == BOOKING_SCHEMA_VERSION for b in everything)
    assert run(app).migrated == 0


def test_a_plain_rerun_skips_what_an_interrupted_run_did(app: Dogcare, made: list[Booking]) -> None:
    for b in made:
        make_old(app, b)

    def stop(progress: Progress) -> None:
        if progress.migrated:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(app, page_size=1, on_page=stop)
    rest = run(app)
    assert rest.migrated == rest.scanned == len(made) - 1  # migrated items are filtered out by version


def test_the_zone_the_booking_was_made_under(app: Dogcare) -> None:
    tokyo = Dogcare(app.settings.with_changes(timezone="Asia/Tokyo"), app.store, app.clock)
    ana = register(tokyo, "sub-t")
    # 23:00 UTC on the 5th to 02:00 UTC on the 6th is 08:00-11:00 on the 6th in Tokyo.
    late = book(tokyo, ana, add_dog(tokyo, ana), "daycare", at(5, 23), at(6, 2))
    original = make_old(app, late)
    wrong = run(app)  # the configured zone here is UTC: the 5th, where the booking has no roster item
    assert wrong.migrated == 0
    assert [key for key, _ in wrong.refused] == [f"{keys.booking_pk(late.id)} {keys.PROFILE}"]
    assert "--zone" in wrong.refused[0][1] and "2030-03-05" in wrong.refused[0][1]
    assert int(booking_item(app, late)["schema_version"]["N"]) == 1  # left as it was
    right = run(app, zone="Asia/Tokyo")
    assert (right.migrated, right.refused) == (1, [])
    assert booking_item(app, late) == original
    assert booking_item(app, late)["zone"] == {"S": "Asia/Tokyo"}


def test_a_request_writing_the_booking_meanwhile_wins(app: Dogcare, made: list[Booking]) -> None:
    make_old(app, made[0])
    real = MIGRATIONS[0]

    def reschedule_first(ctx: Any, item: dict[str, Any]) -> Upgrade:
        upgrade = real.upgrade(ctx, item)
        if item["pk"]["S"] == keys.booking_pk(made[0].id) and item["schema_version"]["N"] == "1":
            # What a reschedule does to an old item meanwhile: it writes the current shape.
            put_raw(app, "bookings", {**item, **upgrade.set, "schema_version": {"N": str(BOOKING_SCHEMA_VERSION)}})
        return upgrade

    racing = MigrationStep(real.name, real.entity, real.table, real.version, reschedule_first)
    result = run(app, steps=[racing])
    assert (result.migrated, result.already) == (0, 1)


def test_steps_are_a_registry(app: Dogcare, made: list[Booking]) -> None:
    assert MIGRATIONS[0].name == "booking-plan"
    # Another entity's step slots in beside it: e.g. owners getting a new attribute.
    stamp = MigrationStep(
        "owner-note",
        "owner",
        "owners",
        2,
        lambda ctx, item: Upgrade({"note": {"S": "migrated"}}),
    )
    result = run(app, steps=[*MIGRATIONS, stamp])
    assert result.steps == ["booking-plan", "owner-note"]
    assert result.migrated == 1  # the one owner; the bookings were already current
    owner_id = app.booking_repository.get(made[0].id).owner_id
    assert raw_item(app, "owners", keys.owner_pk(owner_id), keys.PROFILE)["note"] == {"S": "migrated"}
    with pytest.raises(ValueError, match="checkpoint"):
        run(app, resume="not-a-checkpoint")
    assert Checkpoint.decode(Checkpoint("booking-plan", {"pk": {"S": "x"}}).encode()).key == {"pk": {"S": "x"}}
    assert app.bookings.update(actor_of(made[0].owner_id), made[0].id, UpdateBooking(special_instructions="ok"))


def test_a_full_run_also_moves_keys_changed_since_the_item_was_written(app: Dogcare) -> None:
    """The owner directory shard and the email guard's skeleton key: old items get both."""
    from dogcare.domain.ids import normalise_email
    from dogcare.domain.skeleton import email_key

    ana = register(app, "sub-a", "Ana@Example.com")
    owners = app.store.layout.table_name("owners")
    with operator_tools(app):
        app.store.client.update_item(
            TableName=owners,
            Key={"pk": {"S": keys.owner_pk(ana.id)}, "sk": {"S": keys.PROFILE}},
            UpdateExpression="SET gsi3pk = :legacy",
            ExpressionAttributeValues={":legacy": {"S": keys.LEGACY_OWNER_DIRECTORY_PK}},
        )
        guard = app.store.models.EmailGuard
        guard(keys.email_pk(email_key(ana.email)), keys.EMAIL_SK).delete()
        guard(keys.email_pk(normalise_email(ana.email)), keys.EMAIL_SK, owner_id=ana.id).save()

    first = run(app)
    assert first.steps[-2:] == ["owner-directory-shards", "email-guard-skeletons"]
    assert first.migrated == 2 and first.refused == []
    profile = raw_item(app, "owners", keys.owner_pk(ana.id), keys.PROFILE)
    assert profile["gsi3pk"]["S"] == keys.owner_directory_pk(ana.id)
    assert raw_item(app, "owners", keys.email_pk(email_key(ana.email)), keys.EMAIL_SK)["owner_id"]["S"] == ana.id
    assert [o.id for o in app.owner_repository.list(10, None).items] == [ana.id]

    before = snapshot(app)
    again = run(app)
    assert again.migrated == 0
    assert snapshot(app) == before
