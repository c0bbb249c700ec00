"""The routes the web app's screens read: quotes, availability, cancellation previews, the care card.

Each through its function's ``lambda_handler`` with REST proxy events on moto; every refusal
is a problem document and writes nothing, and so does every success (they only read).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dogcare.testing.payment_gateway import InMemoryPaymentGateway
from handlers.common import runtime
from handlers.common.views import AvailabilityView, CancellationView, CareCardView, QuoteView
from tests.integration.api.support import Api, assert_problem, booking_body, day, iso, vaccinations

WEBHOOK_SECRET = "whsec_api_test_0123456789abcdef"
DEFAULT_CAPACITY = 20


@pytest.fixture
def alice(api: Api) -> dict[str, Any]:
    owner = api.register("alice", phone="+1 555 0100")
    dog = api.add_dog("alice", special_needs=["no chicken"], emergency_contact="Bob +1 555 0101")
    return {"owner": owner, "dog": dog}


@pytest.fixture
def stripe(api: Api) -> Iterator[InMemoryPaymentGateway]:
    gateway = InMemoryPaymentGateway(WEBHOOK_SECRET)
    app = runtime.dogcare()
    app.payment_gateway = gateway  # what the payment side calls, built or not
    yield gateway
    app.payment_gateway = None


def quote(api: Api, body: dict[str, Any], **kwargs: Any) -> Any:
    return api.call("POST", "/bookings/quote", body=body, **kwargs)


def dates(result: Any) -> dict[str, dict[str, Any]]:
    return {d["date"]: d for d in result.body["days"]}


# --- POST /bookings/quote -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "start", "end", "price", "days"),
    [
        ("daycare", day(3, 9), day(3, 17), "45.00", 1),
        ("boarding", day(3, 9), day(6, 11), "195.00", 3),  # three nights of a large dog
        ("parking", day(3, 9), day(3, 11, 30), "30.00", 1),  # three started hours
    ],
)
def test_a_quote_is_the_price_the_booking_then_gets_and_writes_nothing(
    api: Api, alice: dict[str, Any], service: str, start: datetime, end: datetime, price: str, days: int
) -> None:
    body = booking_body(alice["dog"]["id"], service, start, end)
    with api.unchanged():
        quoted = quote(api, body)
    assert quoted.status == 200, quoted.body
    assert set(quoted.body) == set(QuoteView.model_fields)
    assert quoted.header("Cache-Control") == "no-store"
    assert quoted.body["price"] == price
    assert quoted.body["currency"] == "USD"
    assert quoted.body["available"] is True
    assert quoted.body["service_type"] == service
    assert quoted.body["start_time"] == iso(start)
    assert quoted.body["end_time"] == iso(end)
    expected_days = [(start.date() + timedelta(days=i)).isoformat() for i in range(days)]
    assert [d["date"] for d in quoted.body["days"]] == expected_days
    for d in quoted.body["days"]:
        assert d == {"date": d["date"], "capacity": DEFAULT_CAPACITY, "booked": 0, "places_left": DEFAULT_CAPACITY}

    created = api.call("POST", "/bookings", body=body)
    assert created.status == 201, created.body
    assert (created.body["price"], created.body["currency"]) == (quoted.body["price"], quoted.body["currency"])

    # A second dog's quote now sees the place taken on each of those days.
    other = api.add_dog("alice", name="Ivy")
    again = quote(api, booking_body(other["id"], service, start, end))
    assert [(d["booked"], d["places_left"]) for d in again.body["days"]] == [(1, DEFAULT_CAPACITY - 1)] * days


def test_a_full_day_is_a_quote_with_no_places_not_an_error(api: Api, alice: dict[str, Any]) -> None:
    assert (
        api.call(
            "PUT",
            "/admin/capacity/{service_type}",
            admin=True,
            path_params={"service_type": "daycare"},
            body={"daily_capacity": 1},
        ).status
        == 200
    )
    api.book("alice", alice["dog"]["id"], start=day(3, 9))
    other = api.add_dog("alice", name="Ivy")
    body = booking_body(other["id"], start=day(3, 9))
    with api.unchanged():
        quoted = quote(api, body)
    assert quoted.status == 200, quoted.body
    assert quoted.body["available"] is False
    assert quoted.body["days"] == [{"date": day(3).date().isoformat(), "capacity": 1, "booked": 1, "places_left": 0}]
    assert_problem(api.call("POST", "/bookings", body=body), 409, "capacity-full")


def test_quote_refusals_are_the_booking_s_and_write_nothing(api: Api, alice: dict[str, Any]) -> None:
    dog = alice["dog"]["id"]
    api.book("alice", dog, start=day(3, 9))
    lapsing = api.add_dog("alice", name="Old", vaccinations=vaccinations(until=day(2).date()))
    api.register("bob")
    bobs = api.add_dog("bob", name="Bobby")
    unknown = "dog-00000000-0000-4000-8000-000000000000"
    cases: list[tuple[dict[str, Any], int, str, str | None]] = [
        (booking_body(unknown), 404, "not-found", None),
        (booking_body(bobs["id"]), 404, "not-found", None),
        (booking_body(dog, start=day(3, 10)), 409, "overlapping-booking", None),
        (booking_body(lapsing["id"], start=day(5, 9)), 422, "validation", "body.dog_id"),
        (booking_body(dog, start=day(-1, 9)), 422, "validation", "body.start_time"),
        (booking_body(dog, start=day(6, 5)), 422, "validation", "body.start_time"),
        (booking_body(dog, start=day(400, 9)), 422, "validation", "body.start_time"),
        (booking_body(dog, start=day(6, 12), end=day(6, 10)), 422, "validation", "body.end_time"),
        (booking_body(dog, "daycare", day(6, 9), day(7, 9)), 422, "validation", "body.end_time"),
        ({**booking_body(dog, start=day(6, 9)), "price": "0.01"}, 422, "validation", "body.price"),
        ({**booking_body(dog, start=day(6, 9)), "service_type": "grooming"}, 422, "validation", "body.service_type"),
        ({"dog_id": dog}, 422, "validation", "body.service_type"),
    ]
    with api.unchanged():
        for body, status, kind, field in cases:
            created = api.call("POST", "/bookings", body=body)
            quoted = quote(api, body)
            assert_problem(quoted, status, kind, field=field)
            assert (quoted.status, quoted.body) == (created.status, created.body), body
        assert_problem(quote(api, booking_body(dog, start=day(6, 9)), authorizer=None), 401, "unauthenticated")
        malformed = api.call(
            "POST", "/bookings/quote", raw_body='{"dog_id": ', headers={"Content-Type": "application/json"}
        )
        assert_problem(malformed, 400, "malformed-json")
        not_json = api.call("POST", "/bookings/quote", raw_body="dog_id=x", headers={"Content-Type": "text/plain"})
        assert_problem(not_json, 415, "unsupported-media-type")


# --- GET /availability --------------------------------------------------------------------------


def availability(api: Api, **query: str) -> Any:
    return api.call("GET", "/availability", query=query)


def test_availability_counts_the_places_taken_per_day(api: Api, alice: dict[str, Any]) -> None:
    api.book("alice", alice["dog"]["id"], "boarding", start=day(3, 9), end=day(5, 9))  # nights of days 3 and 4
    other = api.add_dog("alice", name="Ivy")
    api.book("alice", other["id"], "boarding", start=day(4, 9), end=day(5, 9))
    api.book("alice", other["id"], "daycare", start=day(6, 9))
    api.call(
        "PUT",
        "/admin/capacity/{service_type}",
        admin=True,
        path_params={"service_type": "boarding"},
        body={"daily_capacity": 2},
    )
    first, last = day(0).date(), day(13).date()
    with api.unchanged():
        result = availability(api, service_type="boarding", **{"from": first.isoformat(), "to": last.isoformat()})
    assert result.status == 200, result.body
    assert set(result.body) == set(AvailabilityView.model_fields)
    assert result.body["service_type"] == "boarding"
    assert result.body["timezone"] == "UTC"
    days = dates(result)
    assert list(days) == [(first + timedelta(days=i)).isoformat() for i in range(14)]
    booked = {d: v["booked"] for d, v in days.items() if v["booked"]}
    assert booked == {day(3).date().isoformat(): 1, day(4).date().isoformat(): 2}
    assert days[day(4).date().isoformat()] == {
        "date": day(4).date().isoformat(),
        "capacity": 2,
        "booked": 2,
        "places_left": 0,
    }
    assert all(v["capacity"] == 2 and v["places_left"] == 2 - v["booked"] for v in days.values())

    daycare = availability(
        api, service_type="daycare", **{"from": day(6).date().isoformat(), "to": day(6).date().isoformat()}
    )
    assert daycare.body["days"] == [
        {
            "date": day(6).date().isoformat(),
            "capacity": DEFAULT_CAPACITY,
            "booked": 1,
            "places_left": DEFAULT_CAPACITY - 1,
        }
    ]


def test_availability_uses_facility_local_days(api: Api) -> None:
    api.reconfigure(DOGCARE_TIMEZONE="Pacific/Kiritimati")  # UTC+14: "today" there may be tomorrow here
    today_there = datetime.now(UTC).astimezone(__import__("zoneinfo").ZoneInfo("Pacific/Kiritimati")).date()
    result = availability(
        api, service_type="daycare", **{"from": today_there.isoformat(), "to": today_there.isoformat()}
    )
    assert result.status == 200, result.body
    assert result.body["timezone"] == "Pacific/Kiritimati"
    yesterday = today_there - timedelta(days=1)
    refused = availability(
        api, service_type="daycare", **{"from": yesterday.isoformat(), "to": today_there.isoformat()}
    )
    assert_problem(refused, 422, "validation", field="query.from")


def test_availability_refusals(api: Api) -> None:
    today = datetime.now(UTC).date()
    d = lambda n: (today + timedelta(days=n)).isoformat()  # noqa: E731
    cases: list[tuple[dict[str, str], str]] = [
        ({"service_type": "daycare", "from": d(5), "to": d(4)}, "query.to"),
        ({"service_type": "daycare", "from": d(-1), "to": d(4)}, "query.from"),
        ({"service_type": "daycare", "from": d(0), "to": d(62)}, "query.to"),  # 63 days
        ({"service_type": "grooming", "from": d(0), "to": d(1)}, "query.service_type"),
        ({"service_type": "daycare", "from": "2026-13-01", "to": d(1)}, "query.from"),
        ({"service_type": "daycare", "to": d(1)}, "query.from"),
        ({"from": d(0), "to": d(1)}, "query.service_type"),
    ]
    with api.unchanged():
        for query, field in cases:
            assert_problem(availability(api, **query), 422, "validation", field=field)
        longest = availability(api, service_type="parking", **{"from": d(0), "to": d(61)})
        assert longest.status == 200
        assert len(longest.body["days"]) == 62
        unauthenticated = api.call(
            "GET", "/availability", authorizer=None, query={"service_type": "daycare", "from": d(0), "to": d(1)}
        )
        assert_problem(unauthenticated, 401, "unauthenticated")


class DynamoCalls:
    """Every DynamoDB request the handlers make (operation, parameters), optionally faulted."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from botocore.client import BaseClient

        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.unprocess_batches = False
        original = BaseClient._make_api_call  # type: ignore[attr-defined]
        calls = self

        def recording(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            if client.meta.service_model.service_name == "dynamodb":
                calls.calls.append((operation, params))
                if operation == "BatchGetItem" and calls.unprocess_batches:
                    # What DynamoDB answers for a throttled partition: nothing read, every key left over.
                    return {"Responses": {}, "UnprocessedKeys": params["RequestItems"]}
            return original(client, operation, params)

        monkeypatch.setattr(BaseClient, "_make_api_call", recording)

    def reads(self) -> list[str]:
        """The reads made (the rate limiter's UpdateItem left out)."""
        return [op for op, _ in self.calls if op != "UpdateItem"]


def test_availability_reads_one_batch_and_fails_closed(
    api: Api, alice: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    api.book("alice", alice["dog"]["id"], start=day(3, 9))
    calls = DynamoCalls(monkeypatch)
    query = {"service_type": "daycare", "from": day(0).date().isoformat(), "to": day(61).date().isoformat()}
    assert availability(api, **query).status == 200
    assert calls.reads() == ["BatchGetItem"]  # 62 counters and the setting: one request
    ((_, params),) = [c for c in calls.calls if c[0] == "BatchGetItem"]
    assert sum(len(t["Keys"]) for t in params["RequestItems"].values()) == 63
    assert all(t["ConsistentRead"] for t in params["RequestItems"].values())

    with api.unchanged():
        calls.calls.clear()
        calls.unprocess_batches = True
        result = availability(api, **query)
        assert_problem(result, 503, "storage-unavailable")
        quoted = quote(api, booking_body(alice["dog"]["id"], start=day(5, 9)))
        assert_problem(quoted, 503, "storage-unavailable")
        calls.unprocess_batches = False
        batches = calls.reads().count("BatchGetItem")
    assert batches == 2 * 5  # every try of the backoff, then 503


# --- GET /bookings/{id}/cancellation ------------------------------------------------------------


def preview(api: Api, booking_id: str, **kwargs: Any) -> Any:
    return api.call("GET", "/bookings/{id}/cancellation", path_params={"id": booking_id}, **kwargs)


def paid_booking(api: Api, stripe: InMemoryPaymentGateway, dog_id: str, start: datetime) -> dict[str, Any]:
    booking = api.book("alice", dog_id, start=start)
    payment = api.call("POST", "/payments", body={"booking_id": booking["id"]}).body
    stripe.succeed(payment["provider_reference"])
    (event,) = [
        e
        for e in stripe.events_of("payment_intent.succeeded")
        if e["data"]["object"]["id"] == payment["provider_reference"]
    ]
    payload, signed = stripe.signed_event(event["id"])
    headers = {"Content-Type": "application/json", "Stripe-Signature": signed}
    ack = api.call("POST", "/payments/webhook", authorizer=None, raw_body=payload.decode(), headers=headers)
    assert ack.status == 200, ack.body
    return {**booking, "payment_id": payment["id"]}


def test_an_unpaid_booking_cancels_without_money_moving(api: Api, alice: dict[str, Any]) -> None:
    start = day(4, 9)
    booking = api.book("alice", alice["dog"]["id"], start=start)
    with api.unchanged():
        result = preview(api, booking["id"])
    assert result.status == 200, result.body
    assert set(result.body) == set(CancellationView.model_fields)
    assert result.body == {
        "booking_id": booking["id"],
        "cancellable": True,
        "refund": None,
        "currency": "USD",
        "refund_percent": 100,
        "full_refund_until": iso(start - timedelta(hours=24)),
        "reason": result.body["reason"],
    }
    assert "nothing has been paid" in result.body["reason"]


def test_the_preview_is_what_the_cancellation_then_refunds(
    api: Api, alice: dict[str, Any], stripe: InMemoryPaymentGateway
) -> None:
    early = paid_booking(api, stripe, alice["dog"]["id"], day(4, 9))
    with api.unchanged():
        full = preview(api, early["id"])
    assert full.status == 200, full.body
    assert (full.body["refund"], full.body["refund_percent"]) == ("45.00", 100)
    assert full.body["full_refund_until"] == iso(day(4, 9) - timedelta(hours=24))

    # Inside the window (here: a 200-hour window, so the booking 3 days out is already late).
    api.reconfigure(DOGCARE_REFUND_FULL_HOURS="200", DOGCARE_REFUND_LATE_PERCENT="50")
    runtime.dogcare().payment_gateway = stripe
    late = paid_booking(api, stripe, api.add_dog("alice", name="Ivy")["id"], day(3, 9))
    late_preview = preview(api, late["id"])
    assert late_preview.body["cancellable"] is True
    assert (late_preview.body["refund"], late_preview.body["refund_percent"]) == ("22.50", 50)
    assert late_preview.body["full_refund_until"] is None
    assert "50%" in late_preview.body["reason"]

    for booking, shown in ((early, "22.50"), (late, late_preview.body["refund"])):
        # (the early one is late too now: the window is 200 hours)
        expected = preview(api, booking["id"]).body["refund"]
        assert expected == shown
        assert api.call("DELETE", "/bookings/{id}", path_params={"id": booking["id"]}).status == 200
        payment = api.call("GET", "/payments/{id}", path_params={"id": booking["payment_id"]}).body
        assert payment["amount_refunded"] == expected

        after = preview(api, booking["id"])
        assert after.body["cancellable"] is False
        assert after.body["refund"] is None
        assert after.body["refund_percent"] == 0
        assert "cancelled booking cannot be cancelled" in after.body["reason"]


def test_a_checked_in_booking_is_not_cancellable(api: Api, alice: dict[str, Any]) -> None:
    booking = api.book("alice", alice["dog"]["id"], start=day(4, 9))
    api.confirm(booking["id"])
    api.call("POST", "/admin/bookings/{id}/check-in", admin=True, path_params={"id": booking["id"]})
    result = preview(api, booking["id"])
    assert result.status == 200
    assert (result.body["cancellable"], result.body["refund"], result.body["full_refund_until"]) == (False, None, None)


def test_another_owner_s_booking_preview_is_404_like_an_unknown_one(api: Api, alice: dict[str, Any]) -> None:
    booking = api.book("alice", alice["dog"]["id"], start=day(4, 9))
    api.register("bob")
    with api.unchanged():
        theirs = preview(api, booking["id"], sub="bob")
        unknown = preview(api, "booking-00000000-0000-4000-8000-000000000000", sub="bob")
        unauthenticated = preview(api, booking["id"], authorizer=None)
    assert_problem(theirs, 404, "not-found")
    assert theirs.body == unknown.body
    assert_problem(unauthenticated, 401, "unauthenticated")


# --- GET /admin/bookings/{id}/care-card ---------------------------------------------------------


def test_staff_read_the_care_card_in_two_requests(
    api: Api, alice: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    soon = datetime.now(UTC).date() + timedelta(days=10)
    dog = api.add_dog(
        "alice",
        name="Ivy",
        breed="Collie",
        vaccinations=[*vaccinations()[:2], {"name": "bordetella", "expires_on": soon.isoformat()}],
    )
    booking = api.book("alice", dog["id"], start=day(3, 9))
    calls = DynamoCalls(monkeypatch)
    with api.unchanged():
        calls.calls.clear()  # (the snapshot's own scans)
        result = api.call("GET", "/admin/bookings/{id}/care-card", admin=True, path_params={"id": booking["id"]})
        reads = calls.reads()
    assert result.status == 200, result.body
    assert reads == ["GetItem", "BatchGetItem"]
    CareCardView.model_validate(result.body)
    assert result.body["booking"] == booking
    card_dog = result.body["dog"]
    plain = api.call("GET", "/dogs/{id}", path_params={"id": dog["id"]}).body
    assert {k: v for k, v in card_dog.items() if k != "vaccinations"} == {
        k: v for k, v in plain.items() if k != "vaccinations"
    }
    assert card_dog["vaccination_status"] == "expiring"
    assert [(v["name"], v["expires_on"]) for v in card_dog["vaccinations"]] == [
        (v["name"], v["expires_on"]) for v in plain["vaccinations"]
    ]
    assert [v["status"] for v in card_dog["vaccinations"]] == ["up-to-date", "up-to-date", "expiring"]
    assert result.body["owner"] == {
        "id": alice["owner"]["id"],
        "name": "Alice",
        "email": "alice@example.com",
        "phone": "+1 555 0100",
    }
    assert card_dog["special_needs"] == []
    first = api.call(
        "GET",
        "/admin/bookings/{id}/care-card",
        admin=True,
        path_params={"id": api.book("alice", alice["dog"]["id"], start=day(5, 9))["id"]},
    )
    assert first.body["dog"]["special_needs"] == ["no chicken"]
    assert first.body["dog"]["emergency_contact"] == "Bob +1 555 0101"


def test_the_care_card_is_staff_only(api: Api, alice: dict[str, Any]) -> None:
    booking = api.book("alice", alice["dog"]["id"], start=day(3, 9))
    with api.unchanged():
        owner = api.call("GET", "/admin/bookings/{id}/care-card", path_params={"id": booking["id"]})
        unknown = api.call(
            "GET",
            "/admin/bookings/{id}/care-card",
            admin=True,
            path_params={"id": "booking-00000000-0000-4000-8000-000000000000"},
        )
        unauthenticated = api.call(
            "GET", "/admin/bookings/{id}/care-card", authorizer=None, path_params={"id": booking["id"]}
        )
    assert_problem(owner, 403, "forbidden")
    assert_problem(unknown, 404, "not-found")
    assert_problem(unauthenticated, 401, "unauthenticated")
