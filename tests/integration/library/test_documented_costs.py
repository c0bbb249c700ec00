"""The generated access-pattern document against what the library really sends and stores.

For every constrained write the document declares which actions one transaction holds; here
each write is performed and its TransactWriteItems request counted action by action. The
documented item sizes (the basis of every RCU/WCU figure) must cover real example items.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from dogcare.commands import AddressInput, NewDog, UpdateBooking, UpdateDog, UpdateOwner
from dogcare.commands import VaccinationInput as Vacc
from dogcare.domain.actor import Actor
from dogcare.domain.lifecycle import occupied
from dogcare.domain.model import Booking, Payment
from dogcare.facade import Dogcare
from dogcare.storage.patterns_doc import ITEM_BYTES, WRITES_BY_NAME, item_size
from dogcare.storage.transactions import Tx
from dogcare.testing.factories import actor_of, register_owner
from tests.conftest import Clock

from .conftest import add_dog, at, book, recording, register, snapshot

STAFF = Actor.staff("staff-1")

DAY = {"roster day": 1, "capacity day": 1}
BOARD3 = {"roster day": 4, "capacity day": 3}
BOARD30 = {"roster day": 31, "capacity day": 30}


def one_transaction(app: Dogcare, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Counter[str], Any]:
    """Call ``fn``; return the actions of the one TransactWriteItems it sent, and its result."""
    with recording(app) as rec:
        result = fn(*args, **kwargs)
    assert len(rec.transactions) == 1, rec.calls
    return Counter(next(iter(action)) for action in rec.transactions[0]), result


def declared(name: str, units: Mapping[str, int] | None = None, optional: bool = True) -> Counter[str]:
    write = WRITES_BY_NAME[name]
    out: Counter[str] = Counter()
    for a in write.actions:
        out[a.action] += write._times(a, units or {}, optional)
    return +out


def confirm(app: Dogcare, booking: Booking) -> Booking:
    return app.booking_repository.transition(booking, "confirmed", occupied(booking), app.clock())


def test_owner_and_dog_writes(app: Dogcare) -> None:
    assert one_transaction(app, register, app, "sub-a")[0] == declared("register_owner")
    update = app.owners.update_profile
    assert one_transaction(app, update, Actor("sub-a"), UpdateOwner(name="B"))[0] == declared(
        "update_owner", optional=False
    )
    assert one_transaction(app, update, Actor("sub-a"), UpdateOwner(), None, "n@example.com")[0] == declared(
        "update_owner"
    )
    owner = app.owners.profile(Actor("sub-a"))
    actions, dog = one_transaction(app, add_dog, app, owner)
    assert actions == declared("add_dog")
    assert one_transaction(app, app.dogs.update, actor_of(owner), dog.id, UpdateDog(age=3))[0] == declared("update_dog")
    assert one_transaction(app, app.dogs.delete, actor_of(owner), dog.id)[0] == declared("delete_dog")


@pytest.mark.parametrize(("service", "nights", "units"), [("daycare", 0, DAY), ("boarding", 3, BOARD3)])
def test_booking_lifecycle_writes(app: Dogcare, service: str, nights: int, units: dict[str, int]) -> None:
    owner = register(app)
    dog = add_dog(app, owner)
    start = at(5, 9)
    end = start + timedelta(days=nights) if nights else at(5, 17)
    actions, booking = one_transaction(app, book, app, owner, dog, service, start, end)
    assert actions == declared("create_booking", units)
    assert one_transaction(app, confirm, app, booking)[0] == declared("confirm_booking", units)
    assert one_transaction(app, app.staff.check_in, STAFF, booking.id)[0] == declared("check_in", units)
    assert one_transaction(app, app.staff.check_out, STAFF, booking.id)[0] == declared("check_out", units)

    later = timedelta(days=40)
    pending = book(app, owner, dog, service, start + later, end + later)
    assert one_transaction(app, app.bookings.cancel, actor_of(owner), pending.id)[0] == declared(
        "cancel_booking", units
    )
    confirmed = confirm(app, book(app, owner, dog, service, start + 2 * later, end + 2 * later))
    assert one_transaction(app, app.bookings.cancel, actor_of(owner), confirmed.id)[0] == declared(
        "cancel_booking", units, optional=False
    )


def test_the_longest_stay(app: Dogcare) -> None:
    owner = register(app)
    dog = add_dog(app, owner)
    start = at(5, 9)
    actions, booking = one_transaction(app, book, app, owner, dog, "boarding", start, start + timedelta(days=30))
    assert actions == declared("create_booking", BOARD30)
    assert sum(actions.values()) == 64
    assert one_transaction(app, app.bookings.cancel, actor_of(owner), booking.id)[0] == declared(
        "cancel_booking", BOARD30
    )


def test_reschedule_and_instruction_writes(app: Dogcare) -> None:
    owner = register(app)
    dog = add_dog(app, owner)
    daycare = book(app, owner, dog, "daycare", at(5, 9), at(5, 12))
    boarding = book(app, owner, dog, "boarding", at(10, 9), at(13, 9))
    cases = {case: units for case, units, _ in WRITES_BY_NAME["reschedule_booking"].examples}

    def move(booking: Booking, start: datetime, end: datetime) -> Counter[str]:
        command = UpdateBooking(start_time=start, end_time=end)
        return one_transaction(app, app.bookings.update, actor_of(owner), booking.id, command)[0]

    expected = declared("reschedule_booking", cases["daycare moved within its day"])
    assert move(daycare, at(5, 13), at(5, 15)) == expected
    expected = declared("reschedule_booking", cases["daycare moved to another day"])
    assert move(daycare, at(6, 13), at(6, 15)) == expected
    expected = declared("reschedule_booking", cases["3-night boarding one day later"])
    assert move(boarding, at(11, 9), at(14, 9)) == expected
    edit = UpdateBooking(special_instructions="x")
    assert one_transaction(app, app.bookings.update, actor_of(owner), daycare.id, edit)[0] == declared(
        "update_instructions"
    )


def test_payment_writes(app: Dogcare, clock: Clock) -> None:
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
    actions, reserved = one_transaction(app, repo.reserve, payment, booking)
    assert actions == declared("reserve_payment", optional=False)  # the hold is not extended

    def event() -> None:
        tx = Tx(app.store)
        repo.add_event_marker(tx, "evt_1", "payment_intent.succeeded", "applied", clock())
        repo.add_payment_update(tx, reserved, reserved)
        repo.commit_event(tx)

    assert one_transaction(app, event)[0] == declared("apply_provider_event")


def test_documented_item_sizes_cover_realistic_items(app: Dogcare, clock: Clock) -> None:
    owner = register_owner(
        app,
        "auth0|5f7c1a2b3c4d5e6f7a8b9c0d",
        name="Ana María García-López",
        phone="+1 (555) 010-0000",
        address=AddressInput(street="1234 North Elm Street, Apt 56", city="Springfield", state="IL", zip="62701"),
        email="ana.maria.garcia.lopez@example.com",
    )
    dog = app.dogs.add(
        actor_of(owner),
        NewDog(
            name="Rex",
            breed="Nova Scotia Duck Tolling Retriever",
            age=4,
            size="large",
            vaccinations=[Vacc(name=n, expires_on=date(2031, 1, 15)) for n in ("rabies", "dhpp", "bordetella")],
            special_needs=["no chicken", "insulin at 8am"],
            emergency_contact="Luis García +1 555 010 0001",
        ),
    )
    for d in (5, 6, 7):  # three active bookings on the dog's schedule
        book(
            app,
            owner,
            dog,
            "daycare",
            at(d, 9),
            at(d, 17),
            special_instructions="Half a cup of kibble at noon.",
        )
    app.staff.set_capacity(STAFF, "daycare", 25)
    booking = book(
        app,
        owner,
        dog,
        "boarding",
        at(10, 9),
        at(12, 10),
        special_instructions="Half a cup of kibble twice a day; a walk after each meal; no dog park please.",
    )
    payment = Payment(
        id="payment-c3d1e2f3-a4b5-4c6d-8e7f-9a0b1c2d3e4f",
        owner_id=owner.id,
        booking_id=booking.id,
        amount=booking.price,
        status="requires_payment_method",
        provider="stripe",
        provider_reference="pi_3PqRsT2eZvKYlo2C0a1b2c3d",
        amount_refunded=0,
        created_at=clock(),
        updated_at=clock(),
        version=0,
        failure_reason=None,
    )
    app.payment_repository.reserve(payment, booking)
    tx = Tx(app.store)
    app.payment_repository.add_event_marker(
        tx, "evt_1PqRsT2eZvKYlo2C0a1b2c3d", "payment_intent.succeeded", "applied", clock()
    )
    tx.commit()

    largest: dict[str, int] = {}
    for items in snapshot(app).values():
        for item in items:
            # Every item carries its discriminator and schema version, counters included.
            assert "schema_version" in item, item
            entity = item["entity_type"]["S"]
            largest[entity] = max(largest.get(entity, 0), item_size(item))
    assert set(largest) == set(ITEM_BYTES)
    for entity, size in largest.items():
        assert size <= ITEM_BYTES[entity], f"{entity} items are {size} bytes, documented as {ITEM_BYTES[entity]}"
        assert size >= ITEM_BYTES[entity] * 0.5, f"{entity} items are {size} bytes; the documented size is stale"
