"""``dogcare stripe confirm`` against a local setup like ``dogcare serve``'s: the embedded
DynamoDB over HTTP, the fake Stripe server, and a webhook endpoint on the same tables."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dogcare.cli.app import app as cli_app
from dogcare.cli.errors import run
from dogcare.commands import NewPayment
from dogcare.domain.model import Booking, Payment
from dogcare.facade import Dogcare
from dogcare.local.dynamodb import EmbeddedDynamoDB
from dogcare.local.fake_stripe import FakeStripe
from dogcare.local.stack import STATE_FILE, free_port
from dogcare.payments.secrets import StripeKeys, reset_gateway_cache, write_local_keys
from dogcare.storage.tables import create_tables
from dogcare.testing.factories import actor_of
from tests.conftest import Clock, make_settings
from tests.integration.payments.conftest import WebhookReceiver
from tests.unit.payments.support import book, customer

pytestmark = pytest.mark.server

SECRET_KEY = "sk_test_cli_0123456789abcdef"
WEBHOOK_SECRET = "whsec_cli_0123456789abcdef"
PREFIX = "dogcare-cli-test"


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[str]:
    server = EmbeddedDynamoDB("127.0.0.1", free_port())
    server.start()
    yield server.endpoint
    server.stop()


@dataclass
class Local:
    home: Path
    app: Dogcare
    fake: FakeStripe
    webhooks: WebhookReceiver


@pytest.fixture
def local(
    dynamodb: str, webhooks: WebhookReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock
) -> Iterator[Local]:
    """A running local setup, with serve.json and stripe.json in a fresh DOGCARE_HOME."""
    for name in ("DOGCARE_STRIPE_SECRET_KEY", "DOGCARE_STRIPE_WEBHOOK_SECRET", "DOGCARE_STRIPE_SECRET_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DOGCARE_HOME", str(tmp_path))
    fake = FakeStripe(secret_key=SECRET_KEY, webhook_secret=WEBHOOK_SECRET, webhook_url=webhooks.url)
    fake.start()
    settings = make_settings(
        "single",
        tmp_path,
        table_prefix=PREFIX,
        dynamodb_endpoint=dynamodb,
        stripe_api_base=fake.base_url,
        stripe_secret_key=SECRET_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
    )
    app = Dogcare(settings, clock=clock)
    create_tables(app.store)
    webhooks.app = app
    state = {
        "api_url": webhooks.url.rsplit("/payments", 1)[0],
        "dynamodb_endpoint": dynamodb,
        "stripe_api_base": fake.base_url,
        "table_layout": "single",
        "table_prefix": PREFIX,
        "pid": 1,
    }
    (tmp_path / STATE_FILE).write_text(json.dumps(state))
    write_local_keys(tmp_path, StripeKeys(SECRET_KEY, WEBHOOK_SECRET), fake.base_url)
    yield Local(tmp_path, app, fake, webhooks)
    fake.stop()
    reset_gateway_cache()


def dogcare(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    """Run the CLI in-process; (exit code, stdout and stderr with line wrapping undone)."""
    monkeypatch.setattr(sys, "argv", ["dogcare", *args])
    code = run(cli_app)
    captured = capsys.readouterr()
    return code, " ".join((captured.out + captured.err).split())


def pending_payment(local: Local) -> tuple[Booking, Payment]:
    who = customer(local.app)
    booking = book(local.app, who)
    return booking, local.app.payments.create(actor_of(who), NewPayment(booking_id=booking.id))


def test_confirm_pays_and_the_webhook_confirms_the_booking(
    local: Local, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    booking, payment = pending_payment(local)
    code, output = dogcare(capsys, monkeypatch, "stripe", "confirm", payment.id)

    assert code == 0, output
    assert f"PaymentIntent {payment.provider_reference}: succeeded" in output
    assert f"booking {booking.id}: confirmed" in output
    assert local.app.booking_repository.get(booking.id).status == "confirmed"
    assert local.webhooks.outcomes == [("payment_intent.succeeded", 200, "applied")]


def test_confirm_with_decline(
    local: Local, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    booking, payment = pending_payment(local)
    code, output = dogcare(capsys, monkeypatch, "stripe", "confirm", payment.id, "--decline")

    assert code == 0, output
    assert "declined (card_declined/generic_decline: Your card was declined.)" in output
    assert f"payment {payment.id}: failed" in output
    assert local.app.booking_repository.get(booking.id).status == "pending"
    # A PaymentIntent id works too; the same intent can still be paid.
    code, output = dogcare(capsys, monkeypatch, "stripe", "confirm", str(payment.provider_reference))
    assert code == 0, output
    assert local.app.booking_repository.get(booking.id).status == "confirmed"


def test_unknown_or_unpayable_payments(
    local: Local, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = dogcare(capsys, monkeypatch, "stripe", "confirm", "payment-missing")
    assert code == 1
    assert "no payment payment-missing on the local server" in output

    _, payment = pending_payment(local)
    local.fake.confirm(str(payment.provider_reference))
    code, output = dogcare(capsys, monkeypatch, "stripe", "confirm", payment.id)
    assert code == 1
    assert "Stripe refused to confirm" in output
    assert "status of succeeded" in output


def test_keys_of_another_server_are_refused(
    local: Local, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, payment = pending_payment(local)
    write_local_keys(local.home, StripeKeys("sk_test_stale_key_000000", "whsec_stale_000000"))
    code, output = dogcare(capsys, monkeypatch, "stripe", "confirm", payment.id)
    assert code == 1
    assert "Stripe refused the API key" in output


def test_without_a_local_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOGCARE_HOME", str(tmp_path))
    code, output = dogcare(capsys, monkeypatch, "stripe", "confirm", "payment-1")
    assert code == 1
    assert "no local server" in output
    assert "dogcare serve" in output

    dead = f"http://127.0.0.1:{free_port()}"
    (tmp_path / STATE_FILE).write_text(json.dumps({"api_url": dead, "dynamodb_endpoint": dead, "pid": 4242}))
    code, output = dogcare(capsys, monkeypatch, "stripe", "confirm", "payment-1")
    assert code == 1
    assert "(pid 4242) is not running" in output
