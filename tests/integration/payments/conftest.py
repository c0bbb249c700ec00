"""A webhook endpoint for the payment flow tests: an HTTP server that hands each request to
``app.payments.handle_webhook`` and answers with the status the API would give."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from dogcare.domain.actor import PAYMENT_PROVIDER
from dogcare.errors import DogcareError, InvalidWebhook, PaymentProviderUnavailable
from dogcare.facade import Dogcare


@dataclass
class WebhookReceiver:
    """Where the fake Stripe posts its webhooks; set ``app`` before any event is sent."""

    url: str = ""
    app: Dogcare | None = None
    outcomes: list[tuple[str, int, str]] = field(default_factory=list)  # (event type, status, outcome)


@pytest.fixture
def webhooks() -> Iterator[WebhookReceiver]:
    state = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            try:
                event_type = str(json.loads(body).get("type", "?"))
            except ValueError:
                event_type = "?"
            try:
                assert state.app is not None, "the test did not set webhooks.app"
                outcome = state.app.payments.handle_webhook(
                    PAYMENT_PROVIDER, body, self.headers.get("Stripe-Signature")
                )
                status = 200
            except InvalidWebhook:
                status, outcome = 400, "invalid"
            except PaymentProviderUnavailable:
                status, outcome = 503, "retry"
            except DogcareError as exc:
                status, outcome = 409, exc.kind
            state.outcomes.append((event_type, status, outcome))
            payload = json.dumps({"received": status == 200, "outcome": outcome}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/payments/webhook"
    yield state
    server.shutdown()
    server.server_close()
