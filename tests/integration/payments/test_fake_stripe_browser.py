"""The local Stripe accepts browser-side confirmation the way Stripe does for Stripe.js:

a publishable key creates card payment methods and confirms (or reads) one PaymentIntent
only together with its ``client_secret``; Stripe's test card numbers succeed or decline as
documented; the browser's cross-origin requests get CORS answers. Raw HTTP (requests) and
the official SDK, against the fake served on a loopback port.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import stripe

from dogcare.local.fake_stripe import FakeStripe

SECRET = "sk_test_browser_0123456789"
PUBLISHABLE = "pk_test_browser_0123456789"
ORIGIN = "http://127.0.0.1:3000"
CARD = {"card[exp_month]": "12", "card[exp_year]": "2040", "card[cvc]": "123"}


@pytest.fixture
def received() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A webhook endpoint: (its URL, the events posted to it)."""
    events: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            events.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/payments/webhook", events
    server.shutdown()
    server.server_close()


@pytest.fixture
def fake(received: tuple[str, list[dict[str, Any]]]) -> Iterator[FakeStripe]:
    with FakeStripe(
        secret_key=SECRET, publishable_key=PUBLISHABLE, webhook_url=received[0], cors_origins=(ORIGIN,)
    ) as server:
        yield server


def post(fake: FakeStripe, path: str, key: str, data: dict[str, str], **headers: str) -> requests.Response:
    return requests.post(
        f"{fake.base_url}{path}", data=data, headers={"Authorization": f"Bearer {key}", **headers}, timeout=10
    )


def new_intent(fake: FakeStripe, amount: int = 4500) -> dict[str, Any]:
    """What the API does with the secret key: an intent, whose client secret goes to the browser."""
    created = post(fake, "/v1/payment_intents", SECRET, {"amount": str(amount), "currency": "usd"})
    assert created.status_code == 200, created.text
    return dict(created.json())


def card(fake: FakeStripe, number: str) -> dict[str, Any]:
    made = post(fake, "/v1/payment_methods", PUBLISHABLE, {"type": "card", "card[number]": number, **CARD})
    assert made.status_code == 200, made.text
    return dict(made.json())


def test_a_card_confirmed_from_the_browser_succeeds_and_sends_the_webhook(
    fake: FakeStripe, received: tuple[str, list[dict[str, Any]]]
) -> None:
    intent = new_intent(fake)
    method = card(fake, "4242 4242 4242 4242")
    assert method["id"].startswith("pm_")
    assert method["object"] == "payment_method"
    assert (method["card"]["last4"], method["card"]["brand"]) == ("4242", "visa")
    assert "number" not in method["card"]  # the number never comes back

    confirmed = post(
        fake,
        f"/v1/payment_intents/{intent['id']}/confirm",
        PUBLISHABLE,
        {"payment_method": method["id"], "client_secret": intent["client_secret"]},
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "succeeded"
    assert confirmed.json()["amount_received"] == 4500
    (event,) = received[1]
    assert event["type"] == "payment_intent.succeeded"
    assert event["data"]["object"]["id"] == intent["id"]
    charge = fake.charges[fake.intents[intent["id"]]["latest_charge"]]
    assert charge["payment_method_details"]["card"] == {"brand": "visa", "last4": "4242"}


def test_the_declined_test_card_declines_like_stripe(
    fake: FakeStripe, received: tuple[str, list[dict[str, Any]]]
) -> None:
    intent = new_intent(fake)
    declined_card = card(fake, "4000000000000002")
    declined = post(
        fake,
        f"/v1/payment_intents/{intent['id']}/confirm",
        PUBLISHABLE,
        {"payment_method": declined_card["id"], "client_secret": intent["client_secret"]},
    )
    assert declined.status_code == 402
    error = declined.json()["error"]
    assert (error["type"], error["code"], error["decline_code"]) == ("card_error", "card_declined", "generic_decline")
    assert error["message"] == "Your card was declined."
    assert error["payment_intent"]["id"] == intent["id"]
    assert error["payment_intent"]["status"] == "requires_payment_method"
    assert error["payment_intent"]["last_payment_error"]["code"] == "card_declined"
    assert [e["type"] for e in received[1]] == ["payment_intent.payment_failed"]
    assert fake.intents[intent["id"]]["status"] == "requires_payment_method"

    # The customer tries another card on the same intent.
    good = card(fake, "4242424242424242")
    again = post(
        fake,
        f"/v1/payment_intents/{intent['id']}/confirm",
        PUBLISHABLE,
        {"payment_method": good["id"], "client_secret": intent["client_secret"]},
    )
    assert again.status_code == 200
    assert [e["type"] for e in received[1]] == ["payment_intent.payment_failed", "payment_intent.succeeded"]


@pytest.mark.parametrize(
    ("number", "decline_code"),
    [("4000000000009995", "insufficient_funds"), ("4000000000000069", "expired_card")],
)
def test_other_declining_test_cards(fake: FakeStripe, number: str, decline_code: str) -> None:
    intent = new_intent(fake)
    declined = post(
        fake,
        f"/v1/payment_intents/{intent['id']}/confirm",
        PUBLISHABLE,
        {"payment_method": card(fake, number)["id"], "client_secret": intent["client_secret"]},
    )
    assert declined.status_code == 402
    assert declined.json()["error"]["decline_code"] == decline_code


def test_the_publishable_key_needs_the_intent_s_own_client_secret(
    fake: FakeStripe, received: tuple[str, list[dict[str, Any]]]
) -> None:
    intent, other = new_intent(fake), new_intent(fake)
    method = card(fake, "4242424242424242")
    confirm = f"/v1/payment_intents/{intent['id']}/confirm"
    for data in (
        {"payment_method": method["id"]},
        {"payment_method": method["id"], "client_secret": other["client_secret"]},
        {"payment_method": method["id"], "client_secret": intent["client_secret"] + "x"},
    ):
        refused = post(fake, confirm, PUBLISHABLE, data)
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"]["type"] == "invalid_request_error"
        assert refused.json()["error"]["param"] == "client_secret"
    assert fake.intents[intent["id"]]["status"] == "requires_payment_method"
    assert received[1] == []

    # Reading the intent from the browser: with its client secret only.
    url = f"{fake.base_url}/v1/payment_intents/{intent['id']}"
    auth = {"Authorization": f"Bearer {PUBLISHABLE}"}
    assert requests.get(url, headers=auth, timeout=10).status_code == 400
    read = requests.get(url, params={"client_secret": intent["client_secret"]}, headers=auth, timeout=10)
    assert read.status_code == 200
    assert read.json()["status"] == "requires_payment_method"


def test_the_publishable_key_cannot_do_what_the_secret_key_does(fake: FakeStripe) -> None:
    intent = new_intent(fake)
    for path, data in (
        ("/v1/payment_intents", {"amount": "5000", "currency": "usd"}),
        (f"/v1/payment_intents/{intent['id']}/cancel", {}),
        ("/v1/refunds", {"payment_intent": intent["id"]}),
    ):
        refused = post(fake, path, PUBLISHABLE, data)
        assert refused.status_code == 401, (path, refused.text)
        assert "publishable API key" in refused.json()["error"]["message"]
    assert len(fake.intents) == 1
    assert fake.intents[intent["id"]]["status"] == "requires_payment_method"
    wrong = post(fake, "/v1/payment_methods", "pk_test_someone_else", {"type": "card", "card[number]": "4242"})
    assert wrong.status_code == 401


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("card[number]", "4242424242424241", "invalid_number"),  # fails the Luhn check
        ("card[number]", "4242", "invalid_number"),
        ("card[exp_month]", "13", "invalid_expiry_month"),
        ("card[exp_year]", "2001", "invalid_expiry_year"),
        ("card[cvc]", "1", "invalid_cvc"),
    ],
)
def test_bad_card_details_are_card_errors(fake: FakeStripe, field: str, value: str, code: str) -> None:
    data = {"type": "card", "card[number]": "4242424242424242", **CARD, field: value}
    refused = post(fake, "/v1/payment_methods", PUBLISHABLE, data)
    assert refused.status_code == 402
    error = refused.json()["error"]
    assert (error["type"], error["code"], error["param"]) == ("card_error", code, field)


def test_the_browser_s_cross_origin_calls_get_cors_answers(fake: FakeStripe) -> None:
    preflight = requests.options(
        f"{fake.base_url}/v1/payment_methods",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
        timeout=10,
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    allowed = {h.strip().lower() for h in preflight.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed
    made = post(
        fake,
        "/v1/payment_methods",
        PUBLISHABLE,
        {"type": "card", "card[number]": "4242424242424242", **CARD},
        Origin=ORIGIN,
    )
    assert made.headers["Access-Control-Allow-Origin"] == ORIGIN
    # errors carry it too, so the browser can read why
    refused = post(fake, "/v1/payment_methods", "pk_test_nope", {}, Origin=ORIGIN)
    assert refused.status_code == 401
    assert refused.headers["Access-Control-Allow-Origin"] == ORIGIN

    stranger = requests.options(
        f"{fake.base_url}/v1/payment_methods",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert stranger.status_code == 403
    assert "Access-Control-Allow-Origin" not in stranger.headers
    other = post(fake, "/v1/payment_methods", PUBLISHABLE, {"type": "card"}, Origin="https://evil.example")
    assert "Access-Control-Allow-Origin" not in other.headers


def test_the_official_sdk_confirms_with_the_publishable_key(fake: FakeStripe) -> None:
    server = stripe.StripeClient(SECRET, base_addresses={"api": fake.base_url}, max_network_retries=0)
    browser = stripe.StripeClient(PUBLISHABLE, base_addresses={"api": fake.base_url}, max_network_retries=0)
    intent = server.v1.payment_intents.create(params={"amount": 4500, "currency": "usd"})
    method = browser.v1.payment_methods.create(
        params={"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}}
    )
    assert method.card is not None
    assert method.card.last4 == "4242"
    with pytest.raises(stripe.InvalidRequestError):
        browser.v1.payment_intents.confirm(intent.id, params={"payment_method": method.id})
    with pytest.raises(stripe.AuthenticationError):
        browser.v1.payment_intents.create(params={"amount": 4500, "currency": "usd"})
    declined = browser.v1.payment_methods.create(
        params={"type": "card", "card": {"number": "4000000000000002", "exp_month": 12, "exp_year": 2040, "cvc": "123"}}
    )
    with pytest.raises(stripe.CardError) as refused:
        browser.v1.payment_intents.confirm(
            intent.id, params={"payment_method": declined.id, "client_secret": intent.client_secret}
        )
    assert refused.value.code == "card_declined"
    done = browser.v1.payment_intents.confirm(
        intent.id, params={"payment_method": method.id, "client_secret": intent.client_secret}
    )
    assert done.status == "succeeded"
    assert server.v1.payment_intents.retrieve(intent.id).status == "succeeded"
