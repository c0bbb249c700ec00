"""The whole system on one machine: embedded DynamoDB (moto's server), a local Stripe,
the development token issuer, and the local API gateway.

``LocalStack.start()`` is what ``dogcare serve`` runs; tests start it in-process or as a
subprocess. Whatever is already configured (a DynamoDB endpoint, real Stripe keys) is used
as it is; only what is missing is started here.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATE_FILE = "serve.json"
WEB_CLIENT_ID = "dogcare-web"  # the web app's OpenID client id with the local provider


def app_origins(api_url: str) -> tuple[str, ...]:
    """The browser origins of the web app served at ``api_url`` (127.0.0.1 is also localhost)."""
    origins = [api_url]
    for a, b in (("://127.0.0.1:", "://localhost:"), ("://localhost:", "://127.0.0.1:")):
        if a in api_url:
            origins.append(api_url.replace(a, b))
    return tuple(origins)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _default_env() -> None:
    # moto accepts any credentials; never let a local run pick up real ones by accident.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ.get("AWS_REGION", "us-east-1"))
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "dogcare-local")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Dogcare")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")


class SweeperThread:
    """What the EventBridge schedule does in AWS: run the hold sweeper, here every
    ``interval`` seconds on a daemon thread, through the same code as the sweeper Lambda."""

    def __init__(self, interval: float) -> None:
        self.interval = max(0.05, interval)
        self.runs = 0  # sweeps completed (tests watch it)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="dogcare-hold-sweeper", daemon=True)

    def start(self) -> SweeperThread:
        self._thread.start()
        return self

    def _loop(self) -> None:
        from handlers.sweeper import sweep

        log = logging.getLogger("dogcare.local.sweeper")
        while not self._stop.wait(self.interval):
            try:
                summary = sweep()
                if summary["expired"]:
                    log.warning("expired %d unpaid holds", summary["expired"])
            except Exception:  # a failed sweep is retried on the next tick, as in AWS
                log.exception("hold sweep failed")
            self.runs += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@dataclass
class LocalStack:
    host: str = "127.0.0.1"
    port: int = 3000
    home: Path | None = None
    started: list[Any] = field(default_factory=list)
    api_url: str = ""
    dynamodb_endpoint: str = ""
    stripe_api_base: str | None = None
    fake_stripe: Any = None
    sweeper: SweeperThread | None = None

    def start(self) -> LocalStack:
        _default_env()
        if self.home is not None:
            os.environ["DOGCARE_HOME"] = str(self.home)
        self._start_dynamodb()
        from dogcare.auth.verifier import reset_verifier_cache
        from dogcare.local.gateway import LocalGateway
        from handlers.common import runtime

        gateway = LocalGateway()
        self.api_url = gateway.start(self.host, self.port)
        self.started.append(gateway)
        self._configure_issuer()
        self._start_stripe()
        gateway.web_config = self.web_config
        runtime.reset()
        reset_verifier_cache()
        from dogcare.payments.secrets import reset_gateway_cache

        reset_gateway_cache()
        from dogcare.auth.dev_issuer import DevIssuer
        from dogcare.settings import get_settings
        from dogcare.storage.tables import create_tables

        settings = get_settings()
        DevIssuer(settings.home).ensure_keys()
        create_tables(runtime.dogcare().store)
        self._write_state(settings.home)
        if self.fake_stripe is not None:
            from dogcare.payments.secrets import StripeKeys, write_local_keys

            keys = StripeKeys(self.fake_stripe.secret_key, self.fake_stripe.webhook_secret)
            write_local_keys(
                settings.home, keys, self.stripe_api_base, publishable_key=self.fake_stripe.publishable_key
            )
        # Unpaid holds expire without a request, as the scheduled sweeper does in AWS; it stops
        # with the server (stop() stops the parts in reverse order: the sweeper first).
        self.sweeper = SweeperThread(settings.sweep_interval_seconds).start()
        self.started.append(self.sweeper)
        return self

    def _start_dynamodb(self) -> None:
        endpoint = os.environ.get("DOGCARE_DYNAMODB_ENDPOINT")
        if not endpoint:
            import logging

            from dogcare.local.dynamodb import EmbeddedDynamoDB

            logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log per DynamoDB call

            port = free_port(self.host)
            server = EmbeddedDynamoDB(self.host, port)  # moto, one request at a time (see its docstring)
            server.start()
            self.started.append(server)
            endpoint = f"http://{self.host}:{port}"
            os.environ["DOGCARE_DYNAMODB_ENDPOINT"] = endpoint
        self.dynamodb_endpoint = endpoint

    def _configure_issuer(self) -> None:
        """Local tokens are issued by the OpenID provider this server serves at ``{api_url}/oidc``.

        A configured Cognito (``DOGCARE_AUTH_JWKS_URL``) is left as it is. The verifier's
        settings are read after this (``runtime.reset()`` below clears the cached ones).
        """
        if os.environ.get("DOGCARE_AUTH_JWKS_URL"):
            return
        from dogcare.auth.dev_issuer import DEV_CLIENT_ID, issuer_for

        os.environ["DOGCARE_AUTH_ISSUER"] = issuer_for(self.api_url)
        os.environ.setdefault("DOGCARE_AUTH_AUDIENCE", DEV_CLIENT_ID)

    def _start_stripe(self) -> None:
        if os.environ.get("DOGCARE_STRIPE_SECRET_KEY") or os.environ.get("DOGCARE_STRIPE_SECRET_NAME"):
            self.stripe_api_base = os.environ.get("DOGCARE_STRIPE_API_BASE")
            return
        import secrets

        from dogcare.local.fake_stripe import FakeStripe

        secret_key = "sk_test_local_" + secrets.token_hex(12)
        webhook_secret = "whsec_local_" + secrets.token_hex(16)
        fake = FakeStripe(
            secret_key=secret_key,
            webhook_secret=webhook_secret,
            webhook_url=f"{self.api_url}/payments/webhook",
            publishable_key="pk_test_local_" + secrets.token_hex(12),
            # The web app (served by the gateway) calls the local Stripe from the browser.
            cors_origins=app_origins(self.api_url),
        )
        base = fake.start(self.host, 0)
        self.started.append(fake)
        self.fake_stripe = fake
        self.stripe_api_base = base
        os.environ["DOGCARE_STRIPE_SECRET_KEY"] = secret_key
        os.environ["DOGCARE_STRIPE_WEBHOOK_SECRET"] = webhook_secret
        os.environ["DOGCARE_STRIPE_API_BASE"] = base

    def web_config(self) -> dict[str, Any]:
        """The web app's ``/app/config.json`` for this server (in AWS, deploy/web_config.py writes it)."""
        from dogcare.settings import get_settings

        settings = get_settings()
        if self.fake_stripe is not None:
            payments = {
                "mode": "local",
                "publishableKey": self.fake_stripe.publishable_key,
                "stripeApiBase": self.stripe_api_base,
            }
        else:  # real Stripe keys were configured: the browser talks to Stripe itself
            payments = {
                "mode": "stripe",
                "publishableKey": os.environ.get("DOGCARE_STRIPE_PUBLISHABLE_KEY", ""),
                "stripeApiBase": None,
            }
        return {
            "apiBaseUrl": self.api_url,
            "oidc": {
                "authority": f"{self.api_url}/oidc",
                "clientId": WEB_CLIENT_ID,
                "redirectPath": "/app/callback",
                "silentRedirectPath": "/app/silent-renew.html",
                "postLogoutPath": "/app/",
                "scope": "openid email profile",
            },
            "payments": payments,
            "facilityTimezone": settings.timezone,
            "currency": settings.currency,
        }

    def _write_state(self, home: Path) -> None:
        """Where this server's parts listen, for the CLI's other commands (token, stripe, seed)."""
        home.mkdir(parents=True, exist_ok=True)
        state = {
            "api_url": self.api_url,
            "dynamodb_endpoint": self.dynamodb_endpoint,
            "stripe_api_base": self.stripe_api_base,
            "table_layout": os.environ.get("DOGCARE_TABLE_LAYOUT", "single"),
            "table_prefix": os.environ.get("DOGCARE_TABLE_PREFIX", "dogcare-dev"),
            "pid": os.getpid(),
        }
        path = home / STATE_FILE
        path.write_text(json.dumps(state, indent=2))
        path.chmod(0o600)

    def stop(self) -> None:
        for part in reversed(self.started):
            part.stop()
        self.started.clear()


def read_state(home: Path) -> dict[str, Any] | None:
    path = home / STATE_FILE
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data
