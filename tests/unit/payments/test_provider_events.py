"""The gateway port hands the payment service typed provider events: the provider's JSON is
read once, in ``event_from_json``, and a fact stated with the wrong type becomes ``None`` (which
the service refuses to apply) instead of reaching the service as a raw value."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from dogcare.payments.gateway import (
    EVENT_CHARGE_REFUNDED,
    EVENT_INTENT_FAILED,
    EVENT_INTENT_SUCCEEDED,
    FAILURE_REASON_MAX,
    WebhookEvent,
    event_from_json,
)


def document(event_type: str, **data_object: Any) -> dict[str, Any]:
    return {"id": "evt_1", "type": event_type, "created": 1_700_000_000, "data": {"object": data_object}}


def test_an_intent_event_is_read_into_typed_facts() -> None:
    event = event_from_json(
        document(EVENT_INTENT_SUCCEEDED, id="pi_1", amount=5000, currency="usd", metadata={"payment_id": "payment-1"})
    )
    assert event == WebhookEvent(
        id="evt_1",
        type=EVENT_INTENT_SUCCEEDED,
        created=1_700_000_000,
        intent_id="pi_1",
        amount=5000,
        currency="usd",
        amount_refunded=0,
        metadata={"payment_id": "payment-1"},
        failure_reason=None,
    )


def test_a_charge_names_its_intent_as_payment_intent() -> None:
    event = event_from_json(document(EVENT_CHARGE_REFUNDED, id="ch_1", payment_intent="pi_1", amount_refunded=1200))
    assert (event.intent_id, event.amount_refunded) == ("pi_1", 1200)


@pytest.mark.parametrize("amount", [True, "5000", 50.0, None, [5000]])
def test_an_amount_that_is_not_an_integer_is_no_amount(amount: Any) -> None:
    event = event_from_json(document(EVENT_INTENT_SUCCEEDED, id="pi_1", amount=amount, amount_refunded=amount))
    assert (event.amount, event.amount_refunded) == (None, None)


def test_only_string_metadata_and_string_ids_are_kept() -> None:
    raw = document(EVENT_INTENT_SUCCEEDED, id=7, currency=840, metadata={"payment_id": 1, "booking_id": "b-1"})
    event = event_from_json(raw)
    assert (event.intent_id, event.currency, dict(event.metadata)) == (None, None, {"booking_id": "b-1"})
    assert event_from_json(document(EVENT_INTENT_SUCCEEDED, metadata="payment-1")).metadata == {}


def test_a_failure_reason_is_read_only_from_a_failed_intent_and_bounded() -> None:
    error = {"code": "card_declined", "decline_code": "generic_decline", "message": "Declined. " * 100}
    failed = event_from_json(document(EVENT_INTENT_FAILED, id="pi_1", last_payment_error=error))
    assert failed.failure_reason is not None and failed.failure_reason.startswith("card_declined/generic_decline: ")
    assert len(failed.failure_reason) == FAILURE_REASON_MAX
    assert event_from_json(document(EVENT_INTENT_FAILED, id="pi_1")).failure_reason == "payment failed"
    assert event_from_json(document(EVENT_INTENT_SUCCEEDED, last_payment_error=error)).failure_reason is None


def test_the_event_carries_no_raw_provider_object() -> None:
    raw_types = {f.name: f.type for f in dataclasses.fields(WebhookEvent)}
    assert not any("dict" in str(kind) or "Any" in str(kind) for kind in raw_types.values()), raw_types
