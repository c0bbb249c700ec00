"""The in-memory payment gateway keeps Stripe's semantics (it stands in for Stripe in tests)."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from dogcare.errors import InvalidWebhook, PaymentProviderError, PaymentProviderUnavailable
from dogcare.payments.gateway import (
    EVENT_CHARGE_REFUNDED,
    EVENT_INTENT_CANCELED,
    EVENT_INTENT_FAILED,
    EVENT_INTENT_SUCCEEDED,
    IntentResult,
    PaymentGateway,
    RefundResult,
)
from dogcare.testing.payment_gateway import InMemoryPaymentGateway, sign_payload

NOW = 1_800_000_000


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def gw(clock: Clock) -> InMemoryPaymentGateway:
    return InMemoryPaymentGateway("whsec_unit", clock=clock)


def new_intent(gw: InMemoryPaymentGateway, amount: int = 5000, key: str = "create-1") -> IntentResult:
    return gw.create_intent(amount=amount, currency="usd", metadata={"booking_id": "b-1"}, idempotency_key=key)


def paid_intent(gw: InMemoryPaymentGateway, amount: int = 5000, key: str = "create-1") -> IntentResult:
    intent = new_intent(gw, amount, key)
    gw.succeed(intent.id)
    return intent


def test_satisfies_the_port(gw: InMemoryPaymentGateway) -> None:
    assert isinstance(gw, PaymentGateway)


# --- intents ------------------------------------------------------------------------------


def test_create_returns_a_fresh_intent_with_uppercase_currency(gw: InMemoryPaymentGateway) -> None:
    metadata = {"booking_id": "b-1", "owner_id": "o-9"}
    intent = gw.create_intent(amount=4250, currency="eur", metadata=metadata, idempotency_key="k")

    assert intent.id.startswith("pi_")
    assert intent.client_secret is not None
    assert intent.client_secret.startswith(f"{intent.id}_secret_")
    assert intent.status == "requires_payment_method"
    assert (intent.amount, intent.currency, intent.metadata) == (4250, "EUR", metadata)
    metadata["booking_id"] = "changed"
    assert gw.retrieve_intent(intent.id).metadata["booking_id"] == "b-1"


def test_client_secret_is_not_in_repr(gw: InMemoryPaymentGateway) -> None:
    intent = new_intent(gw)
    assert intent.client_secret is not None
    assert intent.client_secret not in repr(intent)


def test_retrieve_sees_state_changes(gw: InMemoryPaymentGateway) -> None:
    intent = new_intent(gw)
    gw.succeed(intent.id)
    assert gw.retrieve_intent(intent.id).status == "succeeded"


def test_retrieve_unknown_intent_is_a_provider_error(gw: InMemoryPaymentGateway) -> None:
    with pytest.raises(PaymentProviderError, match="No such payment_intent"):
        gw.retrieve_intent("pi_missing")


@pytest.mark.parametrize(
    ("amount", "currency", "metadata", "key"),
    [
        (0, "usd", {}, "k"),
        (-100, "usd", {}, "k"),
        (True, "usd", {}, "k"),
        (12.5, "usd", {}, "k"),
        (49, "usd", {}, "k"),  # below Stripe's minimum charge
        (5000, "us", {}, "k"),
        (5000, "us1", {}, "k"),
        (5000, "usd", {"n": 1}, "k"),
        (5000, "usd", {f"k{i}": "v" for i in range(51)}, "k"),
        (5000, "usd", {"x" * 41: "v"}, "k"),
        (5000, "usd", {"k": "v" * 501}, "k"),
        (5000, "usd", {}, ""),
        (5000, "usd", {}, "k" * 256),
    ],
)
def test_invalid_create_arguments_are_refused(
    gw: InMemoryPaymentGateway, amount: object, currency: str, metadata: dict[str, object], key: str
) -> None:
    with pytest.raises(PaymentProviderError):
        gw.create_intent(amount=amount, currency=currency, metadata=metadata, idempotency_key=key)  # type: ignore[arg-type]
    assert gw.intents == {}


# --- idempotency ----------------------------------------------------------------------------


def test_same_key_same_params_replays_the_first_intent(gw: InMemoryPaymentGateway) -> None:
    first = new_intent(gw, key="same")
    again = gw.create_intent(amount=5000, currency="USD", metadata={"booking_id": "b-1"}, idempotency_key="same")

    assert again == first
    assert list(gw.intents) == [first.id]


def test_replay_returns_the_recorded_response_not_the_current_state(gw: InMemoryPaymentGateway) -> None:
    first = new_intent(gw, key="same")
    gw.succeed(first.id)
    assert new_intent(gw, key="same").status == "requires_payment_method"


@pytest.mark.parametrize(
    "changes",
    [{"amount": 5001}, {"currency": "eur"}, {"metadata": {"booking_id": "b-2"}}],
)
def test_same_key_different_params_is_refused(gw: InMemoryPaymentGateway, changes: dict[str, object]) -> None:
    new_intent(gw, key="same")
    params: dict[str, object] = {"amount": 5000, "currency": "usd", "metadata": {"booking_id": "b-1"}}
    params.update(changes)
    with pytest.raises(PaymentProviderError, match="idempotency"):
        gw.create_intent(idempotency_key="same", **params)  # type: ignore[arg-type]
    assert len(gw.intents) == 1


def test_a_key_cannot_be_reused_for_another_operation(gw: InMemoryPaymentGateway) -> None:
    intent = paid_intent(gw, key="shared")
    with pytest.raises(PaymentProviderError, match="idempotency"):
        gw.refund(intent.id, amount=100, idempotency_key="shared")
    assert gw.amount_refunded(intent.id) == 0


def test_a_refused_validation_does_not_consume_the_key(gw: InMemoryPaymentGateway) -> None:
    with pytest.raises(PaymentProviderError):
        gw.create_intent(amount=10, currency="usd", metadata={}, idempotency_key="k")
    intent = gw.create_intent(amount=5000, currency="usd", metadata={}, idempotency_key="k")
    assert intent.amount == 5000


def test_concurrent_creates_with_one_key_make_one_intent(gw: InMemoryPaymentGateway) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: new_intent(gw, key="race"), range(32)))
    assert {result.id for result in results} == set(gw.intents)
    assert len(gw.intents) == 1


# --- confirmation helpers and events ------------------------------------------------------------


def test_succeed_records_a_succeeded_event_with_the_intent(gw: InMemoryPaymentGateway) -> None:
    intent = new_intent(gw)
    result = gw.succeed(intent.id)

    assert result.status == "succeeded"
    assert gw.intents[intent.id]["amount_received"] == 5000
    [event] = gw.events
    assert event["type"] == EVENT_INTENT_SUCCEEDED
    assert event["id"].startswith("evt_")
    assert event["created"] == NOW
    assert event["data"]["object"]["id"] == intent.id
    assert event["data"]["object"]["metadata"] == {"booking_id": "b-1"}
    assert event["data"]["object"]["currency"] == "usd"


def test_decline_leaves_intent_payable_and_records_failure(gw: InMemoryPaymentGateway) -> None:
    intent = new_intent(gw)
    result = gw.decline(intent.id, decline_code="insufficient_funds")

    assert result.status == "requires_payment_method"
    [event] = gw.events
    assert event["type"] == EVENT_INTENT_FAILED
    assert event["data"]["object"]["last_payment_error"]["decline_code"] == "insufficient_funds"
    assert gw.succeed(intent.id).status == "succeeded"  # a later attempt can still pay


def test_succeed_refuses_finished_intents(gw: InMemoryPaymentGateway) -> None:
    intent = paid_intent(gw)
    with pytest.raises(PaymentProviderError):
        gw.succeed(intent.id)
    other = new_intent(gw, key="other")
    gw.cancel_intent(other.id, idempotency_key="cancel")
    with pytest.raises(PaymentProviderError):
        gw.succeed(other.id)
    with pytest.raises(PaymentProviderError):
        gw.decline(other.id)


# --- cancel -----------------------------------------------------------------------------------


def test_cancel_an_unpaid_intent(gw: InMemoryPaymentGateway) -> None:
    intent = new_intent(gw)
    result = gw.cancel_intent(intent.id, idempotency_key="cancel-1")

    assert result.status == "canceled"
    assert gw.retrieve_intent(intent.id).status == "canceled"
    assert [event["type"] for event in gw.events] == [EVENT_INTENT_CANCELED]
    assert gw.events[0]["request"]["idempotency_key"] == "cancel-1"


def test_cancel_replay_returns_the_same_result_without_a_second_event(gw: InMemoryPaymentGateway) -> None:
    intent = new_intent(gw)
    first = gw.cancel_intent(intent.id, idempotency_key="cancel-1")
    assert gw.cancel_intent(intent.id, idempotency_key="cancel-1") == first
    assert len(gw.events) == 1


def test_cancel_refuses_a_succeeded_or_canceled_intent(gw: InMemoryPaymentGateway) -> None:
    paid = paid_intent(gw)
    with pytest.raises(PaymentProviderError, match="succeeded"):
        gw.cancel_intent(paid.id, idempotency_key="c1")
    unpaid = new_intent(gw, key="other")
    gw.cancel_intent(unpaid.id, idempotency_key="c2")
    with pytest.raises(PaymentProviderError, match="canceled"):
        gw.cancel_intent(unpaid.id, idempotency_key="c3")


# --- refunds ----------------------------------------------------------------------------------


def test_refund_requires_a_succeeded_intent(gw: InMemoryPaymentGateway) -> None:
    intent = new_intent(gw)
    with pytest.raises(PaymentProviderError, match="no successful charge"):
        gw.refund(intent.id, amount=100, idempotency_key="r1")


def test_partial_refunds_up_to_the_captured_amount(gw: InMemoryPaymentGateway) -> None:
    intent = paid_intent(gw, amount=5000)
    first = gw.refund(intent.id, amount=3000, idempotency_key="r1")
    second = gw.refund(intent.id, amount=2000, idempotency_key="r2")

    assert isinstance(first, RefundResult)
    assert (first.status, first.amount, first.payment_intent) == ("succeeded", 3000, intent.id)
    assert first.id.startswith("re_")
    assert first.id != second.id
    assert gw.amount_refunded(intent.id) == 5000
    with pytest.raises(PaymentProviderError, match="already been refunded"):
        gw.refund(intent.id, amount=1, idempotency_key="r3")


def test_refund_over_the_remaining_amount_is_refused(gw: InMemoryPaymentGateway) -> None:
    intent = paid_intent(gw, amount=5000)
    gw.refund(intent.id, amount=4000, idempotency_key="r1")
    with pytest.raises(PaymentProviderError, match="greater than unrefunded"):
        gw.refund(intent.id, amount=1001, idempotency_key="r2")
    assert gw.amount_refunded(intent.id) == 4000
    assert gw.refund(intent.id, amount=1000, idempotency_key="r3").amount == 1000


def test_refund_replay_does_not_refund_twice(gw: InMemoryPaymentGateway) -> None:
    intent = paid_intent(gw)
    first = gw.refund(intent.id, amount=1500, idempotency_key="r1")
    assert gw.refund(intent.id, amount=1500, idempotency_key="r1") == first
    assert gw.amount_refunded(intent.id) == 1500
    assert gw.refunds_of(intent.id) == [first]


def test_a_refused_refund_is_replayed_as_refused(gw: InMemoryPaymentGateway) -> None:
    intent = new_intent(gw)
    with pytest.raises(PaymentProviderError):
        gw.refund(intent.id, amount=100, idempotency_key="early")
    gw.succeed(intent.id)
    # Stripe stores the outcome of an executed request under its key: a new key is needed.
    with pytest.raises(PaymentProviderError, match="no successful charge"):
        gw.refund(intent.id, amount=100, idempotency_key="early")
    assert gw.refund(intent.id, amount=100, idempotency_key="later").amount == 100


def test_refund_records_a_charge_refunded_event(gw: InMemoryPaymentGateway) -> None:
    intent = paid_intent(gw, amount=5000)
    gw.refund(intent.id, amount=5000, idempotency_key="r1")
    event = gw.events_of(EVENT_CHARGE_REFUNDED)[0]
    charge = event["data"]["object"]
    assert charge["object"] == "charge"
    assert charge["id"].startswith("ch_")
    assert (charge["payment_intent"], charge["amount"], charge["amount_refunded"]) == (intent.id, 5000, 5000)
    assert charge["refunded"] is True
    assert charge["metadata"] == {"booking_id": "b-1"}


def test_concurrent_refunds_never_exceed_the_captured_amount(gw: InMemoryPaymentGateway) -> None:
    intent = paid_intent(gw, amount=1000)

    def attempt(i: int) -> bool:
        try:
            gw.refund(intent.id, amount=100, idempotency_key=f"r{i}")
        except PaymentProviderError:
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(25)))
    assert outcomes.count(True) == 10
    assert gw.amount_refunded(intent.id) == 1000


# --- outages ----------------------------------------------------------------------------------


def test_unavailable_switch_fails_every_call_without_side_effects(gw: InMemoryPaymentGateway) -> None:
    intent = paid_intent(gw)
    gw.unavailable = True
    with pytest.raises(PaymentProviderUnavailable):
        new_intent(gw, key="during-outage")
    with pytest.raises(PaymentProviderUnavailable):
        gw.refund(intent.id, amount=100, idempotency_key="r1")
    with pytest.raises(PaymentProviderUnavailable):
        gw.retrieve_intent(intent.id)
    gw.unavailable = False
    assert len(gw.intents) == 1
    assert gw.amount_refunded(intent.id) == 0
    assert gw.refund(intent.id, amount=100, idempotency_key="r1").amount == 100


def test_fail_next_fails_exactly_n_calls(gw: InMemoryPaymentGateway) -> None:
    gw.fail_next(2)
    for _ in range(2):
        with pytest.raises(PaymentProviderUnavailable):
            new_intent(gw)
    assert gw.intents == {}
    assert new_intent(gw).amount == 5000
    assert gw.calls == ["create_intent"] * 3


def test_a_lost_response_took_effect_and_a_retry_with_the_key_recovers_it(gw: InMemoryPaymentGateway) -> None:
    gw.lose_next_response()
    with pytest.raises(PaymentProviderUnavailable):
        new_intent(gw, key="k")
    [intent_id] = gw.intents
    assert new_intent(gw, key="k").id == intent_id
    assert len(gw.intents) == 1


# --- webhooks ---------------------------------------------------------------------------------


def test_signed_event_round_trips_through_parse_webhook(gw: InMemoryPaymentGateway) -> None:
    intent = paid_intent(gw)
    [recorded] = gw.events
    payload, header = gw.signed_event(recorded["id"])

    event = gw.parse_webhook(payload, header)
    assert (event.id, event.type, event.created) == (recorded["id"], EVENT_INTENT_SUCCEEDED, NOW)
    assert (event.intent_id, event.amount, event.currency) == (
        intent.id,
        intent.amount,
        "usd",
    )  # as the provider spells it


def test_missing_signature_is_invalid(gw: InMemoryPaymentGateway) -> None:
    payload, _ = gw.signed_event(paid_and_event(gw))
    for header in (None, ""):
        with pytest.raises(InvalidWebhook, match="missing"):
            gw.parse_webhook(payload, header)


def test_signature_with_another_secret_is_invalid(gw: InMemoryPaymentGateway) -> None:
    payload, _ = gw.signed_event(paid_and_event(gw))
    with pytest.raises(InvalidWebhook, match="no signature matches"):
        gw.parse_webhook(payload, sign_payload(payload, "whsec_other", NOW))


def test_stale_signature_is_invalid(gw: InMemoryPaymentGateway) -> None:
    payload, header = gw.signed_event(paid_and_event(gw), timestamp=NOW - 301)
    with pytest.raises(InvalidWebhook, match="older than 300"):
        gw.parse_webhook(payload, header)
    payload, header = gw.signed_event(paid_and_event(gw, key="k2"), timestamp=NOW - 299)
    assert gw.parse_webhook(payload, header).type == EVENT_INTENT_SUCCEEDED


def test_tampered_payload_is_invalid(gw: InMemoryPaymentGateway) -> None:
    payload, header = gw.signed_event(paid_and_event(gw))
    tampered = payload.replace(b'"amount":5000', b'"amount":1')
    assert tampered != payload
    with pytest.raises(InvalidWebhook):
        gw.parse_webhook(tampered, header)


@pytest.mark.parametrize("header", ["garbage", "t=abc,v1=00", "t=1800000000", "v1=00"])
def test_malformed_signature_header_is_invalid(gw: InMemoryPaymentGateway, header: str) -> None:
    with pytest.raises(InvalidWebhook):
        gw.parse_webhook(b"{}", header)


@pytest.mark.parametrize("payload", [b"not json", b"[1, 2]", b'{"id": "evt_1"}', b"\xff\xfe"])
def test_signed_but_malformed_body_is_invalid(gw: InMemoryPaymentGateway, payload: bytes) -> None:
    with pytest.raises(InvalidWebhook):
        gw.parse_webhook(payload, gw.sign(payload))


def test_any_matching_v1_signature_is_accepted(gw: InMemoryPaymentGateway) -> None:
    """During a secret roll Stripe signs with both secrets."""
    payload, header = gw.signed_event(paid_and_event(gw))
    old = sign_payload(payload, "whsec_old", NOW).split(",")[1]
    assert gw.parse_webhook(payload, f"{header},{old}").type == EVENT_INTENT_SUCCEEDED


def test_signatures_interoperate_with_the_stripe_library(gw: InMemoryPaymentGateway) -> None:
    stripe = pytest.importorskip("stripe")
    document = {"id": "evt_1", "object": "event", "type": "x.y", "created": NOW, "data": {"object": {}}}
    payload = json.dumps(document).encode()
    real_clock_gw = InMemoryPaymentGateway("whsec_interop")

    stripe.WebhookSignature.verify_header(payload, real_clock_gw.sign(payload), "whsec_interop", 300)
    header = stripe.WebhookSignature.generate_signature_header(payload.decode(), "whsec_interop")
    assert real_clock_gw.parse_webhook(payload, header).id == "evt_1"


def test_gateways_are_independent_and_thread_safe() -> None:
    a, b = InMemoryPaymentGateway(), InMemoryPaymentGateway()
    barrier = threading.Barrier(4)

    def work(i: int) -> None:
        barrier.wait()
        for j in range(25):
            a.create_intent(amount=100, currency="usd", metadata={}, idempotency_key=f"{i}-{j}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(a.intents) == 100
    assert b.intents == {}


def paid_and_event(gw: InMemoryPaymentGateway, key: str = "create-1") -> str:
    paid_intent(gw, key=key)
    return gw.events[-1]["id"]
