"""``dogcare reconcile`` (the library side) on moto, in both layouts: healthy data has no drift;
drift of every kind, injected with raw writes, is found with its expected and actual values
and repaired; a change made by a request between the check and the repair is not overwritten."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from dogcare.commands import UpdateBooking
from dogcare.domain.actor import Actor
from dogcare.domain.lifecycle import occupied
from dogcare.domain.model import Booking, Owner
from dogcare.domain.skeleton import email_key
from dogcare.facade import Dogcare
from dogcare.maintenance.migrate import migrate
from dogcare.maintenance.reconcile import Drift, Report, check, reconcile, repair
from dogcare.storage import keys
from dogcare.testing.factories import actor_of
from tests.conftest import Clock

from .conftest import add_dog, at, book, delete_raw, operator_tools, put_raw, raw_item, register

STAFF = Actor.staff("staff-1")

BOOKINGS = "bookings"


def run(app: Dogcare, **kwargs: Any) -> Report:
    with operator_tools(app):
        return reconcile(app, **kwargs)


def by_kind(report: Report) -> dict[str, list[Drift]]:
    out: dict[str, list[Drift]] = {}
    for d in report.drift:
        out.setdefault(d.kind, []).append(d)
    return out


def confirm(app: Dogcare, booking: Booking) -> Booking:
    current = app.booking_repository.get(booking.id)
    return app.booking_repository.transition(current, "confirmed", occupied(current), app.clock())


@pytest.fixture
def world(app: Dogcare, clock: Clock) -> dict[str, Any]:
    """A bit of everything: pending, confirmed, checked-in, completed, cancelled, rescheduled."""
    ana, ben = register(app, "sub-a"), register(app, "sub-b")
    rex, kiwi, otto = add_dog(app, ana, "Rex"), add_dog(app, ana, "Kiwi"), add_dog(app, ben, "Otto")
    pending = book(app, ana, rex, "daycare", at(5, 9), at(5, 17))
    stay = book(app, ana, kiwi, "boarding", at(6, 9), at(9, 11))
    moved = book(app, ben, otto, "daycare", at(6, 9), at(6, 12))
    moved = app.bookings.update(actor_of(ben), moved.id, UpdateBooking(start_time=at(7, 9), end_time=at(7, 12)))
    gone = book(app, ben, otto, "parking", at(8, 9), at(8, 11))
    app.bookings.cancel(actor_of(ben), gone.id)
    done = book(app, ana, rex, "daycare", at(4, 9), at(4, 12))
    confirm(app, done)
    confirm(app, stay)
    clock.advance(hours=2)  # 10:00 on the 4th: Rex is in daycare
    app.staff.check_in(STAFF, done.id)
    clock.advance(hours=3)
    app.staff.check_out(STAFF, done.id)
    return {"ana": ana, "ben": ben, "pending": pending, "stay": stay, "moved": moved, "gone": gone, "done": done}


def test_healthy_data_has_no_drift(app: Dogcare, world: dict[str, Any]) -> None:
    report = run(app)
    assert report.drift == []
    assert set(report.checked) == {"schema", "capacity", "pending", "schedule", "email_guard", "roster"}
    assert report.checked["roster"] == 1 + 4 + 1 + 1  # pending, 4 days of the stay, moved, done
    assert run(app, fix=True).fixed == []


def test_every_kind_of_drift_is_found_and_fixed(app: Dogcare, world: dict[str, Any]) -> None:
    ana: Owner = world["ana"]
    pending: Booking = world["pending"]
    stay: Booking = world["stay"]
    gone: Booking = world["gone"]
    fifth = keys.capacity_pk("daycare", date(2030, 3, 5))
    # capacity: a counter one too high (a lost release), and one missing (a lost increment)
    put_raw(app, BOOKINGS, {**raw_item(app, BOOKINGS, fifth, keys.COUNTER_SK), "used": {"N": "3"}})
    delete_raw(app, BOOKINGS, keys.capacity_pk("boarding", date(2030, 3, 7)), keys.COUNTER_SK)
    # pending: Ana's counter says none
    pend = raw_item(app, BOOKINGS, keys.owner_pk(ana.id), keys.PENDING_SK)
    put_raw(app, BOOKINGS, {**pend, "used": {"N": "0"}})
    # schedule: Rex's pending stay missing from his schedule, a cancelled one still in Otto's
    rex = raw_item(app, "dogs", keys.dog_pk(pending.dog_id), keys.SCHEDULE_SK)
    put_raw(app, "dogs", {**rex, "intervals": {"M": {}}})
    otto = raw_item(app, "dogs", keys.dog_pk(gone.dog_id), keys.SCHEDULE_SK)
    intervals = {**otto["intervals"]["M"], gone.id: {"S": "2030-03-08T09:00:00Z/2030-03-08T11:00:00Z"}}
    put_raw(app, "dogs", {**otto, "intervals": {"M": intervals}})
    # email guards: Ana's missing, an orphan left by a failed change of email
    delete_raw(app, "owners", keys.email_pk(email_key(ana.email)), keys.EMAIL_SK)
    orphan = {"pk": {"S": keys.email_pk(email_key("old@example.com"))}, "sk": {"S": keys.EMAIL_SK}}
    put_raw(app, "owners", {**orphan, "owner_id": {"S": ana.id}, "entity_type": {"S": "email_guard"}})
    # roster: one day of the stay missing, the cancelled booking's day still there, a wrong status
    stay_day = keys.booking_day_sk(date(2030, 3, 8))
    delete_raw(app, BOOKINGS, keys.booking_pk(stay.id), stay_day)
    stale = raw_item(app, BOOKINGS, keys.booking_pk(pending.id), keys.booking_day_sk(date(2030, 3, 5)))
    gone_day = keys.booking_day_sk(date(2030, 3, 8))
    put_raw(app, BOOKINGS, {**stale, "pk": {"S": keys.booking_pk(gone.id)}, "sk": {"S": gone_day}})
    put_raw(app, BOOKINGS, {**stale, "status": {"S": "confirmed"}})
    # schema: a booking in the old shape
    old = raw_item(app, BOOKINGS, keys.booking_pk(world["moved"].id), keys.PROFILE)
    put_raw(app, BOOKINGS, {**old, "schema_version": {"N": "1"}})

    report = run(app)
    found = {(d.kind, d.key): (d.expected, d.actual) for d in report.drift}
    assert found[("capacity", f"{fifth} #COUNTER")] == (1, 3)
    assert found[("capacity", f"{keys.capacity_pk('boarding', date(2030, 3, 7))} #COUNTER")] == (1, 0)
    assert found[("pending", f"{keys.owner_pk(ana.id)} {keys.PENDING_SK}")] == (1, 0)
    rex_key = ("schedule", f"{keys.dog_pk(pending.dog_id)} {keys.SCHEDULE_SK}")
    assert found[rex_key] == ({pending.id: "2030-03-05T09:00:00Z/2030-03-05T17:00:00Z"}, {})
    otto_expected, otto_actual = found[("schedule", f"{keys.dog_pk(gone.dog_id)} {keys.SCHEDULE_SK}")]
    assert gone.id in otto_actual and gone.id not in otto_expected
    assert found[("email_guard", f"{keys.email_pk(email_key(ana.email))} {keys.EMAIL_SK}")] == (ana.id, None)
    assert found[("email_guard", f"{keys.email_pk(email_key('old@example.com'))} {keys.EMAIL_SK}")] == (None, ana.id)
    missing_day = found[("roster", f"{keys.booking_pk(stay.id)} {stay_day}")]
    assert missing_day[1] is None and missing_day[0]["status"] == "confirmed"
    assert found[("roster", f"{keys.booking_pk(gone.id)} {gone_day}")][0] is None
    wrong = found[("roster", f"{keys.booking_pk(pending.id)} {keys.booking_day_sk(date(2030, 3, 5))}")]
    assert (wrong[0]["status"], wrong[1]["status"]) == ("pending", "confirmed")
    assert found[("schema", f"{keys.booking_pk(world['moved'].id)} {keys.PROFILE}")] == (2, 1)
    assert len(report.drift) == 11

    fixed = run(app, fix=True)
    assert len(fixed.fixed) == 10
    assert [(d.kind, why) for d, why in fixed.skipped] == [
        ("schema", "the booking is at an old schema version: run dogcare migrate")
    ]
    assert [d.kind for d in run(app).drift] == ["schema"]
    with operator_tools(app):
        migrate(app)
    assert run(app).drift == []
    # The repaired guards and counters work: the next booking and cancel go through.
    app.bookings.cancel(actor_of(ana), pending.id)
    assert app.booking_repository.capacity_used("daycare", date(2030, 3, 5)) == 0
    assert run(app).drift == []


def test_a_change_between_check_and_repair_is_not_overwritten(app: Dogcare, world: dict[str, Any]) -> None:
    fifth = keys.capacity_pk("daycare", date(2030, 3, 5))
    counter = raw_item(app, BOOKINGS, fifth, keys.COUNTER_SK)
    put_raw(app, BOOKINGS, {**counter, "used": {"N": "3"}})
    rex = raw_item(app, "dogs", keys.dog_pk(world["pending"].dog_id), keys.SCHEDULE_SK)
    put_raw(app, "dogs", {**rex, "intervals": {"M": {}}})
    with operator_tools(app):
        report = check(app)
    assert {d.kind for d in report.drift} == {"capacity", "schedule"}
    # Meanwhile a request moves the counter and the dog's schedule (a booking of the same day).
    put_raw(app, BOOKINGS, {**counter, "used": {"N": "4"}})
    otto = register(app, "sub-c")
    book(app, otto, add_dog(app, otto, "Milo"), "daycare", at(5, 9), at(5, 12))
    app.bookings.update(actor_of(world["ana"].id), world["pending"].id, UpdateBooking(special_instructions="walk"))
    put_raw(app, "dogs", {**rex, "intervals": {"M": {}}, "rev": {"N": str(int(rex["rev"]["N"]) + 5)}})
    with operator_tools(app):
        fixed, skipped = repair(app, report.drift)
    assert fixed == []
    assert sorted(d.kind for d, _ in skipped) == ["capacity", "schedule"]
    assert all("not overwritten" in why for _, why in skipped)
    assert raw_item(app, BOOKINGS, fifth, keys.COUNTER_SK)["used"] == {"N": "5"}  # the request's value stands
    # A fresh run sees the current values and repairs them.
    assert {d.kind for d in run(app, fix=True).fixed} == {"capacity", "schedule"}
    assert run(app).drift == []


def test_drift_that_changes_between_the_two_checks_is_left_alone(app: Dogcare, world: dict[str, Any]) -> None:
    fifth = keys.capacity_pk("daycare", date(2030, 3, 5))
    counter = raw_item(app, BOOKINGS, fifth, keys.COUNTER_SK)
    put_raw(app, BOOKINGS, {**counter, "used": {"N": "3"}})
    scans = 0

    def between_checks(model: Any, **_: Any) -> None:
        nonlocal scans
        if model.name == "Scan":
            scans += 1
            if scans == len(app.store.layout.tables()) + 1:  # the second check starts
                put_raw(app, BOOKINGS, {**counter, "used": {"N": "2"}})

    undo = app.store.on_request(between_checks)
    try:
        report = run(app, fix=True)
    finally:
        undo()
    assert report.fixed == []
    assert [(d.kind, d.actual) for d, _ in report.skipped] == [("capacity", 3)]
    assert raw_item(app, BOOKINGS, fifth, keys.COUNTER_SK)["used"] == {"N": "2"}
