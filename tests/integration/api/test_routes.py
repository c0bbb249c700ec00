"""Every route's success through its function's ``lambda_handler``: status, body shape, ETag."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from handlers.common.views import BookingView, CapacityView, DogView, OwnerView, RosterEntryView
from tests.integration.api.events import Result
from tests.integration.api.support import Api, booking_body, day, iso, vaccinations


@pytest.fixture(scope="module", params=["single", "four"])
def layout_name(request: pytest.FixtureRequest) -> str:
    """Every route in both table layouts (module-scoped, so the tests run grouped by layout)."""
    return str(request.param)


def ok(result: Result, status: int, view: type[Any], version: int | None = None) -> dict[str, Any]:
    """A JSON success of exactly ``view``'s shape, with an ETag of ``version`` when given."""
    assert result.status == status, result.body
    assert result.content_type == "application/json"
    assert result.header("Cache-Control") == "no-store"
    assert set(result.body) == set(view.model_fields), result.body
    view.model_validate(result.body)
    if version is None:
        assert result.header("ETag") is None
    else:
        assert result.body["version"] == version
        assert result.header("ETag") == f'"{version}"'
    return dict(result.body)


def page(result: Result, view: type[Any]) -> list[dict[str, Any]]:
    assert result.status == 200, result.body
    assert result.content_type == "application/json"
    assert set(result.body) == {"items", "next_cursor"}
    for item in result.body["items"]:
        assert set(item) == set(view.model_fields)
    return list(result.body["items"])


def test_owner_routes(api: Api) -> None:
    created = api.call(
        "POST",
        "/owners/register",
        body={"name": "Alice", "phone": "+1 555 0100"},
        headers={"X-Id-Token": api.id_token("alice", "Alice@Example.com")},
    )
    owner = ok(created, 201, OwnerView, 1)
    assert owner["email"] == "Alice@Example.com"  # as the identity provider verified it
    assert owner["address"] is None

    assert ok(api.call("GET", "/owners/profile"), 200, OwnerView, 1) == owner

    address = {"street": "1 Bark St", "city": "Springfield", "state": "OR", "zip": "97477"}
    updated = api.call(
        "PUT", "/owners/profile", body={"name": "Alice B", "address": address}, headers={"If-Match": '"1"'}
    )
    profile = ok(updated, 200, OwnerView, 2)
    assert profile["name"] == "Alice B"
    assert profile["address"] == address
    assert profile["id"] == owner["id"]
    assert ok(api.call("PUT", "/owners/profile", body={"phone": None}), 200, OwnerView, 3)["phone"] is None


def test_dog_routes(api: Api) -> None:
    owner = api.register("alice")
    created = api.call(
        "POST",
        "/dogs",
        body={"name": "Rex", "size": "large", "breed": "Collie", "age": 4, "vaccinations": vaccinations()},
    )
    dog = ok(created, 201, DogView, 1)
    assert dog["vaccination_status"] == "up-to-date"
    assert dog["owner_id"] == owner["id"]

    path = {"id": dog["id"]}
    assert ok(api.call("GET", "/dogs/{id}", path_params=path), 200, DogView, 1) == dog

    updated = api.call("PUT", "/dogs/{id}", path_params=path, body={"age": 5}, headers={"If-Match": '"1"'})
    assert ok(updated, 200, DogView, 2)["age"] == 5

    for name in ("Ace", "Bo", "Cy"):
        api.add_dog("alice", name=name, vaccinations=[])
    first = api.call("GET", "/dogs", query={"limit": "3"})
    items = page(first, DogView)
    assert len(items) == 3
    assert first.body["next_cursor"]
    second = api.call("GET", "/dogs", query={"limit": "3", "cursor": first.body["next_cursor"]})
    rest = page(second, DogView)
    assert second.body["next_cursor"] is None
    assert sorted(d["name"] for d in items + rest) == ["Ace", "Bo", "Cy", "Rex"]
    assert {d["vaccination_status"] for d in items + rest} == {"up-to-date", "missing"}

    deleted = api.call("DELETE", "/dogs/{id}", path_params=path, headers={"If-Match": '"2"'})
    assert deleted.status == 204
    assert deleted.body is None
    assert api.call("GET", "/dogs/{id}", path_params=path).status == 404


def test_booking_routes(api: Api) -> None:
    api.register("alice")
    dog = api.add_dog("alice")
    created = api.call("POST", "/bookings", body=booking_body(dog["id"], "boarding", start=day(4, 10)))
    booking = ok(created, 201, BookingView, 1)
    assert booking["status"] == "pending"
    assert booking["price"] == "130.00"  # two nights of a large dog at 65.00
    assert booking["currency"] == "USD"
    assert booking["payment_id"] is None

    path = {"id": booking["id"]}
    assert ok(api.call("GET", "/bookings/{id}", path_params=path), 200, BookingView, 1) == booking

    moved = api.call(
        "PUT",
        "/bookings/{id}",
        path_params=path,
        body={"start_time": iso(day(5, 10)), "end_time": iso(day(6, 11))},
        headers={"If-Match": '"1"'},
    )
    moved_view = ok(moved, 200, BookingView, 2)
    assert moved_view["start_time"] == iso(day(5, 10))
    assert moved_view["price"] == "65.00"  # one night now

    noted = api.call("PUT", "/bookings/{id}", path_params=path, body={"special_instructions": "Shy with cats"})
    assert ok(noted, 200, BookingView, 3)["special_instructions"] == "Shy with cats"

    other = api.book("alice", dog["id"], start=day(9, 8))
    listed = page(api.call("GET", "/bookings"), BookingView)
    assert [b["id"] for b in listed] == [booking["id"], other["id"]]  # by start time
    window = {"from": iso(day(8)), "to": iso(day(10))}
    assert [b["id"] for b in page(api.call("GET", "/bookings", query=window), BookingView)] == [other["id"]]

    cancelled = ok(api.call("DELETE", "/bookings/{id}", path_params=path), 200, BookingView, 4)
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancelled_at"] is not None
    by_status = page(api.call("GET", "/bookings", query={"status": "cancelled"}), BookingView)
    assert [b["id"] for b in by_status] == [booking["id"]]
    pending = page(api.call("GET", "/bookings", query={"status": "pending", **window}), BookingView)
    assert [b["id"] for b in pending] == [other["id"]]


def test_booking_list_pages_with_a_cursor(api: Api) -> None:
    api.register("alice")
    dog = api.add_dog("alice")
    made = [api.book("alice", dog["id"], start=day(n, 9))["id"] for n in (2, 3, 4, 5, 6)]
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        result = api.call("GET", "/bookings", query=query)
        seen.extend(b["id"] for b in page(result, BookingView))
        cursor = result.body["next_cursor"]
        if cursor is None:
            break
    assert seen == made


def test_admin_routes(api: Api) -> None:
    api.register("alice")
    api.register("bob")
    dog = api.add_dog("alice")
    booking = api.book("alice", dog["id"], start=day(2, 9))
    the_day = booking["start_time"][:10]

    roster = page(api.call("GET", "/admin/bookings", admin=True, query={"date": the_day}), RosterEntryView)
    assert [(r["booking_id"], r["dog_name"], r["status"]) for r in roster] == [(booking["id"], "Rex", "pending")]
    filtered = api.call("GET", "/admin/bookings", admin=True, query={"date": the_day, "service_type": "boarding"})
    assert page(filtered, RosterEntryView) == []

    owners = api.call("GET", "/admin/owners", admin=True, query={"limit": "1"})
    first = page(owners, OwnerView)
    more = page(
        api.call("GET", "/admin/owners", admin=True, query={"limit": "1", "cursor": owners.body["next_cursor"]}),
        OwnerView,
    )
    assert sorted(o["name"] for o in first + more) == ["Alice", "Bob"]

    capacity = api.call(
        "PUT",
        "/admin/capacity/{service_type}",
        admin=True,
        path_params={"service_type": "boarding"},
        body={"daily_capacity": 7},
    )
    assert ok(capacity, 200, CapacityView) == {"daycare": 20, "boarding": 7, "parking": 20}

    api.confirm(booking["id"])
    path = {"id": booking["id"]}
    checked_in = ok(
        api.call("POST", "/admin/bookings/{id}/check-in", admin=True, path_params=path), 200, BookingView, 3
    )
    assert checked_in["status"] == "checked_in"
    assert checked_in["checked_in_at"] is not None
    checked_out = api.call("POST", "/admin/bookings/{id}/check-out", admin=True, path_params=path)
    done = ok(checked_out, 200, BookingView, 4)
    assert done["status"] == "completed"
    assert done["checked_out_at"] is not None
    assert ok(api.call("GET", "/bookings/{id}", path_params=path), 200, BookingView, 4)["status"] == "completed"


def test_the_server_prices_every_service(api: Api) -> None:
    api.register("alice")
    small = api.add_dog("alice", name="Pip", size="small")
    giant = api.add_dog("alice", name="Tor", size="giant")
    parking = api.book("alice", small["id"], "parking", start=day(3, 9), end=day(3, 9) + timedelta(hours=3))
    daycare = api.book("alice", giant["id"], "daycare", start=day(3, 7), end=day(3, 19))
    boarding = api.book("alice", giant["id"], "boarding", start=day(6, 10), end=day(9, 10))
    assert (parking["price"], daycare["price"], boarding["price"]) == ("24.00", "50.00", "210.00")
