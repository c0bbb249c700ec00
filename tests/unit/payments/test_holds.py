"""Unpaid holds expire, and money is only ever taken for the booking's price.

On moto (both table layouts) with the in-memory payment gateway and a clock the tests move:
the sweep releases exactly what a hold took and nothing else, is idempotent and bounded,
never touches a confirmed booking, and races with payments end consistent (confirmed with
its places, or expired and refunded). A payment whose amount is not the booking's price never
confirms it: the booking stays pending and the money goes back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from dogcare.commands import UpdateBooking
from dogcare.domain.actor import HOLD_SWEEPER, Actor
from dogcare.domain.model import Booking, Payment
from dogcare.errors import BookingNotPayable, CapacityFull, InvalidTransition, OverlappingBooking
from dogcare.facade import Dogcare
from dogcare.payments.gateway import EVENT_INTENT_SUCCEEDED
from dogcare.services.holds import HoldSweeper
from dogcare.services.payments import LATE_REFUNDED, PRICE_MISMATCH
from dogcare.settings import Settings
from dogcare.storage import keys
from dogcare.storage.store import Store
from dogcare.storage.tables import create_tables
from dogcare.testing import factories
from dogcare.testing.factories import actor_of
from dogcare.testing.payment_gateway import InMemoryPaymentGateway
from tests.conftest import Clock, make_settings

from .support import Customer, at, book, customer, empty_tables, snapshot

STAFF = Actor.staff("staff-1")

PRICE = 4500  # a large dog's day of daycare
HOLD = timedelta(minutes=30)
DAY = at(5, 9).date()


@pytest.fixture(scope="module", params=["single", "four"])
def tables(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Settings, Store]]:
    from moto import mock_aws

    with mock_aws():
        settings = make_settings(str(request.param), tmp_path_factory.mktemp("holds"))
        store = Store(settings)
        create_tables(store)
        yield settings, store


@pytest.fixture
def gw() -> InMemoryPaymentGateway:
    return InMemoryPaymentGateway()


@pytest.fixture
def app(tables: tuple[Settings, Store], clock: Clock, gw: InMemoryPaymentGateway) -> Iterator[Dogcare]:
    settings, store = tables
    yield Dogcare(settings, store, clock, payment_gateway=gw)
    empty_tables(store)


@pytest.fixture
def sweeper(app: Dogcare) -> HoldSweeper:
    return app.holds


@pytest.fixture
def ana(app: Dogcare) -> Customer:
    return customer(app, "Ana")


@pytest.fixture
def bo(app: Dogcare) -> Customer:
    return customer(app, "Bo")


def pay(app: Dogcare, who: Customer, booking: Booking) -> Payment:
    return factories.start_payment(app, who.owner, booking)


def succeed(app: Dogcare, gw: InMemoryPaymentGateway, payment: Payment) -> str:
    """The owner pays; the ``payment_intent.succeeded`` webhook is delivered."""
    gw.succeed(str(payment.provider_reference))
    return factories.deliver(app, gw, factories.last_event(gw, EVENT_INTENT_SUCCEEDED))


def held(app: Dogcare, day: Any = DAY) -> tuple[int, list[str]]:
    """Places used on ``day`` and the bookings on its roster."""
    roster = app.staff.roster(STAFF, day, None, 100, None).items
    return app.booking_repository.capacity_used("daycare", day), sorted(r.booking_id for r in roster)


def hold_keys(app: Dogcare, booking_id: str) -> tuple[str | None, str | None]:
    item = app.store.models.Booking.get(keys.booking_pk(booking_id), keys.PROFILE, consistent_read=True)
    return item.gsi3pk, item.gsi3sk


def test_a_new_booking_holds_its_places_until_its_deadline(
    app: Dogcare, ana: Customer, clock: Clock, sweeper: HoldSweeper
) -> None:
    booking = book(app, ana)
    assert booking.hold_expires_at == clock.now + HOLD
    assert app.bookings.get(actor_of(ana), booking.id).hold_expires_at == clock.now + HOLD
    [entry] = app.staff.roster(STAFF, DAY, None, 10, None).items
    assert (entry.status, entry.hold_expires_at) == ("pending", clock.now + HOLD)
    # In the sparse hold index while pending, by deadline.
    assert hold_keys(app, booking.id) == (
        keys.holds_pk(keys.hold_shard(booking.id)),
        keys.holds_sk("2030-03-04T08:30:00Z", booking.id),
    )
    clock.advance(minutes=29, seconds=59)
    assert sweeper.sweep(HOLD_SWEEPER).expired == []
    assert app.bookings.get(actor_of(ana), booking.id).status == "pending"


def test_expiry_releases_exactly_the_hold_s_places(
    app: Dogcare, ana: Customer, bo: Customer, clock: Clock, sweeper: HoldSweeper
) -> None:
    app.staff.set_capacity(STAFF, "daycare", 1)
    booking = book(app, ana)
    other_day = book(app, ana, at(6, 9), at(6, 17))  # not expired: made later
    with pytest.raises(CapacityFull):
        book(app, bo)
    clock.advance(minutes=10)
    later = book(app, bo, at(7, 9), at(7, 17))
    clock.advance(minutes=20)  # the first two are due, Bo's is not
    before = app.booking_repository.pending_count(ana.id), app.booking_repository.pending_count(bo.id)
    assert before == (2, 1)

    result = sweeper.sweep(HOLD_SWEEPER)
    assert sorted(result.expired) == sorted([booking.id, other_day.id])
    expired = app.bookings.get(actor_of(ana), booking.id)
    assert (expired.status, expired.hold_expires_at) == ("expired", None)
    assert hold_keys(app, booking.id) == (None, None)  # out of the hold index
    assert held(app) == (0, [])
    assert held(app, at(6, 9).date()) == (0, [])
    assert held(app, at(7, 9).date()) == (1, [later.id])  # Bo's hold is untouched
    assert app.booking_repository.pending_count(ana.id) == 0
    assert app.booking_repository.pending_count(bo.id) == 1

    # The place is free for someone else, and Ana's dog can be booked at that time again.
    again = book(app, bo)
    with pytest.raises(CapacityFull):
        book(app, ana)
    app.bookings.cancel(actor_of(bo), again.id)
    assert book(app, ana).status == "pending"
    # An expired booking cannot be cancelled or paid (its places are gone already).
    with pytest.raises(InvalidTransition):
        app.bookings.cancel(actor_of(ana), booking.id)
    with pytest.raises(BookingNotPayable):
        pay(app, ana, booking)


def test_the_sweep_is_idempotent_and_bounded(app: Dogcare, clock: Clock, sweeper: HoldSweeper) -> None:
    owners = [customer(app, f"O{i}") for i in range(5)]
    bookings = [book(app, o) for o in owners]
    clock.advance(minutes=31)
    done: list[str] = []
    for expected in (2, 2, 1):
        result = sweeper.sweep(HOLD_SWEEPER, batch=2)
        assert len(result.expired) == expected
        done += result.expired
    assert result.more is False
    assert sorted(done) == sorted(b.id for b in bookings)
    after = snapshot(app)
    again = sweeper.sweep(HOLD_SWEEPER)
    assert (again.expired, again.skipped, again.more) == ([], 0, False)
    assert snapshot(app) == after  # nothing written by a sweep with nothing to do
    assert held(app) == (0, [])


def test_a_stale_index_entry_is_re_read_before_expiring(
    app: Dogcare, ana: Customer, clock: Clock, sweeper: HoldSweeper, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GSIs are eventually consistent: the sweeper trusts only the base table."""
    booking = book(app, ana)
    clock.advance(minutes=31)
    stale = app.booking_repository.expired_holds(keys.hold_shard(booking.id), clock.now, 10)
    app.bookings.cancel(actor_of(ana), booking.id)
    monkeypatch.setattr(
        app.booking_repository,
        "expired_holds",
        lambda shard, until, limit: stale if shard == keys.hold_shard(booking.id) else [],
    )
    result = sweeper.sweep(HOLD_SWEEPER)
    assert (result.expired, result.skipped) == ([], 1)
    assert app.bookings.get(actor_of(ana), booking.id).status == "cancelled"


def test_a_confirmed_booking_never_expires(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer, clock: Clock, sweeper: HoldSweeper
) -> None:
    booking = book(app, ana)
    assert succeed(app, gw, pay(app, ana, booking)) == "applied"
    confirmed = app.bookings.get(actor_of(ana), booking.id)
    assert (confirmed.status, confirmed.hold_expires_at) == ("confirmed", None)
    assert hold_keys(app, booking.id) == (None, None)
    [entry] = app.staff.roster(STAFF, DAY, None, 10, None).items
    assert (entry.status, entry.hold_expires_at) == ("confirmed", None)
    clock.advance(hours=5)
    assert sweeper.sweep(HOLD_SWEEPER).expired == []
    assert app.bookings.get(actor_of(ana), booking.id).status == "confirmed"
    assert held(app) == (1, [booking.id])


def test_starting_a_payment_extends_the_hold(app: Dogcare, ana: Customer, clock: Clock, sweeper: HoldSweeper) -> None:
    booking = book(app, ana)
    clock.advance(minutes=25)
    pay(app, ana, booking)
    extended = app.bookings.get(actor_of(ana), booking.id)
    assert extended.hold_expires_at == clock.now + timedelta(minutes=15)
    [entry] = app.staff.roster(STAFF, DAY, None, 10, None).items
    assert entry.hold_expires_at == extended.hold_expires_at
    clock.advance(minutes=10)  # past the first deadline, before the extended one
    assert sweeper.sweep(HOLD_SWEEPER).expired == []
    clock.advance(minutes=6)
    assert sweeper.sweep(HOLD_SWEEPER).expired == [booking.id]


def test_paying_late_while_the_places_are_free_confirms(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer, clock: Clock, sweeper: HoldSweeper
) -> None:
    booking = book(app, ana)
    payment = pay(app, ana, booking)
    clock.advance(minutes=31)
    assert sweeper.sweep(HOLD_SWEEPER).expired == [booking.id]
    assert held(app) == (0, [])
    assert succeed(app, gw, payment) == "applied"
    confirmed = app.bookings.get(actor_of(ana), booking.id)
    assert confirmed.status == "confirmed"
    assert held(app) == (1, [booking.id])  # the places are taken again
    assert app.booking_repository.pending_count(ana.id) == 0
    assert app.payments.get(actor_of(ana), payment.id).status == "succeeded"
    assert gw.refunds_of(str(payment.provider_reference)) == []
    with pytest.raises(OverlappingBooking):  # the dog's time is taken again too
        book(app, ana)


def test_paying_late_when_the_day_is_full_refunds_in_full(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer, bo: Customer, clock: Clock, sweeper: HoldSweeper
) -> None:
    app.staff.set_capacity(STAFF, "daycare", 1)
    booking = book(app, ana)
    payment = pay(app, ana, booking)
    clock.advance(minutes=31)
    assert sweeper.sweep(HOLD_SWEEPER).expired == [booking.id]
    taken = book(app, bo)  # someone else takes the last place
    assert succeed(app, gw, payment) == LATE_REFUNDED
    assert app.bookings.get(actor_of(ana), booking.id).status == "expired"
    assert held(app) == (1, [taken.id])
    refunded = app.payments.get(actor_of(ana), payment.id)
    assert (refunded.status, refunded.amount_refunded) == ("refunded", PRICE)
    [refund] = gw.refunds_of(str(payment.provider_reference))
    assert refund.amount == PRICE


def test_a_payment_racing_the_sweep_ends_consistent(
    app: Dogcare,
    gw: InMemoryPaymentGateway,
    ana: Customer,
    clock: Clock,
    sweeper: HoldSweeper,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The webhook lands after the sweeper read the hold and before it wrote: the payment wins,
    the sweep's conditioned write fails and changes nothing."""
    booking = book(app, ana)
    payment = pay(app, ana, booking)
    clock.advance(minutes=31)
    repo = app.booking_repository
    original = repo.get

    raced: list[str] = []

    def get_then_pay(booking_id: str) -> Booking:
        read = original(booking_id)
        if booking_id == booking.id and not raced:
            raced.append("started")  # the webhook reads the booking too: only once
            raced.append(succeed(app, gw, payment))
        return read

    monkeypatch.setattr(repo, "get", get_then_pay)
    result = sweeper.sweep(HOLD_SWEEPER)
    monkeypatch.undo()
    assert raced == ["started", "applied"]
    assert (result.expired, result.skipped) == ([], 1)
    assert app.bookings.get(actor_of(ana), booking.id).status == "confirmed"
    assert held(app) == (1, [booking.id])
    assert app.booking_repository.pending_count(ana.id) == 0


def test_a_payment_started_while_the_sweep_runs_keeps_the_hold(
    app: Dogcare, ana: Customer, clock: Clock, sweeper: HoldSweeper, monkeypatch: pytest.MonkeyPatch
) -> None:
    booking = book(app, ana)
    clock.advance(minutes=31)  # due, not swept yet: paying extends it
    repo = app.booking_repository
    original = repo.get

    started: list[str] = []

    def get_then_start_paying(booking_id: str) -> Booking:
        read = original(booking_id)
        if booking_id == booking.id and not started:
            started.append("started")  # paying reads the booking too: only once
            pay(app, ana, booking)
        return read

    monkeypatch.setattr(repo, "get", get_then_start_paying)
    result = sweeper.sweep(HOLD_SWEEPER)
    monkeypatch.undo()
    assert (result.expired, result.skipped) == ([], 1)
    current = app.bookings.get(actor_of(ana), booking.id)
    assert (current.status, current.hold_expires_at) == ("pending", clock.now + timedelta(minutes=15))
    assert held(app) == (1, [booking.id])


def test_a_reschedule_landing_before_the_link_is_priced_again(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The payment read the one-night price; a reschedule to three nights lands before the link:
    the link (conditioned on the booking's version) fails, and the payment is for the new price."""
    booking = book(app, ana, at(5, 9), at(6, 17), service="boarding")
    repo = app.payment_repository
    original = repo.reserve
    moved: list[Booking] = []

    def reschedule_first(*args: Any, **kwargs: Any) -> Any:
        if not moved:
            command = UpdateBooking(start_time=at(5, 9), end_time=at(8, 17))
            moved.append(app.bookings.update(actor_of(ana), booking.id, command))
        return original(*args, **kwargs)

    monkeypatch.setattr(repo, "reserve", reschedule_first)
    payment = pay(app, ana, booking)
    assert payment.amount == moved[0].price == app.bookings.get(actor_of(ana), booking.id).price
    assert moved[0].price != booking.price
    assert gw.intents[str(payment.provider_reference)]["amount"] == moved[0].price.amount


def test_a_reschedule_after_the_link_is_refused(app: Dogcare, ana: Customer) -> None:
    booking = book(app, ana)
    pay(app, ana, booking)
    command = UpdateBooking(start_time=at(6, 9), end_time=at(6, 17))
    with pytest.raises(InvalidTransition):
        app.bookings.update(actor_of(ana), booking.id, command)


def test_money_that_is_not_the_price_never_confirms(app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer) -> None:
    """Whatever let the price change under a started payment, the webhook compares the money
    with the booking: the booking stays pending and the payment is refunded in full."""
    booking = book(app, ana)
    payment = pay(app, ana, booking)
    B = app.store.models.Booking
    item = B.get(keys.booking_pk(booking.id), keys.PROFILE, consistent_read=True)
    item.update(actions=[B.price.amount.set(PRICE * 3)])  # the booking became dearer

    assert succeed(app, gw, payment) == PRICE_MISMATCH
    current = app.bookings.get(actor_of(ana), booking.id)
    assert current.status == "pending"
    refunded = app.payments.get(actor_of(ana), payment.id)
    assert (refunded.status, refunded.amount_refunded, refunded.refund_due) == ("refunded", PRICE, PRICE)
    assert [r.amount for r in gw.refunds_of(str(payment.provider_reference))] == [PRICE]
    with pytest.raises(BookingNotPayable):
        pay(app, ana, booking)
    # Delivered again: nothing more is refunded.
    assert factories.deliver(app, gw, factories.last_event(gw, EVENT_INTENT_SUCCEEDED)) == "duplicate"
    assert [r.amount for r in gw.refunds_of(str(payment.provider_reference))] == [PRICE]


def test_paying_again_later_extends_the_hold_again(
    app: Dogcare, gw: InMemoryPaymentGateway, ana: Customer, clock: Clock, sweeper: HoldSweeper
) -> None:
    booking = book(app, ana)
    first = pay(app, ana, booking)
    gw.decline(str(first.provider_reference))
    clock.advance(minutes=28)  # the owner comes back with another card near the deadline
    again = pay(app, ana, booking)
    assert (again.id, again.provider_reference) == (first.id, first.provider_reference)
    assert app.bookings.get(actor_of(ana), booking.id).hold_expires_at == clock.now + timedelta(minutes=15)
    clock.advance(minutes=10)
    assert sweeper.sweep(HOLD_SWEEPER).expired == []
