"""Expired holds and money that is not the price, with the real Stripe SDK against the local
fake Stripe server over HTTP (its signed webhooks delivered over HTTP too).

- money for an expired hold whose places are still free confirms it (places taken again);
- money for an expired hold whose day has filled up is refunded in full, the booking stays expired;
- money that is not the booking's price never confirms it: refunded in full, ``price_mismatch``,
  and the webhook function emits ``PaymentAmountMismatch`` (the metric the alarm watches).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dogcare.commands import NewPayment
from dogcare.domain.actor import HOLD_SWEEPER, Actor
from dogcare.domain.model import Booking, Payment
from dogcare.facade import Dogcare
from dogcare.local.fake_stripe import FakeStripe
from dogcare.payments.secrets import reset_gateway_cache
from dogcare.storage import keys
from dogcare.testing.factories import actor_of
from tests.conftest import Clock
from tests.deploy.conftest import Caller, api_event, body_of, id_token_header, invoke, lambda_env  # noqa: F401 - a fixture
from tests.deploy.test_observability import json_lines, metrics_on  # noqa: F401 - a fixture
from tests.integration.payments.conftest import WebhookReceiver
from tests.unit.payments.support import Customer, book, customer

STAFF = Actor.staff("staff-1")

SECRET_KEY = "sk_test_holds_0123456789abcdef"
WEBHOOK_SECRET = "whsec_holds_0123456789abcdef"
PRICE = 4500


@pytest.fixture
def fake(webhooks: WebhookReceiver) -> Iterator[FakeStripe]:
    server = FakeStripe(secret_key=SECRET_KEY, webhook_secret=WEBHOOK_SECRET, webhook_url=webhooks.url)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stripe_app(app: Dogcare, fake: FakeStripe, webhooks: WebhookReceiver) -> Iterator[Dogcare]:
    settings = app.settings.with_changes(
        stripe_api_base=fake.base_url, stripe_secret_key=SECRET_KEY, stripe_webhook_secret=WEBHOOK_SECRET
    )
    configured = Dogcare(settings, app.store, app.clock)
    webhooks.app = configured
    yield configured
    reset_gateway_cache()


def pay(app: Dogcare, who: Customer, booking: Booking) -> Payment:
    return app.payments.create(actor_of(who), NewPayment(booking_id=booking.id))


def expire(app: Dogcare, clock: Clock, booking: Booking) -> None:
    clock.advance(minutes=31)
    assert app.holds.sweep(HOLD_SWEEPER).expired == [booking.id]
    assert app.booking_repository.capacity_used("daycare", booking.start_time.date()) == 0


def test_money_for_an_expired_hold_with_free_places_confirms_it(
    stripe_app: Dogcare, fake: FakeStripe, webhooks: WebhookReceiver, clock: Clock
) -> None:
    app = stripe_app
    ana = customer(app)
    booking = book(app, ana)
    payment = pay(app, ana, booking)
    expire(app, clock, booking)

    fake.confirm(str(payment.provider_reference))
    assert webhooks.outcomes == [("payment_intent.succeeded", 200, "applied")]
    assert app.booking_repository.get(booking.id).status == "confirmed"
    assert app.booking_repository.capacity_used("daycare", booking.start_time.date()) == 1
    assert [e.booking_id for e in app.staff.roster(STAFF, booking.start_time.date(), None, 10, None).items] == [
        booking.id
    ]
    assert fake.refunds == {}


def test_money_for_an_expired_hold_whose_day_is_full_goes_back(
    stripe_app: Dogcare, fake: FakeStripe, webhooks: WebhookReceiver, clock: Clock
) -> None:
    app = stripe_app
    app.staff.set_capacity(STAFF, "daycare", 1)
    ana, bo = customer(app, "Ana"), customer(app, "Bo")
    booking = book(app, ana)
    payment = pay(app, ana, booking)
    expire(app, clock, booking)
    taken = book(app, bo)

    intent = str(payment.provider_reference)
    fake.confirm(intent)
    # The refund's own webhook is delivered while the first is being handled: order them.
    assert sorted(webhooks.outcomes) == [
        ("charge.refunded", 200, "applied"),
        ("payment_intent.succeeded", 200, "late_refunded"),
    ]
    assert app.booking_repository.get(booking.id).status == "expired"
    assert app.booking_repository.get(taken.id).status == "pending"
    assert app.booking_repository.capacity_used("daycare", booking.start_time.date()) == 1
    refunded = app.payment_repository.get(payment.id)
    assert (refunded.status, refunded.amount_refunded) == ("refunded", PRICE)
    [refund] = fake.refunds.values()
    assert (refund["amount"], refund["payment_intent"]) == (PRICE, intent)
    refund_requests = [r for r in fake.requests if r.path == "/v1/refunds"]
    assert [r.idempotency_key for r in refund_requests] == [f"booking-{booking.id}-cancel-refund"]
    # Stripe delivers the event again: nothing more goes back.
    for event in fake.events:
        fake.resend(event["id"])
    assert len(fake.refunds) == 1


def test_money_that_is_not_the_price_never_confirms_and_goes_back(
    stripe_app: Dogcare, fake: FakeStripe, webhooks: WebhookReceiver
) -> None:
    app = stripe_app
    ana = customer(app)
    booking = book(app, ana)
    payment = pay(app, ana, booking)
    raise_price(app, booking, PRICE * 30)  # whatever let the price change under a started payment

    intent = str(payment.provider_reference)
    fake.confirm(intent)
    # The refund's own webhook is delivered while the first is being handled: order them.
    assert sorted(webhooks.outcomes) == [
        ("charge.refunded", 200, "applied"),
        ("payment_intent.succeeded", 200, "price_mismatch"),
    ]
    assert app.booking_repository.get(booking.id).status == "pending"
    refunded = app.payment_repository.get(payment.id)
    assert (refunded.status, refunded.amount_refunded) == ("refunded", PRICE)
    assert [r["amount"] for r in fake.refunds.values()] == [PRICE]


def raise_price(app: Dogcare, booking: Booking, amount: int) -> None:
    B = app.store.models.Booking
    item = B.get(keys.booking_pk(booking.id), keys.PROFILE, consistent_read=True)
    item.update(actions=[B.price.amount.set(amount)])


def test_the_webhook_function_emits_payment_amount_mismatch(
    lambda_env: Any,  # noqa: F811 - the fixture
    metrics_on: None,  # noqa: F811 - the fixture
    capsys: pytest.CaptureFixture[str],
) -> None:
    from datetime import UTC, datetime, timedelta

    alice = Caller("alice-sub")
    invoke(
        "OwnersFunction",
        api_event(
            "POST",
            "/owners/register",
            caller=alice,
            body={"name": "A"},
            headers=id_token_header(alice.sub, "a@example.com"),
        ),
    )
    vaccinations = [{"name": n, "expires_on": "2099-01-01"} for n in ("rabies", "dhpp", "bordetella")]
    dog = body_of(
        invoke(
            "DogsFunction",
            api_event(
                "POST", "/dogs", caller=alice, body={"name": "Rex", "size": "large", "vaccinations": vaccinations}
            ),
        )
    )
    day = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    stay = {
        "dog_id": dog["id"],
        "service_type": "daycare",
        "start_time": f"{day}T09:00:00Z",
        "end_time": f"{day}T17:00:00Z",
    }
    booking = body_of(invoke("BookingsFunction", api_event("POST", "/bookings", caller=alice, body=stay)))
    payment = body_of(
        invoke("PaymentsFunction", api_event("POST", "/payments", caller=alice, body={"booking_id": booking["id"]}))
    )
    B = lambda_env.store.models.Booking
    B.get(keys.booking_pk(booking["id"]), keys.PROFILE, consistent_read=True).update(actions=[B.price.amount.set(1)])
    gateway = lambda_env.payment_gateway
    gateway.succeed(payment["provider_reference"])
    body, signature = gateway.signed_event(str(gateway.events_of("payment_intent.succeeded")[-1]["id"]))
    capsys.readouterr()

    response = invoke(
        "PaymentsFunction",
        api_event("POST", "/payments/webhook", body=body.decode(), headers={"Stripe-Signature": signature}),
    )

    assert response["statusCode"] == 200
    assert body_of(response) == {"received": True, "outcome": "price_mismatch"}
    emf = [d for d in json_lines(capsys.readouterr().out) if "_aws" in d and "PaymentAmountMismatch" in d]
    assert len(emf) == 1
    (directive,) = emf[0]["_aws"]["CloudWatchMetrics"]
    assert {"Name": "PaymentAmountMismatch", "Unit": "Count"} in directive["Metrics"]
    assert gateway.amount_refunded(payment["provider_reference"]) == int(payment["amount"].replace(".", ""))


def test_the_sweeper_function_expires_due_holds_and_counts_them(
    lambda_env: Any,  # noqa: F811 - the fixture
    metrics_on: None,  # noqa: F811 - the fixture
    capsys: pytest.CaptureFixture[str],
) -> None:
    from datetime import UTC, datetime, timedelta

    from tests.deploy.conftest import scheduled_event
    from tests.deploy.test_permissions_recorded import expire_hold_now

    bo = Caller("bo-sub")
    invoke(
        "OwnersFunction",
        api_event(
            "POST", "/owners/register", caller=bo, body={"name": "B"}, headers=id_token_header(bo.sub, "b@example.com")
        ),
    )
    vaccinations = [{"name": n, "expires_on": "2099-01-01"} for n in ("rabies", "dhpp", "bordetella")]
    dog = body_of(
        invoke(
            "DogsFunction",
            api_event("POST", "/dogs", caller=bo, body={"name": "Ivy", "size": "small", "vaccinations": vaccinations}),
        )
    )
    day = (datetime.now(UTC) + timedelta(days=9)).date().isoformat()
    stay = {
        "dog_id": dog["id"],
        "service_type": "daycare",
        "start_time": f"{day}T09:00:00Z",
        "end_time": f"{day}T17:00:00Z",
    }
    due = body_of(invoke("BookingsFunction", api_event("POST", "/bookings", caller=bo, body=stay)))
    later = body_of(
        invoke(
            "BookingsFunction",
            api_event(
                "POST",
                "/bookings",
                caller=bo,
                body={
                    **stay,
                    "start_time": f"{day}T18:00:00Z",
                    "end_time": f"{day}T19:00:00Z",
                    "service_type": "parking",
                },
            ),
        )
    )
    expire_hold_now(lambda_env, due["id"])
    capsys.readouterr()

    assert invoke("SweeperFunction", scheduled_event()) == {"expired": 1, "skipped": 0, "more": False}

    documents = json_lines(capsys.readouterr().out)
    emf = [d for d in documents if "_aws" in d and "HoldsExpired" in d]
    assert len(emf) == 1
    assert emf[0]["HoldsExpired"] in ([1.0], 1.0)
    (swept,) = [d for d in documents if d.get("message") == "holds swept"]
    assert swept["expired"] == 1
    repo = lambda_env.booking_repository
    assert (repo.get(due["id"]).status, repo.get(later["id"]).status) == ("expired", "pending")
