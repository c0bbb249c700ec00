"""Bookings against moto, in both layouts: every constrained write is one transaction.

Each failing write is checked to have written nothing at all (a before/after snapshot of
every table of the layout).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from dogcare.commands import UpdateBooking
from dogcare.domain.actor import Actor
from dogcare.domain.lifecycle import occupied
from dogcare.domain.model import Booking
from dogcare.domain.money import Money
from dogcare.errors import (
    CapacityFull,
    InvalidCursor,
    InvalidTransition,
    LimitReached,
    NotFound,
    OverlappingBooking,
    ValidationFailed,
    VersionMismatch,
)
from dogcare.facade import Dogcare
from dogcare.repositories.bookings import Stayplan
from dogcare.storage import keys
from dogcare.testing.factories import actor_of
from tests.conftest import Clock

from .conftest import (
    add_dog,
    at,
    book,
    items_by_key,
    keys_with_prefix,
    nothing_written,
    recording,
    register,
    vaccinations,
)

STAFF = Actor.staff("staff-1")


def confirm(app: Dogcare, booking: Booking) -> Booking:
    """What a successful payment does to a booking (the payments service is not under test here)."""
    current = app.booking_repository.get(booking.id)
    return app.booking_repository.transition(current, "confirmed", occupied(current), app.clock())


def counter(app: Dogcare, service: str, day: date) -> int:
    return app.booking_repository.capacity_used(service, day)


def intervals(app: Dogcare, dog_id: str) -> dict[str, tuple[datetime, datetime]]:
    return app.dog_repository.schedule(dog_id).intervals


@pytest.fixture
def ana(app: Dogcare):  # type: ignore[no-untyped-def]
    return register(app, "sub-a")


# --- create ------------------------------------------------------------------------------


def test_create_is_pending_with_the_server_price(app: Dogcare, ana) -> None:  # type: ignore[no-untyped-def]
    dog = add_dog(app, ana, size="large")
    booking = book(app, ana, dog, "boarding", at(5, 9), at(8, 11), special_instructions="Feed twice")
    assert booking.status == "pending"
    assert booking.price == Money(3 * 6500, "USD")
    assert booking.version == 1
    assert booking.special_instructions == "Feed twice"
    assert app.bookings.get(actor_of(ana), booking.id) == booking

    items = items_by_key(app)
    profile = items[(keys.booking_pk(booking.id), keys.PROFILE)]
    assert profile["gsi1pk"]["S"] == keys.owner_pk(ana.id)
    assert profile["gsi2pk"]["S"] == keys.dog_pk(dog.id)
    assert profile["gsi1sk"]["S"] == keys.timeline_sk("2030-03-05T09:00:00Z", booking.id)
    days = keys_with_prefix(app, keys.booking_pk(booking.id))
    assert [sk for _, sk in days] == [
        "#PROFILE",
        "DAY#2030-03-05",
        "DAY#2030-03-06",
        "DAY#2030-03-07",
        "DAY#2030-03-08",
    ]
    day = items[(keys.booking_pk(booking.id), "DAY#2030-03-06")]
    assert day["gsi3pk"]["S"] == "DAY#2030-03-06"
    assert day["gsi3sk"]["S"] == f"boarding#2030-03-05T09:00:00Z#{booking.id}"
    assert day["dog_name"]["S"] == "Rex"
    # Capacity: nights only (the 5th, 6th, 7th), not the check-out day.
    used = {d: counter(app, "boarding", date(2030, 3, d)) for d in (4, 5, 6, 7, 8)}
    assert used == {4: 0, 5: 1, 6: 1, 7: 1, 8: 0}
    assert app.booking_repository.pending_count(ana.id) == 1
    assert intervals(app, dog.id) == {booking.id: (at(5, 9), at(8, 11))}
    assert items[(keys.dog_pk(dog.id), keys.SCHEDULE_SK)]["rev"]["N"] == "1"


@pytest.mark.parametrize(
    ("service", "size", "start", "end", "amount"),
    [
        ("daycare", "small", at(5, 9), at(5, 17), 3500),
        ("parking", "giant", at(5, 9), at(5, 11, 1), 3 * 1100),
        ("boarding", "medium", at(5, 9), at(6, 9), 6000),
    ],
)
def test_price_per_service(app: Dogcare, ana, service: str, size: str, start, end, amount: int) -> None:  # type: ignore[no-untyped-def]
    dog = add_dog(app, ana, size=size)
    assert book(app, ana, dog, service, start, end).price == Money(amount, "USD")


def test_bad_times_write_nothing(app: Dogcare, ana) -> None:  # type: ignore[no-untyped-def]
    dog = add_dog(app, ana)
    with nothing_written(app), pytest.raises(ValidationFailed) as info:
        book(app, ana, dog, "daycare", at(3, 9), at(3, 8))
    assert {e.code for e in info.value.errors} == {"in_past", "end_before_start"}


def test_booking_another_owners_dog_is_not_found(app: Dogcare, ana) -> None:  # type: ignore[no-untyped-def]
    bob = register(app, "sub-b")
    dog = add_dog(app, bob)
    with nothing_written(app), pytest.raises(NotFound):
        book(app, ana, dog)


def test_overlap_for_the_same_dog_writes_nothing(app: Dogcare, ana) -> None:  # type: ignore[no-untyped-def]
    dog, other = add_dog(app, ana), add_dog(app, ana, name="Max")
    first = book(app, ana, dog, "boarding", at(5, 9), at(8, 9))
    with nothing_written(app), pytest.raises(OverlappingBooking, match=first.id):
        book(app, ana, dog, "daycare", at(7, 9), at(7, 17))
    with nothing_written(app), pytest.raises(OverlappingBooking):
        book(app, ana, dog, "parking", at(8, 8), at(8, 10))
    book(app, ana, dog, "parking", at(8, 9), at(8, 10))  # starts when the stay ends: no overlap
    book(app, ana, other, "daycare", at(7, 9), at(7, 17))  # another dog


def test_a_stale_schedule_is_re_read_and_the_overlap_still_caught(app: Dogcare, ana) -> None:  # type: ignore[no-untyped-def]
    dog = add_dog(app, ana)
    repo = app.booking_repository
    _, stale, _ = repo.load_for_booking(dog.id, "daycare")
    book(app, ana, dog, "daycare", at(5, 9), at(5, 12))
    loads = []
    real = repo.load_for_booking

    def first_stale(dog_id: str, service: str):  # type: ignore[no-untyped-def]
        loads.append(1)
        if len(loads) == 1:
            dog_item, _, limit = real(dog_id, service)
            return dog_item, stale, limit  # as if read just before the other booking landed
        return real(dog_id, service)

    repo.load_for_booking = first_stale  # type: ignore[method-assign]
    with nothing_written(app), pytest.raises(OverlappingBooking):
        book(app, ana, dog, "daycare", at(5, 11), at(5, 15))
    assert len(loads) == 2  # the revision check failed the first write; the re-read found the overlap


def test_capacity_full_writes_nothing(app: Dogcare, ana) -> None:  # type: ignore[no-untyped-def]
    assert app.staff.set_capacity(STAFF, "daycare", 2)["daycare"] == 2
    dogs = [add_dog(app, ana, name=f"Dog {i}") for i in range(4)]
    book(app, ana, dogs[0])
    book(app, ana, dogs[1])
    with nothing_written(app), pytest.raises(CapacityFull, match="2030-03-05"):
        book(app, ana, dogs[2])
    assert counter(app, "daycare", date(2030, 3, 5)) == 2
    book(app, ana, dogs[2], "daycare", at(6, 9), at(6, 17))  # another day
    book(app, ana, dogs[3], "parking")  # another service, same day


def test_zero_capacity_means_not_offered(app: Dogcare, ana) -> None:  # type: ignore[no-untyped-def]
    app.staff.set_capacity(STAFF, "parking", 0)
    dog = add_dog(app, ana)
    with nothing_written(app), pytest.raises(CapacityFull):
        book(app, ana, dog, "parking")


def test_default_capacity_applies_until_configured(app: Dogcare) -> None:
    assert app.staff.capacity(STAFF) == {"daycare": 20, "boarding": 20, "parking": 20}
    assert app.staff.set_capacity(STAFF, "boarding", 3) == {"daycare": 20, "boarding": 3, "parking": 20}


def test_boarding_consumes_nights(app: Dogcare, ana) -> None:  # type: ignore[no-untyped-def]
    app.staff.set_capacity(STAFF, "boarding", 1)
    a, b, c = (add_dog(app, ana, name=n) for n in ("A", "B", "C"))
    book(app, ana, a, "boarding", at(5, 9), at(8, 9))  # nights of the 5th, 6th, 7th
    with nothing_written(app), pytest.raises(CapacityFull, match="2030-03-07"):
        book(app, ana, b, "boarding", at(7, 9), at(9, 9))
    book(app, ana, b, "boarding", at(8, 9), at(10, 9))  # the 8th is a check-out day for A, not a night
    with nothing_written(app), pytest.raises(CapacityFull, match=r"on 2030-03-05$"):
        book(app, ana, c, "boarding", at(4, 9), at(6, 9))
    book(app, ana, c, "daycare", at(6, 9), at(6, 17))  # daycare has its own counter


def test_pending_cap_writes_nothing(app: Dogcare, ana, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    capped = Dogcare(app.settings.with_changes(max_pending_bookings=2), app.store, clock)
    dog = add_dog(capped, ana)
    first = book(capped, ana, dog, "daycare", at(5, 9), at(5, 12))
    book(capped, ana, dog, "daycare", at(6, 9), at(6, 12))
    with nothing_written(capped), pytest.raises(LimitReached):
        book(capped, ana, dog, "daycare", at(7, 9), at(7, 12))
    confirm(capped, first)  # a paid booking no longer counts
    assert capped.booking_repository.pending_count(ana.id) == 1
    third = book(capped, ana, dog, "daycare", at(7, 9), at(7, 12))
    capped.bookings.cancel(actor_of(ana), third.id)  # nor does a cancelled one
    book(capped, ana, dog, "daycare", at(8, 9), at(8, 12))


def test_vaccinations_must_last_until_the_stay_ends(app: Dogcare, ana) -> None:  # type: ignore[no-untyped-def]
    missing = add_dog(app, ana, name="Missing", vaccinations=vaccinations(rabies=None))
    expiring = add_dog(app, ana, name="Expiring", vaccinations=vaccinations(dhpp=date(2030, 3, 7)))
    with nothing_written(app), pytest.raises(ValidationFailed, match="rabies") as info:
        book(app, ana, missing)
    assert info.value.errors[0].code == "vaccination_required"
    with nothing_written(app), pytest.raises(ValidationFailed, match="dhpp"):
        book(app, ana, expiring, "boarding", at(5, 9), at(9, 9))
    book(app, ana, expiring, "boarding", at(5, 9), at(7, 9))  # valid through the last day


# --- cancel ------------------------------------------------------------------------------


def test_cancel_releases_capacity_schedule_roster_and_pending(app: Dogcare, ana, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    app.staff.set_capacity(STAFF, "boarding", 1)
    dog = add_dog(app, ana)
    booking = book(app, ana, dog, "boarding", at(5, 9), at(8, 9))
    clock.advance(hours=1)
    cancelled = app.bookings.cancel(actor_of(ana), booking.id)
    assert (cancelled.status, cancelled.cancelled_at, cancelled.version) == ("cancelled", clock.now, 2)
    assert app.bookings.get(actor_of(ana), booking.id) == cancelled
    assert keys_with_prefix(app, keys.booking_pk(booking.id)) == [(keys.booking_pk(booking.id), keys.PROFILE)]
    assert [counter(app, "boarding", date(2030, 3, d)) for d in (5, 6, 7)] == [0, 0, 0]
    assert intervals(app, dog.id) == {}
    assert app.booking_repository.pending_count(ana.id) == 0
    assert app.staff.roster(STAFF, date(2030, 3, 6), None, 10, None).items == []
    again = book(app, ana, dog, "boarding", at(5, 9), at(8, 9))  # the same slot, capacity 1
    assert again.status == "pending"
    with nothing_written(app), pytest.raises(InvalidTransition):
        app.bookings.cancel(actor_of(ana), booking.id)


def test_cancel_of_another_owners_booking_is_not_found(app: Dogcare, ana) -> None:  # type: ignore[no-untyped-def]
    bob = register(app, "sub-b")
    booking = book(app, ana, add_dog(app, ana))
    with nothing_written(app), pytest.raises(NotFound):
        app.bookings.cancel(actor_of(bob), booking.id)
    with pytest.raises(NotFound):
        app.bookings.get(actor_of(bob), booking.id)


def test_cancel_a_confirmed_booking_keeps_the_pending_counter(app: Dogcare, ana) -> None:  # type: ignore[no-untyped-def]
    dog = add_dog(app, ana)
    other = book(app, ana, dog, "daycare", at(6, 9), at(6, 17))
    booking = confirm(app, book(app, ana, dog))
    assert app.booking_repository.pending_count(ana.id) == 1
    app.bookings.cancel(actor_of(ana), booking.id)
    assert app.booking_repository.pending_count(ana.id) == 1
    assert counter(app, "daycare", date(2030, 3, 5)) == 0
    assert list(intervals(app, dog.id)) == [other.id]


# --- update ------------------------------------------------------------------------------


def test_reschedule_while_pending_moves_everything(app: Dogcare, ana) -> None:  # type: ignore[no-untyped-def]
    dog = add_dog(app, ana, size="small")
    booking = book(app, ana, dog, "boarding", at(5, 9), at(7, 9))
    moved = app.bookings.update(actor_of(ana), booking.id, UpdateBooking(start_time=at(6, 9), end_time=at(9, 9)), 1)
    assert (moved.start_time, moved.end_time, moved.version) == (at(6, 9), at(9, 9), 2)
    assert moved.price == Money(3 * 5500, "USD")
    assert app.bookings.get(actor_of(ana), booking.id) == moved
    assert [sk for _, sk in keys_with_prefix(app, keys.booking_pk(booking.id))] == [
        "#PROFILE",
        "DAY#2030-03-06",
        "DAY#2030-03-07",
        "DAY#2030-03-08",
        "DAY#2030-03-09",
    ]
    assert [counter(app, "boarding", date(2030, 3, d)) for d in (5, 6, 7, 8, 9)] == [0, 1, 1, 1, 0]
    assert intervals(app, dog.id) == {booking.id: (at(6, 9), at(9, 9))}
    roster = app.staff.roster(STAFF, date(2030, 3, 7), None, 10, None).items
    assert [(r.booking_id, r.start_time) for r in roster] == [(booking.id, at(6, 9))]
    assert app.staff.roster(STAFF, date(2030, 3, 5), None, 10, None).items == []
    profile = items_by_key(app)[(keys.booking_pk(booking.id), keys.PROFILE)]
    assert profile["gsi1sk"]["S"] == keys.timeline_sk("2030-03-06T09:00:00Z", booking.id)


def test_reschedule_checks_overlap_capacity_and_version(app: Dogcare, ana) -> None:  # type: ignore[no-untyped-def]
    app.staff.set_capacity(STAFF, "daycare", 1)
    dog, other = add_dog(app, ana), add_dog(app, ana, name="Max")
    booking = book(app, ana, dog, "daycare", at(5, 9), at(5, 12))
    book(app, ana, dog, "daycare", at(6, 9), at(6, 12))
    book(app, ana, other, "daycare", at(7, 9), at(7, 12))
    with nothing_written(app), pytest.raises(OverlappingBooking):
        app.bookings.update(actor_of(ana), booking.id, UpdateBooking(start_time=at(6, 10), end_time=at(6, 11)))
    with nothing_written(app), pytest.raises(CapacityFull):
        app.bookings.update(actor_of(ana), booking.id, UpdateBooking(start_time=at(7, 13), end_time=at(7, 14)))
    with nothing_written(app), pytest.raises(VersionMismatch):
        app.bookings.update(actor_of(ana), booking.id, UpdateBooking(start_time=at(5, 13), end_time=at(5, 14)), 7)
    with nothing_written(app), pytest.raises(ValidationFailed):
        app.bookings.update(actor_of(ana), booking.id, UpdateBooking(end_time=at(5, 8)))
    same_day = app.bookings.update(actor_of(ana), booking.id, UpdateBooking(start_time=at(5, 13), end_time=at(5, 14)))
    assert counter(app, "daycare", date(2030, 3, 5)) == 1
    assert same_day.start_time == at(5, 13)


def test_reschedule_with_a_stale_booking_writes_nothing(app: Dogcare, ana) -> None:  # type: ignore[no-untyped-def]
    dog = add_dog(app, ana)
    booking = book(app, ana, dog)
    app.bookings.update(actor_of(ana), booking.id, UpdateBooking(special_instructions="v2"))
    repo = app.booking_repository
    _, schedule, _ = repo.load_for_booking(dog.id, "daycare")
    assert schedule is not None
    plan = Stayplan((date(2030, 3, 5),), (date(2030, 3, 5),))
    changed = Booking(**{**booking.__dict__, "start_time": at(5, 10)})
    with nothing_written(app), pytest.raises(VersionMismatch):
        repo.reschedule(booking, changed, "Rex", schedule, plan, plan, 20, app.clock())


def test_times_only_change_while_pending(app: Dogcare, ana) -> None:  # type: ignore[no-untyped-def]
    booking = confirm(app, book(app, ana, add_dog(app, ana)))
    with nothing_written(app), pytest.raises(InvalidTransition, match="pending"):
        app.bookings.update(actor_of(ana), booking.id, UpdateBooking(start_time=at(5, 10)))


def test_instructions_are_editable_until_check_in(app: Dogcare, ana) -> None:  # type: ignore[no-untyped-def]
    booking = book(app, ana, add_dog(app, ana))
    v2 = app.bookings.update(actor_of(ana), booking.id, UpdateBooking(special_instructions="Gate code 1234"), 1)
    assert (v2.special_instructions, v2.version) == ("Gate code 1234", 2)
    confirm(app, booking)
    v4 = app.bookings.update(actor_of(ana), booking.id, UpdateBooking(special_instructions=None))
    assert (v4.special_instructions, v4.version) == (None, 4)
    assert app.bookings.get(actor_of(ana), booking.id) == v4
    assert app.bookings.update(actor_of(ana), booking.id, UpdateBooking()) == v4  # nothing to change
    app.staff.check_in(STAFF, booking.id)
    with nothing_written(app), pytest.raises(InvalidTransition, match="before check-in"):
        app.bookings.update(actor_of(ana), booking.id, UpdateBooking(special_instructions="too late"))


def test_instructions_with_a_stale_version_write_nothing(app: Dogcare, ana) -> None:  # type: ignore[no-untyped-def]
    booking = book(app, ana, add_dog(app, ana))
    app.bookings.update(actor_of(ana), booking.id, UpdateBooking(special_instructions="v2"))
    with nothing_written(app), pytest.raises(VersionMismatch):
        app.bookings.update(actor_of(ana), booking.id, UpdateBooking(special_instructions="v3"), expected_version=1)
    with nothing_written(app), pytest.raises(VersionMismatch):
        app.booking_repository.update_instructions(booking, "stale")


# --- lifecycle -----------------------------------------------------------------------------


def test_check_in_and_check_out(app: Dogcare, ana, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    dog = add_dog(app, ana)
    booking = book(app, ana, dog, "boarding", at(5, 9), at(7, 9))
    with (
        nothing_written(app),
        pytest.raises(InvalidTransition, match="pending booking cannot become checked_in"),
    ):
        app.staff.check_in(STAFF, booking.id)
    confirm(app, booking)
    clock.now = at(5, 9, 5)
    checked_in = app.staff.check_in(STAFF, booking.id)
    assert (checked_in.status, checked_in.checked_in_at) == ("checked_in", at(5, 9, 5))
    roster = app.staff.roster(STAFF, date(2030, 3, 6), "boarding", 10, None).items
    assert [r.status for r in roster] == ["checked_in"]
    with nothing_written(app), pytest.raises(InvalidTransition):
        app.staff.check_in(STAFF, booking.id)
    with nothing_written(app), pytest.raises(InvalidTransition):
        app.bookings.cancel(actor_of(ana), booking.id)
    clock.now = at(7, 8, 30)
    done = app.staff.check_out(STAFF, booking.id)
    assert (done.status, done.checked_out_at) == ("completed", at(7, 8, 30))
    assert intervals(app, dog.id) == {}  # the dog is free again
    for action in (app.staff.check_out, app.staff.check_in):
        with nothing_written(app), pytest.raises(InvalidTransition):
            action(STAFF, booking.id)
    with pytest.raises(NotFound):
        app.staff.check_in(STAFF, "booking-00000000-0000-0000-0000-000000000000")


def test_a_transition_that_lost_a_race_writes_nothing(app: Dogcare, ana) -> None:  # type: ignore[no-untyped-def]
    booking = book(app, ana, add_dog(app, ana))
    app.bookings.cancel(actor_of(ana), booking.id)
    plan = Stayplan((date(2030, 3, 5),), (date(2030, 3, 5),))
    with nothing_written(app), pytest.raises(InvalidTransition, match="no longer pending"):
        app.booking_repository.transition(booking, "confirmed", plan, app.clock())  # read before the cancel


# --- reads ---------------------------------------------------------------------------------


def test_roster_per_day_and_per_service(app: Dogcare, ana) -> None:  # type: ignore[no-untyped-def]
    bob = register(app, "sub-b")
    a, b, c = add_dog(app, ana, name="A"), add_dog(app, bob, name="B"), add_dog(app, ana, name="C")
    daycare = book(app, ana, a, "daycare", at(5, 10), at(5, 17))
    parking = book(app, bob, b, "parking", at(5, 7), at(5, 9))
    boarding = book(app, ana, c, "boarding", at(4, 9), at(6, 9))
    cancelled = book(app, bob, b, "daycare", at(5, 12), at(5, 13))
    app.bookings.cancel(actor_of(bob), cancelled.id)
    day = app.staff.roster(STAFF, date(2030, 3, 5), None, 10, None).items
    assert [(r.service_type, r.booking_id, r.dog_name) for r in day] == [
        ("boarding", boarding.id, "C"),
        ("daycare", daycare.id, "A"),
        ("parking", parking.id, "B"),
    ]
    assert [r.booking_id for r in app.staff.roster(STAFF, date(2030, 3, 5), "parking", 10, None).items] == [parking.id]
    assert [r.booking_id for r in app.staff.roster(STAFF, date(2030, 3, 6), None, 10, None).items] == [boarding.id]
    assert app.staff.roster(STAFF, date(2030, 3, 6), "daycare", 10, None).items == []
    first = app.staff.roster(STAFF, date(2030, 3, 5), None, 2, None)
    assert first.next_cursor
    assert len(first.items) == 2
    rest = app.staff.roster(STAFF, date(2030, 3, 5), None, 2, first.next_cursor)
    assert [r.booking_id for r in rest.items] == [parking.id]
    with pytest.raises(InvalidCursor):
        app.staff.roster(STAFF, date(2030, 3, 6), None, 2, first.next_cursor)
    with pytest.raises(InvalidCursor):
        app.staff.roster(STAFF, date(2030, 3, 5), "daycare", 2, first.next_cursor)


def test_list_by_time_window_and_status(app: Dogcare, ana) -> None:  # type: ignore[no-untyped-def]
    dog = add_dog(app, ana)
    made = [book(app, ana, dog, "daycare", at(d, 9), at(d, 12)) for d in (5, 6, 7, 8, 9)]
    app.bookings.cancel(actor_of(ana), made[1].id)
    app.bookings.cancel(actor_of(ana), made[3].id)
    confirm(app, made[4])

    def ids(**kwargs) -> list[str]:  # type: ignore[no-untyped-def]
        page = app.bookings.list(actor_of(ana), limit=kwargs.pop("limit", 50), cursor=None, **kwargs)
        out = [b.id for b in page.items]
        while page.next_cursor:
            page = app.bookings.list(actor_of(ana), limit=2, cursor=page.next_cursor, **kwargs)
            out.extend(b.id for b in page.items)
        return out

    every = [b.id for b in made]
    assert ids() == every
    assert ids(start_from=at(6, 9), start_to=at(8, 9)) == every[1:4]
    assert ids(start_from=at(6, 10)) == every[2:]
    assert ids(start_to=at(6, 9)) == every[:2]
    assert ids(status="cancelled") == [every[1], every[3]]
    assert ids(status="pending") == [every[0], every[2]]
    assert ids(status="confirmed", start_from=at(9, 0)) == [every[4]]
    assert ids(status="pending", limit=1) == [every[0], every[2]]
    assert ids(limit=2) == every
    with pytest.raises(ValidationFailed):
        app.bookings.list(actor_of(ana), limit=10, cursor=None, start_from=at(8, 9), start_to=at(6, 9))


def test_list_cursors_are_bound_to_the_caller_and_the_query(app: Dogcare, ana) -> None:  # type: ignore[no-untyped-def]
    bob = register(app, "sub-b")
    dog = add_dog(app, ana)
    for d in (5, 6, 7):
        book(app, ana, dog, "daycare", at(d, 9), at(d, 12))
    book(app, bob, add_dog(app, bob))
    cursor = app.bookings.list(actor_of(ana), limit=1, cursor=None).next_cursor
    assert cursor is not None
    with pytest.raises(InvalidCursor):
        app.bookings.list(actor_of(bob), limit=1, cursor=cursor)
    with pytest.raises(InvalidCursor):
        app.bookings.list(actor_of(ana), limit=1, cursor=cursor, status="pending")
    with pytest.raises(InvalidCursor):
        app.bookings.list(actor_of(ana), limit=1, cursor=cursor, start_from=at(5, 0))
    assert len(app.bookings.list(actor_of(ana), limit=1, cursor=cursor).items) == 1
    filtered = app.bookings.list(actor_of(ana), limit=1, cursor=None, status="pending").next_cursor
    assert filtered is not None
    with pytest.raises(InvalidCursor):
        app.bookings.list(actor_of(bob), limit=1, cursor=filtered, status="pending")


def test_list_is_scoped_to_the_owner(app: Dogcare, ana) -> None:  # type: ignore[no-untyped-def]
    bob = register(app, "sub-b")
    mine = book(app, ana, add_dog(app, ana))
    add_dog(app, bob)
    assert [b.id for b in app.bookings.list(actor_of(ana), limit=10, cursor=None).items] == [mine.id]
    assert app.bookings.list(actor_of(bob), limit=10, cursor=None).items == []


def test_thirty_night_stay_fits_one_transaction(app: Dogcare, ana) -> None:  # type: ignore[no-untyped-def]
    dog = add_dog(app, ana)
    booking = book(app, ana, dog, "boarding", at(5, 9), at(5, 9) + timedelta(days=30))
    assert len(keys_with_prefix(app, keys.booking_pk(booking.id))) == 32
    assert counter(app, "boarding", date(2030, 4, 3)) == 1
    app.bookings.cancel(actor_of(ana), booking.id)
    assert counter(app, "boarding", date(2030, 4, 3)) == 0


def test_moving_a_long_stay_past_one_transaction_is_refused_cleanly(app: Dogcare, ana) -> None:  # type: ignore[no-untyped-def]
    # Moving 30 nights to disjoint dates would touch 1 + 31 + 31 + 1 + 30 + 30 = 124 items,
    # more than the 100 one transaction allows: refused up front (422, with the reason and the
    # way out), before any transaction is built, and nothing written.
    booking = book(app, ana, add_dog(app, ana), "boarding", at(5, 9), at(5, 9) + timedelta(days=30))
    later = UpdateBooking(start_time=at(5, 9, month=5), end_time=at(4, 9, month=6))
    with recording(app) as rec, nothing_written(app), pytest.raises(ValidationFailed) as refused:
        app.bookings.update(actor_of(ana), booking.id, later)
    assert "TransactWriteItems" not in rec.calls
    assert "moving a stay of 30 nights" in refused.value.detail
    assert "touches 124 records" in refused.value.detail and "cancel and book again" in refused.value.detail
    assert [e.code for e in refused.value.errors] == ["too_large_to_move"]
    shifted = app.bookings.update(
        actor_of(ana), booking.id, UpdateBooking(start_time=at(6, 9), end_time=at(5, 9, month=4))
    )
    assert shifted.start_time == at(6, 9)  # overlapping dates touch far fewer items


def test_setting_capacity_echoes_it_with_a_consistent_read(app: Dogcare) -> None:
    with recording(app) as rec:
        echoed = app.staff.set_capacity(STAFF, "parking", 7)
    assert echoed["parking"] == 7
    queries = [c for c in rec.calls if c == "Query"]
    assert len(queries) == 1
    assert rec.requests[-1]["ConsistentRead"] is True  # the base table, read after the write
    assert "IndexName" not in rec.requests[-1]
    with recording(app) as rec:
        app.staff.capacity(STAFF)
    assert rec.requests[-1].get("ConsistentRead") is not True  # a plain read stays cheap


def test_a_keyed_create_whose_first_attempt_was_stored_returns_that_booking(app: Dogcare) -> None:
    """A client retrying with its request key after a lost answer: the id is derived from the key,
    so the retry finds the stored booking (one booking, one place, one pending count)."""
    from dogcare.commands import NewBooking

    ana = register(app)
    rex = add_dog(app, ana)
    command = NewBooking(dog_id=rex.id, service_type="daycare", start_time=at(5, 9), end_time=at(5, 17))
    first = app.bookings.create(actor_of(ana), command, request_key="retry-key-0001")
    with nothing_written(app):
        again = app.bookings.create(actor_of(ana), command, request_key="retry-key-0001")
    assert again == first
    assert app.booking_repository.capacity_used("daycare", date(2030, 3, 5)) == 1
    assert app.booking_repository.pending_count(ana.id) == 1
    # The same key for another stay is the client's mistake, not a second booking.
    other = NewBooking(dog_id=rex.id, service_type="daycare", start_time=at(6, 9), end_time=at(6, 17))
    with nothing_written(app), pytest.raises(ValidationFailed):
        app.bookings.create(actor_of(ana), other, request_key="retry-key-0001")
    # Another owner's key never names this owner's booking.
    bo = register(app, "sub-b")
    kiwi = add_dog(app, bo, "Kiwi")
    theirs = NewBooking(dog_id=kiwi.id, service_type="daycare", start_time=at(5, 9), end_time=at(5, 17))
    assert app.bookings.create(actor_of(bo), theirs, request_key="retry-key-0001").id != first.id
