"""The payments function: paying for a booking, reading a payment, Stripe's webhook.

The service talks to the in-memory payment gateway (the Stripe port's fake), so the webhook
events are real signed Stripe-shaped documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dogcare.testing.payment_gateway import InMemoryPaymentGateway
from handlers.common import runtime
from handlers.common.views import PaymentView
from tests.integration.api.support import Api, assert_problem, day

WEBHOOK_SECRET = "whsec_api_test_0123456789abcdef"


@pytest.fixture
def stripe(api: Api) -> Iterator[InMemoryPaymentGateway]:
    gateway = InMemoryPaymentGateway(WEBHOOK_SECRET)
    app = runtime.dogcare()
    app.payment_gateway = gateway  # what the payment side calls, built or not
    yield gateway
    app.payment_gateway = None


@pytest.fixture
def booking(api: Api) -> dict[str, Any]:
    api.register("alice")
    dog = api.add_dog("alice")
    return api.book("alice", dog["id"], start=day(5, 9))


def pay(api: Api, booking_id: str, **kwargs: Any) -> Any:
    return api.call("POST", "/payments", body={"booking_id": booking_id}, **kwargs)


def deliver(api: Api, stripe: InMemoryPaymentGateway, event: Any, signature: str | None = None) -> Any:
    payload, signed = stripe.signed_event(event)
    headers = {"Content-Type": "application/json", "Stripe-Signature": signature or signed}
    return api.call("POST", "/payments/webhook", authorizer=None, raw_body=payload.decode(), headers=headers)


def test_paying_then_the_webhook_confirms_the_booking(
    api: Api, stripe: InMemoryPaymentGateway, booking: dict[str, Any]
) -> None:
    started = pay(api, booking["id"])
    assert started.status == 201, started.body
    assert set(started.body) == set(PaymentView.model_fields)
    payment = started.body
    assert payment["client_secret"]
    assert payment["amount"] == booking["price"]
    assert started.header("ETag") == f'"{payment["version"]}"'

    read = api.call("GET", "/payments/{id}", path_params={"id": payment["id"]})
    assert read.status == 200
    assert read.body["client_secret"] is None  # handed out only when the payment starts
    assert read.header("ETag") == f'"{read.body["version"]}"'

    intent = payment["provider_reference"]
    stripe.succeed(intent)
    (event,) = stripe.events_of("payment_intent.succeeded")
    ack = deliver(api, stripe, event["id"])
    assert ack.status == 200, ack.body
    assert ack.body["received"] is True
    again = deliver(api, stripe, event["id"])
    assert again.status == 200  # a redelivery is acknowledged and changes nothing
    confirmed = api.call("GET", "/bookings/{id}", path_params={"id": booking["id"]}).body
    assert confirmed["status"] == "confirmed"
    assert confirmed["payment_id"] == payment["id"]
    checked_in = api.call("POST", "/admin/bookings/{id}/check-in", admin=True, path_params={"id": booking["id"]})
    assert checked_in.status == 200
    assert_problem(pay(api, booking["id"]), 409, "booking-already-paid")


def test_a_payment_replay_with_the_same_key_returns_the_first(
    api: Api, stripe: InMemoryPaymentGateway, booking: dict[str, Any]
) -> None:
    key = {"Idempotency-Key": "pay-0001-alice"}
    first = pay(api, booking["id"], headers=key)
    second = pay(api, booking["id"], headers=key)
    assert first.status == second.status == 201
    assert first.body == second.body
    assert len(stripe.intents) == 1


def test_payments_of_others_and_unknown_ones_are_the_same_404(
    api: Api, stripe: InMemoryPaymentGateway, booking: dict[str, Any]
) -> None:
    payment = pay(api, booking["id"]).body
    api.register("bob")
    with api.unchanged():
        theirs = api.call("GET", "/payments/{id}", sub="bob", path_params={"id": payment["id"]})
        unknown = api.call(
            "GET",
            "/payments/{id}",
            sub="bob",
            path_params={"id": "payment-00000000-0000-4000-8000-000000000000"},
        )
        assert_problem(theirs, 404, "not-found")
        assert theirs.body == unknown.body
        their_booking = pay(api, booking["id"], sub="bob")
        assert_problem(their_booking, 404, "not-found")


def test_a_cancelled_booking_cannot_be_paid(api: Api, stripe: InMemoryPaymentGateway, booking: dict[str, Any]) -> None:
    api.call("DELETE", "/bookings/{id}", path_params={"id": booking["id"]})
    with api.unchanged():
        result = pay(api, booking["id"])
    assert result.status == 409
    assert result.content_type == "application/problem+json"
    assert stripe.intents == {}


def test_a_webhook_with_a_bad_signature_is_400_and_changes_nothing(
    api: Api, stripe: InMemoryPaymentGateway, booking: dict[str, Any]
) -> None:
    payment = pay(api, booking["id"]).body
    stripe.succeed(payment["provider_reference"])
    (event,) = stripe.events_of("payment_intent.succeeded")
    forged = InMemoryPaymentGateway("whsec_somebody_else_000000000000")
    _, wrong = forged.signed_event(event)
    with api.unchanged():
        for signature in (wrong, "t=1,v1=00", "garbage"):
            assert_problem(deliver(api, stripe, event["id"], signature), 400, "invalid-webhook")
        missing = api.call(
            "POST",
            "/payments/webhook",
            authorizer=None,
            raw_body='{"id": "evt_1"}',
            headers={"Content-Type": "application/json"},
        )
        assert_problem(missing, 400, "invalid-webhook")
    assert api.call("GET", "/bookings/{id}", path_params={"id": booking["id"]}).body["status"] == "pending"


def test_the_webhook_needs_no_token_but_the_other_payment_routes_do(api: Api, stripe: InMemoryPaymentGateway) -> None:
    assert_problem(api.call("POST", "/payments", authorizer=None, body={"booking_id": "x"}), 401, "unauthenticated")
    assert_problem(api.call("GET", "/payments/{id}", authorizer=None, path_params={"id": "x"}), 401, "unauthenticated")
    webhook = api.call(
        "POST", "/payments/webhook", authorizer=None, raw_body="{}", headers={"Content-Type": "text/plain"}
    )
    assert_problem(webhook, 415, "unsupported-media-type")
