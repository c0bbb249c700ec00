"""`dogcare serve` expires unpaid holds by itself: its sweeper thread runs without any request.

A server of its own with a two-second hold and a one-second sweep: a booking nobody pays
shows its deadline to the owner and on the staff roster, then expires on its own, its place
is free again, and paying for it is refused.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.e2e.conftest import Server, start_server
from tests.e2e.test_api_flow import Client, day

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def quick_holds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home: Path = tmp_path_factory.mktemp("serve-holds")
    srv = start_server(
        home,
        DOGCARE_RATE_LIMIT_PER_MINUTE="100000",
        DOGCARE_HOLD_SECONDS="2",
        DOGCARE_SWEEP_INTERVAL_SECONDS="1",
    )
    yield srv
    srv.stop()


def test_an_unpaid_hold_expires_without_a_request(quick_holds: Server) -> None:
    owner, staff = Client(quick_holds), Client(quick_holds, admin=True)
    owner.register()
    dog = owner.add_dog()
    start, end = day(4, 9), day(4, 17)
    created = owner.book(dog["id"], start=start, end=end)
    assert created.status_code == 201, created.text
    booking = created.json()
    assert booking["status"] == "pending"
    deadline = datetime.fromisoformat(booking["hold_expires_at"].replace("Z", "+00:00"))
    made = datetime.fromisoformat(booking["created_at"].replace("Z", "+00:00"))
    assert (deadline - made).total_seconds() == 2

    roster = staff.get("/admin/bookings", params={"date": start[:10]}).json()["items"]
    [entry] = [e for e in roster if e["booking_id"] == booking["id"]]
    assert (entry["status"], entry["hold_expires_at"]) == ("pending", booking["hold_expires_at"])

    # No request touches the booking: the server's sweeper thread expires it.
    seen = booking
    give_up = time.monotonic() + 30
    while time.monotonic() < give_up and seen["status"] == "pending":
        time.sleep(0.5)
        seen = owner.get(f"/bookings/{booking['id']}").json()
    assert seen["status"] == "expired"
    assert seen["hold_expires_at"] is None

    roster = staff.get("/admin/bookings", params={"date": start[:10]}).json()["items"]
    assert booking["id"] not in [e["booking_id"] for e in roster]
    paying = owner.post("/payments", {"booking_id": booking["id"]})
    assert paying.status_code == 409, paying.text
    assert paying.json()["type"] == "/problems/booking-not-payable"
    # The dog's time is free again: the same stay can be booked anew.
    again = owner.book(dog["id"], start=start, end=end)
    assert again.status_code == 201, again.text


def test_the_sweeper_stops_with_the_server(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "home", DOGCARE_SWEEP_INTERVAL_SECONDS="1")
    srv.stop()
    assert srv.process.returncode is not None
    assert "hold sweep failed" not in (tmp_path / "home" / "serve.log").read_text()
