"""Through the handlers: a zone change between booking and cancelling releases the booked day,
and a stay too large to move in one transaction is refused with a 422 saying why."""

from __future__ import annotations

from datetime import timedelta

from handlers.common.views import BookingView, RosterEntryView
from tests.integration.api.support import Api, assert_problem, day, iso

from .test_routes import ok, page


def roster(api: Api, offset: int) -> list[tuple[str, str]]:
    query = {"date": day(offset).date().isoformat()}
    entries = page(api.call("GET", "/admin/bookings", admin=True, query=query), RosterEntryView)
    return [(r["booking_id"], r["status"]) for r in entries]


def used(day_offset: int) -> int:
    from handlers.common import runtime

    return runtime.dogcare().booking_repository.capacity_used("daycare", day(day_offset).date())


def test_cancel_after_the_facility_zone_changes_releases_the_booked_day(api: Api) -> None:
    api.register("alice")
    api.register("bob")
    rex, otto = api.add_dog("alice"), api.add_dog("bob", "Otto")
    # 15:00-18:00 UTC: the same calendar day in UTC, the next day in Tokyo (UTC+9).
    late = api.book("alice", rex["id"], start=day(3, 15), end=day(3, 18))
    early = api.book("bob", otto["id"], start=day(4, 9), end=day(4, 12))
    assert (used(3), used(4)) == (1, 1)

    api.reconfigure(DOGCARE_TIMEZONE="Asia/Tokyo")  # the operator corrects the facility's zone
    cancelled = api.call("DELETE", "/bookings/{id}", sub="alice", path_params={"id": late["id"]})
    assert cancelled.status == 200, cancelled.body
    assert (used(3), used(4)) == (0, 1)
    assert roster(api, 3) == []
    assert roster(api, 4) == [(early["id"], "pending")]


def test_a_stay_too_large_to_move_is_refused_with_a_422(api: Api) -> None:
    api.register("alice")
    dog = api.add_dog("alice")
    start = day(5, 10)
    stay = api.book("alice", dog["id"], "boarding", start=start, end=start + timedelta(days=30))
    path = {"id": stay["id"]}
    later = {"start_time": iso(day(60, 10)), "end_time": iso(day(90, 10))}
    refused = api.call("PUT", "/bookings/{id}", path_params=path, body=later)
    body = assert_problem(refused, 422, "validation", field="body.start_time")
    assert "moving a stay of 30 nights" in body["detail"] and "cancel and book again" in body["detail"]
    # Nothing moved; a shift by a day fits in one transaction and goes through.
    shifted = {"start_time": iso(day(6, 10)), "end_time": iso(day(35, 10))}
    moved = ok(api.call("PUT", "/bookings/{id}", path_params=path, body=shifted), 200, BookingView, 2)
    assert moved["start_time"] == iso(day(6, 10))
