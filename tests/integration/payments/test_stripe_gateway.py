"""The real StripeGateway and Stripe SDK against the local fake Stripe server over HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from dogcare.errors import InvalidWebhook, PaymentProviderError, PaymentProviderUnavailable
from dogcare.local.fake_stripe import FakeStripe
from dogcare.payments.gateway import IntentResult, PaymentGateway
from dogcare.payments.secrets import StripeKeys, build_gateway, reset_gateway_cache, write_local_keys
from dogcare.payments.stripe_gateway import STRIPE_API_VERSION, StripeGateway
from dogcare.settings import Settings
from dogcare.testing.payment_gateway import InMemoryPaymentGateway

SECRET_KEY = "sk_test_integration_0123456789"
WEBHOOK_SECRET = "whsec_integration_0123456789"
META = {"booking_id": "bk_1", "owner_id": "ow_1"}


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    server = FakeStripe(secret_key=SECRET_KEY, webhook_secret=WEBHOOK_SECRET)
    server.start()
    yield server
    server.stop()


def make_gateway(fake: FakeStripe, **options: Any) -> StripeGateway:
    options.setdefault("timeout_seconds", 5)
    return StripeGateway(SECRET_KEY, WEBHOOK_SECRET, api_base=fake.base_url, **options)


@pytest.fixture
def gateway(fake: FakeStripe) -> StripeGateway:
    return make_gateway(fake)


def create(gateway: PaymentGateway, amount: int = 5000, key: str = "create-1") -> IntentResult:
    return gateway.create_intent(amount=amount, currency="usd", metadata=META, idempotency_key=key)


# --- a local webhook receiver ----------------------------------------------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str = ""
    status: int = 200
    received: list[Received] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/stripe"
    yield state
    server.shutdown()
    server.server_close()


# --- intents -------------------------------------------------------------------------------------


def test_create_intent(fake: FakeStripe, gateway: StripeGateway) -> None:
    intent = gateway.create_intent(amount=4250, currency="EUR", metadata=META, idempotency_key="k-1")

    assert intent.id.startswith("pi_")
    assert intent.client_secret is not None
    assert intent.client_secret.startswith(f"{intent.id}_secret_")
    assert (intent.status, intent.amount, intent.currency, intent.metadata) == (
        "requires_payment_method",
        4250,
        "EUR",
        META,
    )
    stored = fake.intents[intent.id]
    assert (stored["amount"], stored["currency"], stored["metadata"]) == (4250, "eur", META)
    [request] = fake.requests
    assert (request.method, request.path, request.idempotency_key) == ("POST", "/v1/payment_intents", "k-1")
    assert request.stripe_version == STRIPE_API_VERSION


def test_retrieve_intent_follows_payment(fake: FakeStripe, gateway: StripeGateway) -> None:
    intent = create(gateway)
    assert gateway.retrieve_intent(intent.id) == intent
    fake.confirm(intent.id)
    assert gateway.retrieve_intent(intent.id).status == "succeeded"


def test_retrieve_unknown_intent_is_a_provider_error(gateway: StripeGateway) -> None:
    with pytest.raises(PaymentProviderError, match=r"HTTP 404.*resource_missing"):
        gateway.retrieve_intent("pi_doesnotexist")


@pytest.mark.parametrize("bad_id", ["pi_a/../../v1/refunds", "re_123", "", "pi_"])
def test_malformed_ids_are_refused_before_any_request(fake: FakeStripe, gateway: StripeGateway, bad_id: str) -> None:
    with pytest.raises(PaymentProviderError, match="expected an id"):
        gateway.retrieve_intent(bad_id)
    with pytest.raises(PaymentProviderError, match="expected an id"):
        gateway.refund(bad_id, amount=100, idempotency_key="r-1")
    assert fake.request_count() == 0


def test_amount_below_stripe_minimum_is_refused_by_the_server(fake: FakeStripe, gateway: StripeGateway) -> None:
    with pytest.raises(PaymentProviderError, match="amount_too_small"):
        create(gateway, amount=49)
    assert fake.intents == {}


# --- idempotency ---------------------------------------------------------------------------------


def test_idempotent_replay_makes_one_intent(fake: FakeStripe, gateway: StripeGateway) -> None:
    first = create(gateway, key="same")
    second = gateway.create_intent(amount=5000, currency="USD", metadata=META, idempotency_key="same")

    assert second == first
    assert list(fake.intents) == [first.id]
    assert [r.replayed for r in fake.requests] == [False, True]


def test_same_key_different_amount_is_refused(fake: FakeStripe, gateway: StripeGateway) -> None:
    create(gateway, key="same")
    with pytest.raises(PaymentProviderError, match="idempotency_error") as caught:
        create(gateway, amount=5001, key="same")
    assert not isinstance(caught.value, PaymentProviderUnavailable)
    assert len(fake.intents) == 1


def test_concurrent_creates_with_one_key_make_one_intent(fake: FakeStripe, gateway: StripeGateway) -> None:
    start = threading.Barrier(8)

    def attempt(_: int) -> str:
        start.wait()
        return create(gateway, key="race").id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(attempt, range(8)))
    assert ids == set(fake.intents)
    assert len(ids) == 1
    assert fake.request_count("/v1/payment_intents", method="POST") == 8


# --- confirm (the customer's side, driven through the fake) ------------------------------------------


def test_confirm_succeeds_with_a_test_card(fake: FakeStripe, gateway: StripeGateway) -> None:
    intent = create(gateway)
    confirmed = fake.confirm(intent.id)

    assert confirmed["status"] == "succeeded"
    assert confirmed["amount_received"] == 5000
    charge = fake.charges[confirmed["latest_charge"]]
    assert (charge["paid"], charge["payment_intent"], charge["metadata"]) == (True, intent.id, META)
    assert gateway.retrieve_intent(intent.id).status == "succeeded"


def test_confirm_decline_leaves_the_intent_payable(fake: FakeStripe, gateway: StripeGateway) -> None:
    intent = create(gateway)
    declined = fake.confirm(intent.id, decline=True)

    assert declined["status"] == "requires_payment_method"
    assert declined["last_payment_error"]["code"] == "card_declined"
    assert gateway.retrieve_intent(intent.id).status == "requires_payment_method"
    assert fake.confirm(intent.id)["status"] == "succeeded"


def test_http_confirm_speaks_stripes_wire_format(fake: FakeStripe, gateway: StripeGateway) -> None:
    stripe = pytest.importorskip("stripe")
    client = stripe.StripeClient(SECRET_KEY, base_addresses={"api": fake.base_url}, max_network_retries=0)
    intent = create(gateway)

    with pytest.raises(stripe.CardError) as caught:
        client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_chargeDeclined"})
    assert caught.value.http_status == 402
    assert caught.value.code == "card_declined"
    assert caught.value.error.payment_intent.status == "requires_payment_method"

    confirmed = client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert (confirmed.status, confirmed.amount_received) == ("succeeded", 5000)
    with pytest.raises(stripe.InvalidRequestError, match="status of succeeded"):
        client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})


# --- cancel ----------------------------------------------------------------------------------------


def test_cancel_intent(fake: FakeStripe, gateway: StripeGateway) -> None:
    intent = create(gateway)
    canceled = gateway.cancel_intent(intent.id, idempotency_key="cancel-1")

    assert canceled.status == "canceled"
    assert fake.intents[intent.id]["canceled_at"] is not None
    assert gateway.cancel_intent(intent.id, idempotency_key="cancel-1") == canceled  # replay
    with pytest.raises(PaymentProviderError, match="payment_intent_unexpected_state"):
        gateway.cancel_intent(intent.id, idempotency_key="cancel-2")


def test_cancel_a_paid_intent_is_refused(fake: FakeStripe, gateway: StripeGateway) -> None:
    intent = create(gateway)
    fake.confirm(intent.id)
    with pytest.raises(PaymentProviderError, match="status of succeeded"):
        gateway.cancel_intent(intent.id, idempotency_key="cancel-1")
    assert fake.intents[intent.id]["status"] == "succeeded"


# --- refunds ---------------------------------------------------------------------------------------


def test_refund_and_the_refund_cap(fake: FakeStripe, gateway: StripeGateway) -> None:
    intent = create(gateway, amount=5000)
    with pytest.raises(PaymentProviderError, match="charge_not_refundable"):
        gateway.refund(intent.id, amount=1000, idempotency_key="too-early")
    fake.confirm(intent.id)

    first = gateway.refund(intent.id, amount=3000, idempotency_key="r-1")
    assert first.id.startswith("re_")
    assert (first.status, first.amount, first.payment_intent) == ("succeeded", 3000, intent.id)
    assert gateway.refund(intent.id, amount=3000, idempotency_key="r-1") == first  # replay, not a 2nd refund

    with pytest.raises(PaymentProviderError, match="amount_too_large"):
        gateway.refund(intent.id, amount=2001, idempotency_key="r-2")
    assert gateway.refund(intent.id, amount=2000, idempotency_key="r-3").amount == 2000
    with pytest.raises(PaymentProviderError, match="charge_already_refunded"):
        gateway.refund(intent.id, amount=1, idempotency_key="r-4")

    assert sorted(r["amount"] for r in fake.refunds.values()) == [2000, 3000]
    charge = fake.charges[fake.intents[intent.id]["latest_charge"]]
    assert (charge["amount_refunded"], charge["refunded"]) == (5000, True)


def test_concurrent_refunds_never_exceed_the_amount(fake: FakeStripe, gateway: StripeGateway) -> None:
    intent = create(gateway, amount=1000)
    fake.confirm(intent.id)

    def attempt(i: int) -> bool:
        try:
            gateway.refund(intent.id, amount=300, idempotency_key=f"r-{i}")
        except PaymentProviderError:
            return False
        return True

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(attempt, range(6)))
    assert outcomes.count(True) == 3
    assert sum(r["amount"] for r in fake.refunds.values()) == 900


# --- webhook signatures ----------------------------------------------------------------------------


def recorded_event(fake: FakeStripe, gateway: StripeGateway) -> bytes:
    intent = create(gateway)
    fake.confirm(intent.id)
    return json.dumps(fake.events[-1]).encode()


def test_webhook_with_a_good_signature_parses(fake: FakeStripe, gateway: StripeGateway) -> None:
    payload = recorded_event(fake, gateway)
    event = gateway.parse_webhook(payload, fake.sign(payload))

    assert event.type == "payment_intent.succeeded"
    assert event.id == fake.events[-1]["id"]
    assert event.created == fake.events[-1]["created"]
    assert event.metadata == META
    assert (event.intent_id, event.failure_reason) == (fake.events[-1]["data"]["object"]["id"], None)
    assert (event.amount, event.currency, event.amount_refunded) == (5000, "usd", 0)


@pytest.mark.parametrize("header", [None, ""])
def test_webhook_without_signature_is_invalid(fake: FakeStripe, gateway: StripeGateway, header: Any) -> None:
    with pytest.raises(InvalidWebhook, match="missing"):
        gateway.parse_webhook(recorded_event(fake, gateway), header)


def test_webhook_signed_with_another_secret_is_invalid(fake: FakeStripe, gateway: StripeGateway) -> None:
    payload = recorded_event(fake, gateway)
    other = FakeStripe(webhook_secret="whsec_somebody_else")
    with pytest.raises(InvalidWebhook, match="signature") as caught:
        gateway.parse_webhook(payload, other.sign(payload))
    assert WEBHOOK_SECRET not in caught.value.detail


@pytest.mark.parametrize("header", ["garbage", "t=notanumber,v1=abc", "t=1700000000"])
def test_webhook_with_a_malformed_header_is_invalid(fake: FakeStripe, gateway: StripeGateway, header: str) -> None:
    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(recorded_event(fake, gateway), header)


def test_webhook_with_a_stale_timestamp_is_invalid(fake: FakeStripe, gateway: StripeGateway) -> None:
    payload = recorded_event(fake, gateway)
    now = int(time.time())
    with pytest.raises(InvalidWebhook, match="tolerance"):
        gateway.parse_webhook(payload, fake.sign(payload, timestamp=now - 301))
    assert gateway.parse_webhook(payload, fake.sign(payload, timestamp=now - 290)).type


def test_webhook_with_a_tampered_payload_is_invalid(fake: FakeStripe, gateway: StripeGateway) -> None:
    payload = recorded_event(fake, gateway)
    header = fake.sign(payload)
    tampered = payload.replace(b'"amount": 5000', b'"amount": 5')
    assert tampered != payload
    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(tampered, header)


@pytest.mark.parametrize("payload", [b"not json", b"[]", b'{"id": "evt_1", "type": "x"}', b"\xff"])
def test_webhook_with_a_signed_malformed_body_is_invalid(
    fake: FakeStripe, gateway: StripeGateway, payload: bytes
) -> None:
    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(payload, fake.sign(payload))


# --- webhook delivery ------------------------------------------------------------------------------


def test_state_changes_are_delivered_as_signed_webhooks(
    fake: FakeStripe, gateway: StripeGateway, receiver: Receiver
) -> None:
    fake.webhook_url = receiver.url
    paid = create(gateway, key="paid")
    fake.confirm(paid.id, decline=True)
    fake.confirm(paid.id)
    gateway.refund(paid.id, amount=1200, idempotency_key="refund-1")
    # Delivery is synchronous: the event is already there when the API call returns.
    assert len(receiver.received) == 3
    unpaid = create(gateway, key="unpaid")
    gateway.cancel_intent(unpaid.id, idempotency_key="cancel-1")

    events = [gateway.parse_webhook(r.body, r.headers["stripe-signature"]) for r in receiver.received]
    assert [e.type for e in events] == [
        "payment_intent.payment_failed",
        "payment_intent.succeeded",
        "charge.refunded",
        "payment_intent.canceled",
    ]
    assert [e.id for e in events] == [e["id"] for e in fake.events]
    charge = events[2]  # a charge names its intent as payment_intent
    assert (charge.intent_id, charge.amount, charge.amount_refunded) == (paid.id, 5000, 1200)
    assert (charge.currency, charge.metadata) == ("usd", META)
    declined = events[0]  # the first card was declined, then the intent paid with another
    assert (declined.intent_id, declined.failure_reason) == (
        paid.id,
        "card_declined/generic_decline: Your card was declined.",
    )
    assert events[3].intent_id == unpaid.id
    assert all(r.headers["content-type"].startswith("application/json") for r in receiver.received)
    assert [d.status for d in fake.deliveries] == [200, 200, 200, 200]
    assert fake.events[2]["request"]["idempotency_key"] == "refund-1"


def test_failed_delivery_is_recorded_and_can_be_resent(
    fake: FakeStripe, gateway: StripeGateway, receiver: Receiver
) -> None:
    fake.webhook_url = receiver.url
    receiver.status = 500
    intent = create(gateway)
    fake.confirm(intent.id)
    [delivery] = fake.deliveries
    assert (delivery.status, delivery.ok) == (500, False)

    receiver.status = 200
    again = fake.resend(delivery.event_id)
    assert (again.status, again.ok, again.event_id) == (200, True, delivery.event_id)
    first, second = (json.loads(r.body)["id"] for r in receiver.received)
    assert first == second == delivery.event_id
    assert gateway.parse_webhook(receiver.received[1].body, receiver.received[1].headers["stripe-signature"])


def test_unreachable_webhook_url_is_recorded(fake: FakeStripe, gateway: StripeGateway) -> None:
    fake.webhook_url = "http://127.0.0.1:9/hooks"
    intent = create(gateway)
    assert fake.confirm(intent.id)["status"] == "succeeded"
    [delivery] = fake.deliveries
    assert delivery.status is None
    assert delivery.error


# --- failures and retries ----------------------------------------------------------------------------


def test_a_500_is_retried_by_the_sdk_with_the_same_key(fake: FakeStripe, gateway: StripeGateway) -> None:
    fake.fail_next(1, status=500)
    intent = create(gateway, key="retry-me")

    assert list(fake.intents) == [intent.id]
    assert [(r.status, r.idempotency_key) for r in fake.requests] == [(500, "retry-me"), (200, "retry-me")]


def test_persistent_500_is_unavailable(fake: FakeStripe) -> None:
    gateway = make_gateway(fake, max_network_retries=1)
    fake.fail_next(10, status=500)
    with pytest.raises(PaymentProviderUnavailable, match="HTTP 500"):
        create(gateway)
    assert fake.request_count("/v1/payment_intents") == 2
    assert fake.intents == {}


@pytest.mark.parametrize("status", [429, 503])
def test_rate_limit_and_5xx_are_unavailable(fake: FakeStripe, status: int) -> None:
    gateway = make_gateway(fake, max_network_retries=0)
    fake.fail_next(1, status=status)
    with pytest.raises(PaymentProviderUnavailable, match=f"HTTP {status}"):
        create(gateway)


def test_a_response_slower_than_the_timeout_is_unavailable(fake: FakeStripe) -> None:
    gateway = make_gateway(fake, timeout_seconds=0.3, max_network_retries=0)
    fake.delay_next(1, 2.0)
    started = time.monotonic()
    with pytest.raises(PaymentProviderUnavailable, match="no response"):
        create(gateway)
    assert time.monotonic() - started < 1.5


def test_a_timed_out_create_retried_with_its_key_makes_one_intent(fake: FakeStripe) -> None:
    gateway = make_gateway(fake, timeout_seconds=0.3, max_network_retries=1)
    fake.delay_next(1, 1.0)
    intent = create(gateway, key="slow")  # 1st attempt times out, the SDK's retry succeeds

    deadline = time.monotonic() + 5
    while fake.request_count("/v1/payment_intents") < 2 and time.monotonic() < deadline:
        time.sleep(0.02)  # wait for the slow first attempt to be processed too
    assert list(fake.intents) == [intent.id]
    assert sorted(r.replayed for r in fake.requests) == [False, True]


def test_connection_refused_is_unavailable() -> None:
    gateway = StripeGateway(SECRET_KEY, WEBHOOK_SECRET, api_base="http://127.0.0.1:9", max_network_retries=0)
    with pytest.raises(PaymentProviderUnavailable, match="no response"):
        create(gateway)


def test_wrong_secret_key_is_a_provider_error(fake: FakeStripe) -> None:
    gateway = StripeGateway("sk_test_wrong_key_123456789", WEBHOOK_SECRET, api_base=fake.base_url)
    with pytest.raises(PaymentProviderError, match="HTTP 401") as caught:
        create(gateway)
    assert not isinstance(caught.value, PaymentProviderUnavailable)
    assert "wrong_key" not in caught.value.detail
    assert fake.request_count("/v1/") == 1  # not retried
    assert fake.intents == {}


def test_build_gateway_reaches_the_fake_with_local_keys(fake: FakeStripe, tmp_path: Path) -> None:
    write_local_keys(tmp_path, StripeKeys(SECRET_KEY, WEBHOOK_SECRET), api_base=fake.base_url)
    reset_gateway_cache()
    try:
        gateway = build_gateway(Settings(home=tmp_path, stripe_api_base=fake.base_url))
        intent = create(gateway)
    finally:
        reset_gateway_cache()
    assert list(fake.intents) == [intent.id]


# --- the in-memory fake behaves like Stripe ------------------------------------------------------------


@dataclass
class Subject:
    gateway: PaymentGateway
    pay: Callable[[str], object]


@pytest.fixture(params=["memory", "stripe"])
def subject(request: pytest.FixtureRequest) -> Subject:
    if request.param == "memory":
        memory = InMemoryPaymentGateway(WEBHOOK_SECRET)
        return Subject(memory, memory.succeed)
    fake: FakeStripe = request.getfixturevalue("fake")
    return Subject(make_gateway(fake), fake.confirm)


def test_contract_lifecycle(subject: Subject) -> None:
    gateway = subject.gateway
    intent = gateway.create_intent(amount=5000, currency="gbp", metadata=META, idempotency_key="c-1")
    assert (intent.status, intent.currency, intent.metadata) == ("requires_payment_method", "GBP", META)
    assert gateway.create_intent(amount=5000, currency="GBP", metadata=META, idempotency_key="c-1") == intent
    with pytest.raises(PaymentProviderError):
        gateway.create_intent(amount=5000, currency="gbp", metadata={}, idempotency_key="c-1")
    with pytest.raises(PaymentProviderError):
        gateway.refund(intent.id, amount=100, idempotency_key="r-early")

    subject.pay(intent.id)
    assert gateway.retrieve_intent(intent.id).status == "succeeded"
    refund = gateway.refund(intent.id, amount=4000, idempotency_key="r-1")
    assert gateway.refund(intent.id, amount=4000, idempotency_key="r-1") == refund
    with pytest.raises(PaymentProviderError):
        gateway.refund(intent.id, amount=1001, idempotency_key="r-2")
    with pytest.raises(PaymentProviderError):
        gateway.refund(intent.id, amount=1000, idempotency_key="r-1")  # key reused, other amount
    with pytest.raises(PaymentProviderError):
        gateway.cancel_intent(intent.id, idempotency_key="x-1")

    other = gateway.create_intent(amount=50, currency="gbp", metadata={"keep": "x", "empty": ""}, idempotency_key="c-2")
    assert other.metadata == {"keep": "x"}  # Stripe drops empty metadata values
    assert gateway.cancel_intent(other.id, idempotency_key="x-2").status == "canceled"
    with pytest.raises(PaymentProviderError):
        gateway.create_intent(amount=49, currency="gbp", metadata={}, idempotency_key="c-3")
    with pytest.raises(PaymentProviderError):
        gateway.retrieve_intent("pi_unknown")
