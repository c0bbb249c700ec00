"""Exactly which DynamoDB operations each library method sends, counted on the botocore client.

One GetItem or one Query per read pattern, one TransactWriteItems per constrained write
(creating a booking also reads dog, schedule and capacity setting in one BatchGetItem), and
never a Scan.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from dogcare.commands import UpdateBooking, UpdateDog, UpdateOwner
from dogcare.domain.actor import Actor
from dogcare.domain.model import Booking, Payment
from dogcare.domain.money import Money
from dogcare.errors import CapacityFull, NotFound, OverlappingBooking
from dogcare.facade import Dogcare
from dogcare.repositories.bookings import Stayplan
from dogcare.storage import keys
from dogcare.storage.transactions import Tx
from dogcare.testing.factories import actor_of
from tests.conftest import Clock

from .conftest import add_dog, at, book, recording, register

STAFF = Actor.staff("staff-1")

GET = {"GetItem": 1}
QUERY = {"Query": 1}
TX = {"TransactWriteItems": 1}


def ops(app: Dogcare, call: Callable[[], Any]) -> dict[str, int]:
    with recording(app) as rec:
        call()
    return dict(rec.counts)


def fails(app: Dogcare, call: Callable[[], Any], error: type[Exception]) -> dict[str, int]:
    def expect() -> None:
        with pytest.raises(error):
            call()

    return ops(app, expect)


def test_owner_operations(app: Dogcare, clock: Clock) -> None:
    assert ops(app, lambda: register(app, "sub-a", "ana@example.com")) == TX
    assert ops(app, lambda: app.owners.profile(Actor("sub-a"))) == GET
    assert ops(app, lambda: app.owners.update_profile(Actor("sub-a"), UpdateOwner(name="Ana B"))) == {**GET, **TX}
    assert ops(app, lambda: app.owners.update_profile(Actor("sub-a"), UpdateOwner(), email="b@example.com")) == {
        **GET,
        **TX,
    }
    # One Query per directory shard (there is one owner: the other shards answer empty).
    assert ops(app, lambda: app.staff.owners_page(STAFF, 10, None)) == {"Query": keys.OWNER_DIRECTORY_SHARDS}
    assert ops(app, lambda: app.owner_repository.get(app.owners.profile(Actor("sub-a")).id)) == {"GetItem": 2}


def test_dog_operations(app: Dogcare) -> None:
    owner = register(app)
    holder: dict[str, Any] = {}
    assert ops(app, lambda: holder.setdefault("dog", add_dog(app, owner))) == TX
    dog = holder["dog"]
    assert ops(app, lambda: app.dogs.get(actor_of(owner), dog.id)) == GET
    assert ops(app, lambda: app.dogs.list(actor_of(owner), 10, None)) == QUERY
    assert ops(app, lambda: app.dogs.update(actor_of(owner), dog.id, UpdateDog(name="Max"))) == {**GET, **TX}
    assert ops(app, lambda: app.dog_repository.schedule(dog.id)) == GET
    assert ops(app, lambda: app.dogs.delete(actor_of(owner), dog.id)) == {"GetItem": 2, **TX}  # dog + schedule


def test_list_pages_are_one_query_each(app: Dogcare) -> None:
    owner = register(app)
    for i in range(3):
        add_dog(app, owner, name=f"Dog {i}")
    cursor = app.dogs.list(actor_of(owner), 2, None).next_cursor
    assert ops(app, lambda: app.dogs.list(actor_of(owner), 2, cursor)) == QUERY


def test_booking_operations(app: Dogcare, clock: Clock) -> None:
    owner = register(app)
    dog = add_dog(app, owner)
    holder: dict[str, Booking] = {}
    assert ops(app, lambda: holder.setdefault("b", book(app, owner, dog, "boarding", at(5, 9), at(9, 9)))) == {
        "BatchGetItem": 1,
        **TX,
    }
    booking = holder["b"]
    b_id = booking.id
    assert ops(app, lambda: app.bookings.get(actor_of(owner), b_id)) == GET
    assert ops(app, lambda: app.bookings.list(actor_of(owner), limit=10, cursor=None)) == QUERY
    assert ops(app, lambda: app.bookings.list(actor_of(owner), limit=10, cursor=None, start_from=at(5, 0))) == QUERY
    assert ops(app, lambda: app.bookings.list(actor_of(owner), limit=10, cursor=None, status="pending")) == QUERY
    assert ops(app, lambda: app.bookings.update(actor_of(owner), b_id, UpdateBooking(special_instructions="x"))) == {
        **GET,
        **TX,
    }
    assert ops(app, lambda: app.bookings.update(actor_of(owner), b_id, UpdateBooking(end_time=at(10, 9)))) == {
        **GET,
        "BatchGetItem": 1,
        **TX,
    }
    assert ops(app, lambda: app.staff.roster(STAFF, date(2030, 3, 6), None, 10, None)) == QUERY
    assert ops(app, lambda: app.staff.roster(STAFF, date(2030, 3, 6), "boarding", 10, None)) == QUERY
    assert ops(app, lambda: app.staff.capacity(STAFF)) == QUERY
    assert ops(app, lambda: app.staff.set_capacity(STAFF, "daycare", 5)) == {"PutItem": 1, **QUERY}
    assert ops(app, lambda: app.booking_repository.capacity_used("boarding", date(2030, 3, 6))) == GET
    assert ops(app, lambda: app.booking_repository.pending_count(owner.id)) == GET
    assert ops(app, lambda: app.booking_repository.load_for_booking(dog.id, "daycare")) == {"BatchGetItem": 1}
    assert ops(app, lambda: app.bookings.cancel(actor_of(owner), b_id)) == {**GET, **TX}

    second = book(app, owner, dog, "daycare", at(6, 9), at(6, 17))
    plan = Stayplan((date(2030, 3, 6),), (date(2030, 3, 6),))
    assert ops(app, lambda: app.booking_repository.transition(second, "confirmed", plan, clock())) == TX
    assert ops(app, lambda: app.staff.check_in(STAFF, second.id)) == {**GET, **TX}
    assert ops(app, lambda: app.staff.check_out(STAFF, second.id)) == {**GET, **TX}


def test_failed_writes_cost_the_same_and_never_scan(app: Dogcare) -> None:
    owner = register(app)
    dog, other = add_dog(app, owner), add_dog(app, owner, name="Max")
    app.staff.set_capacity(STAFF, "daycare", 1)
    book(app, owner, dog)
    # The overlap is seen in the batch read: no write is even attempted.
    assert fails(app, lambda: book(app, owner, dog), OverlappingBooking) == {"BatchGetItem": 1}
    # Capacity is enforced by the transaction's condition.
    assert fails(app, lambda: book(app, owner, other), CapacityFull) == {"BatchGetItem": 1, **TX}
    assert fails(app, lambda: app.bookings.get(actor_of(owner), "booking-x"), NotFound) == GET


def test_payment_repository_operations(app: Dogcare, clock: Clock) -> None:
    owner = register(app)
    booking = book(app, owner, add_dog(app, owner))
    repo = app.payment_repository
    payment = Payment(
        id="payment-1",
        owner_id=owner.id,
        booking_id=booking.id,
        amount=booking.price,
        status="creating",
        provider="memory",
        provider_reference=None,
        amount_refunded=0,
        created_at=clock(),
        updated_at=clock(),
        version=0,
    )
    holder: dict[str, Payment] = {}
    assert ops(app, lambda: holder.setdefault("p", repo.reserve(payment, booking))) == TX
    reserved = holder["p"]
    assert ops(app, lambda: repo.get("payment-1")) == GET
    assert ops(app, lambda: repo.list_for_owner(owner.id, 10, None)) == QUERY
    assert ops(app, lambda: repo.update(reserved, reserved)) == TX
    assert ops(app, lambda: repo.event_seen("evt_1")) == GET

    def event() -> None:
        tx = Tx(app.store)
        repo.add_event_marker(tx, "evt_1", "payment_intent.succeeded", "applied", clock())
        repo.commit_event(tx)

    assert ops(app, event) == TX
    assert Money(booking.price.amount, "USD") == reserved.amount


def test_a_filtered_page_is_still_one_query(app: Dogcare) -> None:
    owner = register(app)
    dog = add_dog(app, owner)
    made = [book(app, owner, dog, "daycare", at(d, 9), at(d, 12)) for d in (5, 6, 7, 8)]
    for b in made[:3]:
        app.bookings.cancel(actor_of(owner), b.id)
    # The first key-ordered item is cancelled: the page comes back short, with a cursor,
    # instead of walking the owner's whole partition in one call.
    with recording(app) as rec:
        page = app.bookings.list(actor_of(owner), limit=1, cursor=None, status="pending")
    assert dict(rec.counts) == QUERY
    pages = 1
    found = [b.id for b in page.items]
    while page.next_cursor:
        page = app.bookings.list(actor_of(owner), limit=1, cursor=page.next_cursor, status="pending")
        found.extend(b.id for b in page.items)
        pages += 1
    assert found == [made[3].id]
    assert pages >= 4
