"""A booking records what it took, and every later change releases exactly that.

The facility's zone is changed between booking and each later change (cancel, reschedule,
payment confirmation, check-in, check-out): the days the booking took under the old zone
are the ones released or updated, no other day's counter moves, and a paid booking confirms.
Both table layouts, on moto.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from dogcare.commands import NewPayment, UpdateBooking
from dogcare.domain.actor import PAYMENT_PROVIDER, Actor
from dogcare.domain.lifecycle import occupied
from dogcare.domain.model import Booking, Dog, Owner
from dogcare.facade import Dogcare
from dogcare.storage import keys
from dogcare.storage.entities import BOOKING_SCHEMA_VERSION
from dogcare.testing.factories import actor_of
from dogcare.testing.payment_gateway import InMemoryPaymentGateway
from tests.conftest import Clock

from .conftest import add_dog, at, book, items_by_key, keys_with_prefix, register

# 15:00-18:00 UTC on the 5th is 00:00-03:00 on the 6th in Tokyo: a zone change moves the day.
TOKYO = "Asia/Tokyo"
FIFTH, SIXTH, SEVENTH = date(2030, 3, 5), date(2030, 3, 6), date(2030, 3, 7)

STAFF = Actor.staff("staff-1")


def counter(app: Dogcare, day: date, service: str = "daycare") -> int:
    return app.booking_repository.capacity_used(service, day)


def roster_days(app: Dogcare, booking: Booking) -> dict[str, str]:
    """The booking's roster items: day -> status."""
    items = items_by_key(app)
    return {
        sk.removeprefix("DAY#"): items[(pk, sk)]["status"]["S"]
        for pk, sk in keys_with_prefix(app, keys.booking_pk(booking.id))
        if sk.startswith("DAY#")
    }


def in_zone(app: Dogcare, zone: str, gw: InMemoryPaymentGateway | None = None) -> Dogcare:
    """The same data, served by a deployment whose facility zone is ``zone``."""
    return Dogcare(app.settings.with_changes(timezone=zone), app.store, app.clock, payment_gateway=gw)


@pytest.fixture
def gw() -> InMemoryPaymentGateway:
    return InMemoryPaymentGateway()


@pytest.fixture
def people(app: Dogcare) -> tuple[Owner, Dog, Owner, Dog]:
    ana = register(app, "sub-a")
    ben = register(app, "sub-b")
    return ana, add_dog(app, ana, "Rex"), ben, add_dog(app, ben, "Otto")


@pytest.fixture
def late(app: Dogcare, people: tuple[Owner, Dog, Owner, Dog]) -> Booking:
    """Ana's daycare late on the 5th (UTC), booked while the zone was UTC."""
    ana, rex, _, _ = people
    return book(app, ana, rex, "daycare", at(5, 15), at(5, 18))


@pytest.fixture
def neighbour(app: Dogcare, people: tuple[Owner, Dog, Owner, Dog]) -> Booking:
    """Ben's daycare on the 6th: the day a recomputed plan of ``late`` would wrongly release."""
    _, _, ben, otto = people
    return book(app, ben, otto, "daycare", at(6, 9), at(6, 12))


def test_a_booking_records_its_plan_and_zone(app: Dogcare, late: Booking) -> None:
    item = items_by_key(app)[(keys.booking_pk(late.id), keys.PROFILE)]
    assert int(item["schema_version"]["N"]) == BOOKING_SCHEMA_VERSION
    assert [v["S"] for v in item["capacity_days"]["L"]] == ["2030-03-05"]
    assert [v["S"] for v in item["roster_days"]["L"]] == ["2030-03-05"]
    assert item["schedule_interval"]["S"] == "2030-03-05T15:00:00Z/2030-03-05T18:00:00Z"
    assert item["zone"]["S"] == "UTC"
    schedule = items_by_key(app)[(keys.dog_pk(late.dog_id), keys.SCHEDULE_SK)]
    assert schedule["intervals"]["M"][late.id]["S"] == item["schedule_interval"]["S"]
    stored = app.bookings.get(actor_of(late.owner_id), late.id)
    assert stored.plan == late.plan
    assert occupied(stored).capacity_days == (FIFTH,)


def test_cancel_after_a_zone_change_releases_the_days_the_booking_took(
    app: Dogcare, late: Booking, neighbour: Booking
) -> None:
    assert (counter(app, FIFTH), counter(app, SIXTH)) == (1, 1)
    tokyo = in_zone(app, TOKYO)
    assert tokyo.bookings._plan("daycare", late.start_time, late.end_time).capacity_days == (SIXTH,)
    tokyo.bookings.cancel(actor_of(late.owner_id), late.id)
    assert counter(app, FIFTH) == 0  # the cancelled booking's day is free again
    assert counter(app, SIXTH) == 1  # Ben's day is untouched: it cannot be overbooked
    assert roster_days(app, late) == {}
    assert roster_days(app, neighbour) == {"2030-03-06": "pending"}
    assert late.id not in app.dog_repository.schedule(late.dog_id).intervals
    assert app.booking_repository.pending_count(late.owner_id) == 0


def test_reschedule_after_a_zone_change_moves_exactly_what_was_recorded(
    app: Dogcare, late: Booking, neighbour: Booking
) -> None:
    tokyo = in_zone(app, TOKYO)
    # 01:00-03:00 UTC on the 7th is 10:00-12:00 in Tokyo: within the new zone's opening hours.
    moved = tokyo.bookings.update(
        actor_of(late.owner_id), late.id, UpdateBooking(start_time=at(7, 1), end_time=at(7, 3))
    )
    assert (counter(app, FIFTH), counter(app, SIXTH), counter(app, SEVENTH)) == (0, 1, 1)
    assert roster_days(app, late) == {"2030-03-07": "pending"}
    assert moved.plan is not None and moved.plan.timezone == TOKYO  # the new times, under the new zone
    item = items_by_key(app)[(keys.booking_pk(late.id), keys.PROFILE)]
    assert (item["zone"]["S"], [v["S"] for v in item["capacity_days"]["L"]]) == (TOKYO, ["2030-03-07"])
    assert app.dog_repository.schedule(late.dog_id).intervals[late.id] == (at(7, 1), at(7, 3))
    # Back in UTC, cancelling the moved booking releases the 7th (recorded under Tokyo).
    app.bookings.cancel(actor_of(late.owner_id), late.id)
    assert (counter(app, FIFTH), counter(app, SIXTH), counter(app, SEVENTH)) == (0, 1, 0)


def _pay(app: Dogcare, gw: InMemoryPaymentGateway, booking: Booking) -> Any:
    payment = app.payments.create(actor_of(booking.owner_id), NewPayment(booking_id=booking.id))
    gw.succeed(str(payment.provider_reference))
    return payment


def test_a_paid_booking_confirms_after_a_zone_change(
    app: Dogcare, gw: InMemoryPaymentGateway, late: Booking, neighbour: Booking
) -> None:
    utc = in_zone(app, "UTC", gw)
    _pay(utc, gw, late)
    tokyo = in_zone(app, TOKYO, gw)
    body, signature = gw.signed_event(gw.events_of("payment_intent.succeeded")[-1])
    tokyo.payments.handle_webhook(PAYMENT_PROVIDER, body, signature)
    confirmed = app.booking_repository.get(late.id)
    assert confirmed.status == "confirmed"
    assert roster_days(app, late) == {"2030-03-05": "confirmed"}
    assert roster_days(app, neighbour) == {"2030-03-06": "pending"}
    assert (counter(app, FIFTH), counter(app, SIXTH)) == (1, 1)
    assert app.booking_repository.pending_count(late.owner_id) == 0

    # Staff check the dog in and out under the new zone: the recorded day's roster item follows.
    tokyo.staff.check_in(STAFF, late.id)
    assert roster_days(app, late) == {"2030-03-05": "checked_in"}
    tokyo.staff.check_out(STAFF, late.id)
    assert roster_days(app, late) == {"2030-03-05": "completed"}
    assert (counter(app, FIFTH), counter(app, SIXTH)) == (1, 1)  # a completed stay used its place
    assert late.id not in app.dog_repository.schedule(late.dog_id).intervals


def test_a_boarding_stay_keeps_its_nights_across_a_zone_change(app: Dogcare, clock: Clock) -> None:
    ana = register(app, "sub-c")
    rex = add_dog(app, ana, "Kiwi")
    # 16:00 UTC on the 5th to 16:00 UTC on the 8th: nights of the 5th, 6th, 7th in UTC; in
    # Tokyo the same times are 01:00 on the 6th to 01:00 on the 9th.
    stay = book(app, ana, rex, "boarding", at(5, 16), at(8, 16))
    nights = [date(2030, 3, d) for d in (5, 6, 7)]
    assert [counter(app, d, "boarding") for d in (*nights, date(2030, 3, 8))] == [1, 1, 1, 0]
    in_zone(app, TOKYO).bookings.cancel(actor_of(ana), stay.id)
    assert [counter(app, d, "boarding") for d in (*nights, date(2030, 3, 8))] == [0, 0, 0, 0]
    assert roster_days(app, stay) == {}
