"""The payment repository against moto, in both layouts: the booking link is atomic and versioned."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dogcare.commands import UpdateBooking
from dogcare.domain.model import Booking, Payment
from dogcare.errors import AlreadyLinked, EventAlreadyProcessed, VersionMismatch
from dogcare.facade import Dogcare
from dogcare.storage import keys
from dogcare.storage.transactions import Tx
from dogcare.testing.factories import actor_of
from tests.conftest import Clock

from .conftest import add_dog, book, items_by_key, nothing_written, register


def new_payment(booking: Booking, clock: Clock, payment_id: str = "payment-1") -> Payment:
    return Payment(
        id=payment_id,
        owner_id=booking.owner_id,
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


@pytest.fixture
def booking(app: Dogcare) -> Booking:
    owner = register(app)
    return book(app, owner, add_dog(app, owner))


def test_reserve_links_the_booking_and_bumps_its_version(app: Dogcare, booking: Booking, clock: Clock) -> None:
    v2 = app.bookings.update(actor_of(booking.owner_id), booking.id, UpdateBooking(special_instructions="v2"))
    payment = app.payment_repository.reserve(new_payment(booking, clock), v2)
    assert payment.version == 1
    stored = app.bookings.get(actor_of(booking.owner_id), booking.id)
    assert stored.payment_id == payment.id
    assert stored.version == 3  # the link is a change of the booking: never a version rollback
    with nothing_written(app), pytest.raises(VersionMismatch):
        app.bookings.update(actor_of(booking.owner_id), booking.id, UpdateBooking(special_instructions="stale"), 2)
    item = items_by_key(app)[(keys.payment_pk(payment.id), keys.PROFILE)]
    assert (item["gsi1pk"]["S"], item["gsi1sk"]["S"]) == (
        keys.owner_pk(booking.owner_id),
        keys.owner_payment_sk("2030-03-04T08:00:00Z", payment.id),
    )
    assert app.payment_repository.get_for_owner(booking.owner_id, payment.id) == payment
    assert app.payment_repository.list_for_owner(booking.owner_id, 10, None).items == [payment]


def test_a_second_payment_for_the_booking_writes_nothing(app: Dogcare, booking: Booking, clock: Clock) -> None:
    app.payment_repository.reserve(new_payment(booking, clock), booking)
    with nothing_written(app), pytest.raises(AlreadyLinked):
        app.payment_repository.reserve(new_payment(booking, clock, "payment-2"), booking)


def test_a_provider_event_is_applied_once(app: Dogcare, booking: Booking, clock: Clock) -> None:
    repo = app.payment_repository
    payment = repo.reserve(new_payment(booking, clock), booking)

    def apply(status: str) -> None:
        tx = Tx(app.store)
        current = repo.get(payment.id)
        repo.add_payment_update(tx, current, replace(current, status=status))
        repo.add_event_marker(tx, "evt_1", "payment_intent.succeeded", "applied", clock())
        repo.commit_event(tx)

    assert not repo.event_seen("evt_1")
    apply("succeeded")
    assert repo.event_seen("evt_1")
    with nothing_written(app), pytest.raises(EventAlreadyProcessed):
        apply("failed")
    assert repo.get(payment.id).status == "succeeded"
    marker = items_by_key(app)[(keys.provider_event_pk("evt_1"), keys.PROCESSED_SK)]
    assert int(marker["expiration"]["N"]) > int(clock().timestamp())
