"""An invocation cut off after its write but before its answer (a Lambda timeout), then the
client's retry with the same ``Idempotency-Key``: never a second booking, never a second charge.

The cut-off is a ``BaseException`` raised right after the service returns: like the runtime
stopping the function, it runs no further handler code, so the idempotency record is left
"in progress" exactly as a timed-out invocation leaves it.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dogcare.commands import NewBooking, NewDog
from dogcare.local.gateway import GatewayResponse, LambdaContext
from dogcare.testing.factories import actor_of, register_owner
from dogcare.testing.payment_gateway import InMemoryPaymentGateway
from handlers.registry import match
from tests.reliability.api import ENV, Api, booking_body, configure, dog_body, reset_runtime
from tests.reliability.invariants import data_items

pytestmark = pytest.mark.server

IN_PROGRESS_SECONDS = 1.0  # the function's remaining time when cut off: how long the key stays "in flight"


class LambdaTimeout(BaseException):
    """The runtime ending the invocation (not an ``Exception``: nothing catches it on the way out)."""


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch, dynamodb_endpoint: str, tmp_path: Path) -> Iterator[Api]:
    yield configure(monkeypatch, dynamodb_endpoint, f"cut-{uuid.uuid4().hex[:10]}", tmp_path)
    reset_runtime()


def invoke(api: Api, sub: str, method: str, path: str, body: Any, key: str) -> GatewayResponse:
    """One invocation with a short Lambda timeout (``LocalGateway.invoke`` with our own context)."""
    gateway = api.gateway
    headers = api.headers(sub, **{"Idempotency-Key": key})
    found = match(method, path)
    assert found is not None
    route, params = found
    event = gateway.event(
        method, path, headers, json.dumps(body).encode(), "127.0.0.1", route.path, params, gateway.authorize(headers)
    )
    context = LambdaContext(function_name=route.function, timeout_seconds=IN_PROGRESS_SECONDS)
    return gateway._response(gateway.pools[route.function].invoke(event, context))


def cut_off_after(monkeypatch: pytest.MonkeyPatch, service: Any, name: str) -> list[Any]:
    """Make ``service.name`` do its work, then stop the invocation (once). Returns what it did."""
    original: Callable[..., Any] = getattr(service, name)
    done: list[Any] = []

    def work_then_stop(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if not done:
            done.append(result)
            raise LambdaTimeout()
        return result

    monkeypatch.setattr(service, name, work_then_stop)
    return done


def setup_owner_and_dog(api: Api, sub: str) -> tuple[str, str]:
    owner = register_owner(api.app, sub, name="Ana")
    dog = api.app.dogs.add(actor_of(owner), NewDog.model_validate(dog_body()))
    return owner.id, dog.id


def bookings_of(api: Api, dog_id: str) -> list[dict[str, Any]]:
    return [i for i in data_items(api.items()) if i.get("entity_type") == "booking" and i["dog_id"] == dog_id]


def test_a_booking_cut_off_after_its_write_is_made_once_whatever_the_retries(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub, key = "cut-booking", f"key-{uuid.uuid4().hex}"
    _, dog_id = setup_owner_and_dog(api, sub)
    body = booking_body(dog_id)
    made = cut_off_after(monkeypatch, api.app.bookings, "create")

    with pytest.raises(LambdaTimeout):
        invoke(api, sub, "POST", "/bookings", body, key)
    assert len(made) == 1 and len(bookings_of(api, dog_id)) == 1  # the write happened, the answer did not

    # The client retries at once: the key is still in flight (the cut-off invocation holds it).
    early = invoke(api, sub, "POST", "/bookings", body, key)
    assert early.status == 409, early.body
    assert json.loads(early.body)["type"] == "/problems/idempotency-key-in-flight"

    # After the function's timeout the key is free again; the retry runs, and the dog's
    # schedule refuses a second booking of the same stay.
    time.sleep(IN_PROGRESS_SECONDS + 0.2)
    late = invoke(api, sub, "POST", "/bookings", body, key)
    assert late.status in (201, 409), late.body
    stored = bookings_of(api, dog_id)
    assert len(stored) == 1, stored
    if late.status == 201:
        assert json.loads(late.body)["id"] == stored[0]["id"]
    else:
        assert json.loads(late.body)["type"] == "/problems/overlapping-booking"
    api.check()


def test_a_payment_cut_off_after_its_intent_is_charged_once_whatever_the_retries(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    stripe = InMemoryPaymentGateway(webhook_secret=ENV["DOGCARE_STRIPE_WEBHOOK_SECRET"])
    api.app.payment_gateway = stripe
    sub, key = "cut-payment", f"key-{uuid.uuid4().hex}"
    owner_id, dog_id = setup_owner_and_dog(api, sub)
    booking = api.app.bookings.create(actor_of(owner_id), NewBooking.model_validate(booking_body(dog_id)))
    made = cut_off_after(monkeypatch, api.app.payments, "create")

    with pytest.raises(LambdaTimeout):
        invoke(api, sub, "POST", "/payments", {"booking_id": booking.id}, key)
    assert len(made) == 1 and len(stripe.intents) == 1

    assert invoke(api, sub, "POST", "/payments", {"booking_id": booking.id}, key).status == 409  # in flight
    time.sleep(IN_PROGRESS_SECONDS + 0.2)
    retry = invoke(api, sub, "POST", "/payments", {"booking_id": booking.id}, key)
    assert retry.status == 201, retry.body
    paid = json.loads(retry.body)
    assert paid["id"] == made[0].id  # the same payment record...
    assert len(stripe.intents) == 1  # ...and the same PaymentIntent: the card can be charged once

    # The customer pays; the provider delivers the webhook twice.
    stripe.succeed(next(iter(stripe.intents)))
    body, signature = stripe.signed_event(stripe.events_of("payment_intent.succeeded")[0])
    for _ in range(2):
        response = api.gateway.invoke(
            "POST", "/payments/webhook", {"Content-Type": "application/json", "Stripe-Signature": signature}, body
        )
        assert response.status == 200, response.body
    assert api.app.bookings.get(actor_of(owner_id), booking.id).status == "confirmed"
    assert [i["status"] for i in stripe.intents.values()] == ["succeeded"]
    api.check()
