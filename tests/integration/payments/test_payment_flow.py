"""The whole payment loop with the real Stripe SDK: booking -> pay -> confirm -> confirmed ->
cancel -> refund, against the local fake Stripe server over HTTP.

The fake delivers its signed webhooks synchronously (before it answers the call that
caused them) to a small HTTP webhooks that hands them to ``PaymentService.handle_webhook``,
as the webhook Lambda does; the webhooks answers with the status the API would give.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from dogcare.commands import NewPayment
from dogcare.domain.model import Booking, Payment
from dogcare.errors import PaymentProviderUnavailable
from dogcare.facade import Dogcare
from dogcare.local.fake_stripe import FakeStripe
from dogcare.payments.secrets import reset_gateway_cache
from dogcare.payments.stripe_gateway import StripeGateway
from dogcare.testing.factories import actor_of
from tests.conftest import Clock
from tests.integration.payments.conftest import WebhookReceiver
from tests.unit.payments.support import Customer, book, customer

SECRET_KEY = "sk_test_flow_0123456789abcdef"
WEBHOOK_SECRET = "whsec_flow_0123456789abcdef"
PRICE = 4500


@pytest.fixture
def fake(webhooks: WebhookReceiver) -> Iterator[FakeStripe]:
    server = FakeStripe(secret_key=SECRET_KEY, webhook_secret=WEBHOOK_SECRET, webhook_url=webhooks.url)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stripe_app(app: Dogcare, fake: FakeStripe, webhooks: WebhookReceiver) -> Iterator[Dogcare]:
    """The moto-backed app configured for the fake Stripe as a deployment would be: by settings."""
    settings = app.settings.with_changes(
        stripe_api_base=fake.base_url, stripe_secret_key=SECRET_KEY, stripe_webhook_secret=WEBHOOK_SECRET
    )
    configured = Dogcare(settings, app.store, app.clock)
    webhooks.app = configured
    yield configured
    reset_gateway_cache()


@pytest.fixture
def ana(stripe_app: Dogcare) -> Customer:
    return customer(stripe_app)


def pay(app: Dogcare, who: Customer, booking: Booking) -> Payment:
    return app.payments.create(actor_of(who), NewPayment(booking_id=booking.id))


def statuses(app: Dogcare, booking: Booking) -> tuple[str, str, int]:
    current = app.booking_repository.get(booking.id)
    assert current.payment_id is not None
    payment = app.payment_repository.get(current.payment_id)
    return current.status, payment.status, payment.amount_refunded


def test_pay_confirm_cancel_refund(
    stripe_app: Dogcare, fake: FakeStripe, webhooks: WebhookReceiver, ana: Customer
) -> None:
    app = stripe_app
    booking = book(app, ana)
    payment = pay(app, ana, booking)
    intent_id = str(payment.provider_reference)
    assert payment.client_secret is not None
    assert payment.client_secret.startswith(f"{intent_id}_secret_")
    intent = fake.intents[intent_id]
    assert (intent["amount"], intent["currency"]) == (PRICE, "usd")
    assert intent["metadata"] == {"booking_id": booking.id, "owner_id": ana.id, "payment_id": payment.id}
    assert [r.idempotency_key for r in fake.requests] == [f"booking-{booking.id}-intent"]

    # The owner pays in the browser; Stripe tells us by webhook.
    assert fake.confirm(intent_id)["status"] == "succeeded"
    assert webhooks.outcomes == [("payment_intent.succeeded", 200, "applied")]
    assert statuses(app, booking) == ("confirmed", "succeeded", 0)
    assert app.payments.get(actor_of(ana), payment.id).client_secret is None

    # Cancelled more than a day ahead: a full refund, acknowledged by webhook as well.
    cancelled = app.bookings.cancel(actor_of(ana), booking.id)
    assert cancelled.status == "cancelled"
    assert statuses(app, booking) == ("cancelled", "refunded", PRICE)
    [refund] = fake.refunds.values()
    assert (refund["amount"], refund["payment_intent"]) == (PRICE, intent_id)
    assert webhooks.outcomes[-1] == ("charge.refunded", 200, "applied")
    refund_request = [r for r in fake.requests if r.path == "/v1/refunds"]
    assert [r.idempotency_key for r in refund_request] == [f"booking-{booking.id}-cancel-refund"]

    # Stripe redelivers: nothing changes.
    for event in fake.events:
        assert fake.resend(event["id"]).ok
    assert [o[2] for o in webhooks.outcomes[-len(fake.events) :]] == ["duplicate"] * len(fake.events)
    assert statuses(app, booking) == ("cancelled", "refunded", PRICE)
    assert all(d.status == 200 for d in fake.deliveries)


def test_decline_then_pay_then_late_cancel(
    stripe_app: Dogcare, fake: FakeStripe, webhooks: WebhookReceiver, ana: Customer, clock: Clock
) -> None:
    app = stripe_app
    booking = book(app, ana)
    payment = pay(app, ana, booking)
    intent_id = str(payment.provider_reference)

    fake.confirm(intent_id, decline=True)
    assert webhooks.outcomes == [("payment_intent.payment_failed", 200, "applied")]
    assert statuses(app, booking) == ("pending", "failed", 0)

    again = pay(app, ana, booking)  # the owner tries another card on the same intent
    assert (again.id, again.provider_reference, again.client_secret) == (
        payment.id,
        intent_id,
        payment.client_secret,
    )
    fake.confirm(intent_id)
    assert statuses(app, booking) == ("confirmed", "succeeded", 0)

    clock.now = booking.start_time - timedelta(hours=3)
    app.bookings.cancel(actor_of(ana), booking.id)
    assert statuses(app, booking) == ("cancelled", "partially_refunded", PRICE // 2)
    assert [r["amount"] for r in fake.refunds.values()] == [PRICE // 2]
    assert len(fake.intents) == 1


def test_cancelling_an_unpaid_booking_cancels_the_intent(
    stripe_app: Dogcare, fake: FakeStripe, webhooks: WebhookReceiver, ana: Customer
) -> None:
    app = stripe_app
    booking = book(app, ana)
    payment = pay(app, ana, booking)
    app.bookings.cancel(actor_of(ana), booking.id)

    assert fake.intents[str(payment.provider_reference)]["status"] == "canceled"
    assert statuses(app, booking) == ("cancelled", "canceled", 0)
    assert webhooks.outcomes == [("payment_intent.canceled", 200, "applied")]


def test_stripe_down_then_back_makes_one_intent(app: Dogcare, fake: FakeStripe, webhooks: WebhookReceiver) -> None:
    gateway = StripeGateway(
        SECRET_KEY, WEBHOOK_SECRET, api_base=fake.base_url, timeout_seconds=5, max_network_retries=0
    )
    app.payment_gateway = gateway
    webhooks.app = app
    who = customer(app)
    booking = book(app, who)

    fake.fail_next(1, status=500)
    with pytest.raises(PaymentProviderUnavailable):
        pay(app, who, booking)
    assert statuses(app, booking) == ("pending", "creating", 0)

    payment = pay(app, who, booking)
    assert list(fake.intents) == [payment.provider_reference]
    fake.confirm(str(payment.provider_reference))
    assert statuses(app, booking) == ("confirmed", "succeeded", 0)

    fake.fail_next(1, status=503)
    with pytest.raises(PaymentProviderUnavailable):
        app.bookings.cancel(actor_of(who), booking.id)
    assert statuses(app, booking) == ("cancelled", "refund_pending", 0)
    app.bookings.cancel(actor_of(who), booking.id)  # the client retries its DELETE
    assert statuses(app, booking) == ("cancelled", "refunded", PRICE)
    assert len(fake.refunds) == 1
    gateway.close()


def test_a_forged_webhook_is_refused(stripe_app: Dogcare, fake: FakeStripe, ana: Customer) -> None:
    import http.client
    from urllib.parse import urlsplit

    booking = book(stripe_app, ana)
    payment = pay(stripe_app, ana, booking)
    fake.confirm(str(payment.provider_reference))
    event = fake.events[-1]
    event["id"] = "evt_forged"
    body = json.dumps(event).encode()
    target = urlsplit(str(fake.webhook_url))
    connection = http.client.HTTPConnection(str(target.hostname), target.port, timeout=5)
    connection.request("POST", target.path, body=body, headers={"Stripe-Signature": "t=1,v1=00"})
    response = connection.getresponse()
    assert response.status == 400
    connection.close()
    assert stripe_app.payment_repository.event_seen("evt_forged") is False
