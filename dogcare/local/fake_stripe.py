"""A small stateful fake of the Stripe API, served over HTTP on the loopback interface.

It speaks the subset of Stripe's v1 API the payment gateway uses, with the wire format
of the official SDK (form-encoded bodies such as ``metadata[key]=value``, bearer
authentication, JSON objects shaped like Stripe's), so the real ``StripeGateway`` and
SDK can be tested end to end without a network:

``POST /v1/payment_intents`` · ``GET /v1/payment_intents/{id}`` ·
``POST /v1/payment_intents/{id}/confirm`` · ``POST /v1/payment_intents/{id}/cancel`` ·
``POST /v1/refunds`` · ``GET /v1/refunds/{id}`` · ``GET /v1/charges/{id}`` ·
``GET /v1/events/{id}`` · ``POST /v1/payment_methods``

Browser-side confirmation, as Stripe.js does it: the publishable key (``pk_test_...``)
may create a card ``PaymentMethod`` and may read or confirm a PaymentIntent **only
together with that intent's** ``client_secret``; every other call needs the secret key.
Cross-origin requests from ``cors_origins`` are answered with CORS headers (preflights too),
since the browser calls this server directly.

Behaviour copied from Stripe:

* a wrong or missing API key answers 401; unknown parameters, bad values and amounts
  under 50 minor units answer 400 ``invalid_request_error``;
* ``Idempotency-Key``: the same key with the same parameters replays the stored
  response (header ``Idempotent-Replayed: true``), with other parameters (or another
  endpoint) answers 400 ``idempotency_error``; requests refused by parameter
  validation are not stored; concurrent requests with one key are serialised, so the
  later ones replay the first;
* Stripe's test card numbers: ``4242424242424242`` (and ``5555555555554444``,
  ``378282246310005``) succeed, ``4000000000000002`` declines (``generic_decline``),
  ``4000000000009995`` (``insufficient_funds``) and ``4000000000000069``
  (``expired_card``) too; bad numbers, expiry dates or CVCs are a 402 ``card_error`` when
  the payment method is created;
* test payment methods: ``pm_card_visa`` (and ``pm_card_mastercard``,
  ``pm_card_amex``) succeed; ``pm_card_chargeDeclined`` (and
  ``pm_card_chargeDeclinedInsufficientFunds``, ``pm_card_chargeDeclinedExpiredCard``)
  decline with a 402 ``card_error`` and leave the intent in ``requires_payment_method``
  with ``last_payment_error`` set;
* refunds only on ``succeeded`` intents, never more in total than ``amount_received``;
* every state change records an event (``payment_intent.succeeded``,
  ``payment_intent.payment_failed``, ``payment_intent.canceled``, ``charge.refunded``)
  and, when ``webhook_url`` is set, POSTs it there with a real ``Stripe-Signature``
  header *before* the triggering request is answered.

Test hooks: :meth:`FakeStripe.fail_next`, :meth:`FakeStripe.delay_next`,
:meth:`FakeStripe.confirm`, :meth:`FakeStripe.resend`, :meth:`FakeStripe.sign`,
:meth:`FakeStripe.request_count` and the :attr:`intents` / :attr:`refunds` /
:attr:`charges` / :attr:`events` / :attr:`deliveries` views.

Run ``python -m dogcare.local.fake_stripe --port 12111`` to serve it from a shell.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import copy
import hashlib
import hmac
import http.client
import json
import re
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from dogcare.payments.stripe_gateway import STRIPE_API_VERSION

DEFAULT_SECRET_KEY = "sk_test_dogcare_fake_0000000000"  # noqa: S105 - a fake, not a credential
DEFAULT_WEBHOOK_SECRET = "whsec_dogcare_fake_0000000000"  # noqa: S105
DEFAULT_PUBLISHABLE_KEY = "pk_test_dogcare_fake_0000000000"
DEFAULT_PORT = 12111
MIN_AMOUNT = 50
MAX_AMOUNT = 99_999_999
WEBHOOK_TIMEOUT_SECONDS = 10.0

_CONFIRMABLE = frozenset({"requires_payment_method", "requires_confirmation", "requires_action"})
_CANCELABLE = frozenset(
    {"requires_payment_method", "requires_confirmation", "requires_action", "requires_capture", "processing"}
)
_ZERO_DECIMAL = frozenset(
    {
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    }
)
# Test payment method -> None (succeeds) or (error code, decline code, message).
_TEST_CARDS: dict[str, tuple[str, str, str] | None] = {
    "pm_card_visa": None,
    "pm_card_mastercard": None,
    "pm_card_amex": None,
    "pm_card_chargeDeclined": ("card_declined", "generic_decline", "Your card was declined."),
    "pm_card_chargeDeclinedInsufficientFunds": (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "pm_card_chargeDeclinedExpiredCard": ("expired_card", "expired_card", "Your card has expired."),
}
_CARD_BRANDS = {"pm_card_mastercard": "mastercard", "pm_card_amex": "amex"}
# Stripe's test card numbers -> (brand, the test payment method that behaves the same).
_TEST_NUMBERS: dict[str, tuple[str, str]] = {
    "4242424242424242": ("visa", "pm_card_visa"),
    "5555555555554444": ("mastercard", "pm_card_mastercard"),
    "378282246310005": ("amex", "pm_card_amex"),
    "4000000000000002": ("visa", "pm_card_chargeDeclined"),
    "4000000000009995": ("visa", "pm_card_chargeDeclinedInsufficientFunds"),
    "4000000000000069": ("visa", "pm_card_chargeDeclinedExpiredCard"),
}
# Routes the publishable key may call (the ones Stripe.js calls from a browser); for intents
# only with the intent's client_secret.
_PUBLISHABLE_ROUTES = frozenset({"_create_payment_method", "_get_intent", "_confirm_intent"})
_CORS_HEADERS = (
    "Authorization, Content-Type, Idempotency-Key, Stripe-Version, Stripe-Account, X-Stripe-Client-User-Agent"
)


class FakeStripeError(Exception):
    """An error answer: HTTP status plus Stripe's ``error`` object.

    ``store=False`` marks refusals made before the endpoint "started executing"
    (parameter validation), which Stripe does not record under the idempotency key.
    """

    def __init__(self, status: int, error: dict[str, Any], *, store: bool = True) -> None:
        super().__init__(f"{status} {error.get('type')}: {error.get('message')}")
        self.status = status
        self.error = error
        self.store = store


def _invalid(
    message: str, *, param: str | None = None, code: str | None = None, status: int = 400, store: bool = True
) -> FakeStripeError:
    error: dict[str, Any] = {"type": "invalid_request_error", "message": message}
    if code:
        error["code"] = code
        error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
    if param:
        error["param"] = param
    return FakeStripeError(status, error, store=store)


@dataclass(frozen=True)
class WebhookDelivery:
    """One attempt to POST an event to the webhook URL."""

    event_id: str
    event_type: str
    url: str
    status: int | None
    error: str | None
    at: float

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    status: int
    idempotency_key: str | None
    replayed: bool
    stripe_version: str | None


@dataclass
class _Stored:
    fingerprint: str
    endpoint: str
    status: int
    body: bytes
    request_id: str


@dataclass
class _Ctx:
    request_id: str | None
    idempotency_key: str | None
    events: list[dict[str, Any]] = field(default_factory=list)


_Route = tuple[str, re.Pattern[str], str]
_ROUTES: list[_Route] = [
    ("POST", re.compile(r"/v1/payment_intents"), "_create_intent"),
    ("GET", re.compile(r"/v1/payment_intents/(?P<id>[^/]+)"), "_get_intent"),
    ("POST", re.compile(r"/v1/payment_intents/(?P<id>[^/]+)/confirm"), "_confirm_intent"),
    ("POST", re.compile(r"/v1/payment_intents/(?P<id>[^/]+)/cancel"), "_cancel_intent"),
    ("POST", re.compile(r"/v1/refunds"), "_create_refund"),
    ("GET", re.compile(r"/v1/refunds/(?P<id>[^/]+)"), "_get_refund"),
    ("GET", re.compile(r"/v1/charges/(?P<id>[^/]+)"), "_get_charge"),
    ("GET", re.compile(r"/v1/events/(?P<id>[^/]+)"), "_get_event"),
    ("POST", re.compile(r"/v1/payment_methods"), "_create_payment_method"),
]


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Rebuild nested parameters from Stripe's form encoding (``a[b][0]=v``)."""
    root: dict[str, Any] = {}
    for raw_key, value in pairs:
        match = re.fullmatch(r"([^\[\]]+)((?:\[[^\[\]]*\])*)", raw_key)
        if match is None:
            raise _invalid(f"Invalid parameter name: {raw_key}", param=raw_key, store=False)
        path = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = root
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise _invalid(f"Invalid parameter: {raw_key}", param=raw_key, store=False)
            node = child
        leaf = path[-1]
        if leaf == "":  # a[]=x (not sent by the SDK, but accepted)
            leaf = str(len(node))
        node[leaf] = value
    form = _lists(root)
    assert isinstance(form, dict)  # the root has named keys: never a list
    return form


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _lists(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def _money(amount: int, currency: str) -> str:
    if currency in _ZERO_DECIMAL:
        return f"{amount} {currency}"
    return f"{amount / 100:.2f} {currency}"


def sign_payload(payload: bytes, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + payload, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


class FakeStripe:
    """A thread-safe in-process Stripe fake; :meth:`start` serves it on a loopback port."""

    def __init__(
        self,
        secret_key: str = DEFAULT_SECRET_KEY,
        webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
        webhook_url: str | None = None,
        *,
        clock: Callable[[], float] = time.time,
        publishable_key: str = DEFAULT_PUBLISHABLE_KEY,
        cors_origins: tuple[str, ...] = (),
    ) -> None:
        self.secret_key = secret_key
        self.publishable_key = publishable_key
        self.cors_origins = cors_origins
        self.webhook_secret = webhook_secret
        self.webhook_url = webhook_url
        self.webhook_timeout = WEBHOOK_TIMEOUT_SECONDS
        self._clock = clock
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._base_url: str | None = None
        self._reset_state()

    def _reset_state(self) -> None:
        self._intents: dict[str, dict[str, Any]] = {}
        self._charges: dict[str, dict[str, Any]] = {}
        self._refunds: dict[str, dict[str, Any]] = {}
        self._payment_methods: dict[str, dict[str, Any]] = {}
        self._card_behaviour: dict[str, str] = {}  # pm_... -> the test payment method it behaves as
        self._events: list[dict[str, Any]] = []
        self._deliveries: list[WebhookDelivery] = []
        self._requests: list[RequestRecord] = []
        self._stored: dict[str, _Stored] = {}
        self._faults: deque[int] = deque()
        self._delays: deque[float] = deque()

    # --- lifecycle ------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0 = any free port) in a daemon thread; return the base URL."""
        if self._server is not None:
            raise RuntimeError("FakeStripe is already running")
        self._stopping.clear()
        server = _Server((host, port), self)
        self._server = server
        self._base_url = f"http://{host}:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-stripe", daemon=True
        )
        self._thread.start()
        return self._base_url

    def stop(self) -> None:
        """Stop serving and drop open connections (state is kept)."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeStripe:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("FakeStripe has not been started")
        return self._base_url

    def reset(self) -> None:
        """Forget every object, event, request and pending fault."""
        with self._lock:
            self._reset_state()

    # --- test hooks -----------------------------------------------------------------

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        """The next ``n`` requests answer ``status`` without reaching any endpoint."""
        with self._lock:
            self._faults.extend([status] * n)

    def delay_next(self, n: int, seconds: float) -> None:
        """The next ``n`` requests wait ``seconds`` before being handled."""
        with self._lock:
            self._delays.extend([seconds] * n)

    def confirm(self, intent_id: str, decline: bool = False) -> dict[str, Any]:
        """Confirm like ``POST /v1/payment_intents/{id}/confirm`` with a test card; return the intent.

        A decline is not an error here: the declined intent is returned. Webhooks are
        delivered before this returns. Raises :class:`FakeStripeError` on an unknown
        intent or one that cannot be confirmed.
        """
        payment_method = "pm_card_chargeDeclined" if decline else "pm_card_visa"
        ctx = _Ctx(request_id=None, idempotency_key=None)
        try:
            with self._lock:
                try:
                    self._confirm_intent(ctx, {"payment_method": payment_method}, intent_id)
                except FakeStripeError as exc:
                    if exc.status != 402:
                        raise
                intent = copy.deepcopy(self._intents[intent_id])
        finally:
            self._deliver(ctx.events)
        return intent

    def sign(self, payload: bytes, timestamp: int | None = None) -> str:
        """A ``Stripe-Signature`` header for ``payload`` with this fake's webhook secret."""
        return sign_payload(payload, self.webhook_secret, int(self._clock()) if timestamp is None else timestamp)

    def resend(self, event_id: str) -> WebhookDelivery:
        """POST a recorded event to ``webhook_url`` again (freshly signed)."""
        if not self.webhook_url:
            raise RuntimeError("no webhook_url is configured")
        with self._lock:
            found = [event for event in self._events if event["id"] == event_id]
        if not found:
            raise KeyError(event_id)
        return self._post_event(found[0], self.webhook_url)

    def request_count(self, path_prefix: str = "/", method: str | None = None) -> int:
        """How many HTTP requests (faulted ones included) hit a path starting with ``path_prefix``."""
        with self._lock:
            return sum(
                1
                for record in self._requests
                if record.path.startswith(path_prefix) and (method is None or record.method == method)
            )

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._requests)

    @property
    def intents(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._intents)

    @property
    def refunds(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._refunds)

    @property
    def charges(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._charges)

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event recorded (and, with a ``webhook_url``, sent), oldest first."""
        with self._lock:
            return copy.deepcopy(self._events)

    @property
    def deliveries(self) -> list[WebhookDelivery]:
        with self._lock:
            return list(self._deliveries)

    # --- HTTP entry point -------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one HTTP request: ``(status, headers, body)``. Thread-safe."""
        headers = {name.lower(): value for name, value in headers.items()}
        path = urlsplit(target).path
        cors = self._cors(headers.get("origin"))
        if method == "OPTIONS":  # a browser's preflight: no key is sent, nothing is executed
            if not cors:
                return (
                    403,
                    {"Content-Type": "application/json"},
                    _error_body(
                        {"type": "invalid_request_error", "message": "Cross-origin requests are not allowed from here."}
                    ),
                )
            preflight = {
                **cors,
                "Access-Control-Allow-Methods": "GET, POST, DELETE",
                "Access-Control-Allow-Headers": _CORS_HEADERS,
                "Access-Control-Max-Age": "600",
            }
            return 204, preflight, b""
        status, out, payload = self._handle(method, target, path, headers, body)
        return status, {**out, **cors}, payload

    def _cors(self, origin: str | None) -> dict[str, str]:
        if origin is None or origin not in self.cors_origins:
            return {}
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}

    def _handle(
        self, method: str, target: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        key = headers.get("idempotency-key") if method == "POST" else None
        version = headers.get("stripe-version")
        with self._lock:
            delay = self._delays.popleft() if self._delays else 0.0
            fault = self._faults.popleft() if self._faults else None
        if delay > 0 and self._stopping.wait(delay):
            return 503, {}, b""
        request_id = "req_" + secrets.token_hex(7)
        out_headers = {
            "Content-Type": "application/json",
            "Request-Id": request_id,
            "Stripe-Version": version or STRIPE_API_VERSION,
        }
        if key:
            out_headers["Idempotency-Key"] = key
        ctx = _Ctx(request_id=request_id, idempotency_key=key)
        original: str | None = None
        if fault is not None:
            status, payload = fault, _error_body(_fault_error(fault))
        else:
            try:
                status, payload, original = self._dispatch(method, target, path, headers, body, key, ctx)
            except FakeStripeError as exc:
                status, payload = exc.status, _error_body(exc.error)
            if original is not None:
                out_headers["Idempotent-Replayed"] = "true"
                out_headers["Original-Request"] = original
        replayed = original is not None
        with self._lock:
            self._requests.append(RequestRecord(method, path, status, key, replayed, version))
        self._deliver(ctx.events)
        return status, out_headers, payload

    def _dispatch(
        self,
        method: str,
        target: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes,
        key: str | None,
        ctx: _Ctx,
    ) -> tuple[int, bytes, str | None]:
        """``(status, body, original request id if replayed)``; ``headers`` has lower-case names."""
        publishable = self._authenticate(headers.get("authorization"))
        handler, path_id = self._route(method, path)
        raw = urlsplit(target).query if method == "GET" else body.decode("utf-8", errors="replace")
        params = decode_form(parse_qsl(raw, keep_blank_values=True))
        if publishable:
            self._require_publishable_use(handler.__name__, params, path_id)
        if key is None:
            with self._lock:
                return 200, _json(handler(ctx, params, path_id)), None
        if len(key) > 255:
            raise _invalid("Idempotency keys may be at most 255 characters long.", store=False)
        endpoint = f"{method} {path}"
        fingerprint = json.dumps([endpoint, params], sort_keys=True)
        with self._lock:
            stored = self._stored.get(key)
            if stored is not None:
                if stored.fingerprint != fingerprint:
                    raise FakeStripeError(400, _idempotency_error(key, stored.endpoint, endpoint), store=False)
                return stored.status, stored.body, stored.request_id
            try:
                status, payload = 200, _json(handler(ctx, params, path_id))
            except FakeStripeError as exc:
                if not exc.store:
                    raise
                status, payload = exc.status, _error_body(exc.error)
            self._stored[key] = _Stored(fingerprint, endpoint, status, payload, ctx.request_id or "")
            return status, payload, None

    def _require_publishable_use(self, route: str, params: Mapping[str, Any], intent_id: str | None) -> None:
        """A publishable key only creates payment methods, or reads and confirms the one intent
        whose client secret it presents (what Stripe allows for client-side confirmation)."""
        if route not in _PUBLISHABLE_ROUTES:
            raise _invalid(
                "This API call cannot be made with a publishable API key. Please use a secret API key.",
                status=401,
                store=False,
            )
        if route == "_create_payment_method":
            return
        secret = params.get("client_secret")
        if not isinstance(secret, str) or not secret:
            raise _invalid(
                "A publishable key needs the PaymentIntent's client_secret for this call.",
                param="client_secret",
                code="parameter_missing",
                store=False,
            )
        with self._lock:
            intent = self._intents.get(intent_id or "")
            expected = intent["client_secret"] if intent is not None else ""
        if not hmac.compare_digest(secret.encode("utf-8"), expected.encode("utf-8")):
            raise _invalid(
                "The client_secret provided does not match any associated PaymentIntent on this account.",
                param="client_secret",
                code="payment_intent_invalid_parameter",
                store=False,
            )

    def _authenticate(self, authorization: str | None) -> bool:
        """Check the API key; True if it is the publishable key (limited to browser calls)."""
        if not authorization:
            raise _invalid(
                "You did not provide an API key. You need to provide your API key in the Authorization "
                "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
                status=401,
                store=False,
            )
        scheme, _, credentials = authorization.partition(" ")
        key = credentials.strip()
        if scheme.lower() == "basic":
            try:
                key = base64.b64decode(key).decode("utf-8").split(":", 1)[0]
            except ValueError:
                key = ""
        elif scheme.lower() != "bearer":
            key = ""
        if self.publishable_key and hmac.compare_digest(key.encode("utf-8"), self.publishable_key.encode("utf-8")):
            return True
        if not hmac.compare_digest(key.encode("utf-8"), self.secret_key.encode("utf-8")):
            masked = f"{key[:8]}{'*' * max(len(key) - 12, 0)}{key[-4:]}" if len(key) > 12 else "****"
            raise _invalid(f"Invalid API Key provided: {masked}", status=401, store=False)
        return False

    def _route(
        self, method: str, path: str
    ) -> tuple[Callable[[_Ctx, dict[str, Any], str | None], dict[str, Any]], str | None]:
        for route_method, pattern, name in _ROUTES:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                path_id = unquote(match.group("id")) if "id" in pattern.groupindex else None
                return getattr(self, name), path_id
        raise _invalid(
            f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can "
            "help at https://support.stripe.com/.",
            status=404,
            store=False,
        )

    # --- endpoints (called with the lock held) ------------------------------------------

    def _create_intent(self, ctx: _Ctx, params: dict[str, Any], _: str | None) -> dict[str, Any]:
        _only(
            params,
            {
                "amount",
                "currency",
                "metadata",
                "description",
                "receipt_email",
                "statement_descriptor",
                "statement_descriptor_suffix",
                "automatic_payment_methods",
                "payment_method_types",
                "payment_method",
                "confirm",
                "capture_method",
                "customer",
                "setup_future_usage",
                "return_url",
                "expand",
            },
        )
        amount = _int_param(params, "amount", required=True)
        assert amount is not None
        currency = params.get("currency")
        if currency is None:
            raise _invalid("Missing required param: currency.", param="currency", code="parameter_missing", store=False)
        if not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency):
            raise _invalid(f"Invalid currency: {currency}.", param="currency", code="parameter_invalid", store=False)
        currency = currency.lower()
        if amount < MIN_AMOUNT:
            raise _invalid(
                f"Amount must be at least {_money(MIN_AMOUNT, currency)}",
                param="amount",
                code="amount_too_small",
                store=False,
            )
        if amount > MAX_AMOUNT:
            raise _invalid(
                f"Amount must be no more than {_money(MAX_AMOUNT, currency)}",
                param="amount",
                code="amount_too_large",
                store=False,
            )
        capture_method = params.get("capture_method", "automatic_async")
        if capture_method not in ("automatic", "automatic_async"):
            raise _invalid(
                f"capture_method={capture_method} is not supported by this fake.",
                param="capture_method",
                code="parameter_invalid",
                store=False,
            )
        metadata = _metadata(params.get("metadata"))
        payment_method = params.get("payment_method")
        if payment_method is not None and payment_method not in _TEST_CARDS:
            raise _invalid(
                f"No such PaymentMethod: '{payment_method}'", param="payment_method", code="resource_missing"
            )
        confirm = params.get("confirm") == "true"
        intent_id = _new_id("pi")
        now = int(self._clock())
        apm = params.get("automatic_payment_methods")
        types = params.get("payment_method_types")
        intent: dict[str, Any] = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "automatic_payment_methods": (
                {"allow_redirects": "always", "enabled": True}
                if not types or (isinstance(apm, dict) and apm.get("enabled") == "true")
                else None
            ),
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": capture_method,
            "client_secret": f"{intent_id}_secret_{secrets.token_hex(12)}",
            "confirmation_method": "automatic",
            "created": now,
            "currency": currency,
            "customer": params.get("customer"),
            "description": params.get("description"),
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": metadata,
            "next_action": None,
            "payment_method": payment_method,
            "payment_method_types": types if isinstance(types, list) else ["card"],
            "processing": None,
            "receipt_email": params.get("receipt_email"),
            "statement_descriptor": params.get("statement_descriptor"),
            "statement_descriptor_suffix": params.get("statement_descriptor_suffix"),
            "status": "requires_confirmation" if payment_method else "requires_payment_method",
        }
        self._intents[intent_id] = intent
        if confirm:
            return self._confirm_intent(ctx, {}, intent_id)
        return copy.deepcopy(intent)

    def _get_intent(self, ctx: _Ctx, params: dict[str, Any], intent_id: str | None) -> dict[str, Any]:
        _only(params, {"expand", "client_secret"})
        return copy.deepcopy(self._intent(intent_id, param="intent", status=404))

    def _create_payment_method(self, ctx: _Ctx, params: dict[str, Any], _: str | None) -> dict[str, Any]:
        """A card PaymentMethod from raw card details, validated like Stripe (card errors are 402)."""
        _only(params, {"type", "card", "billing_details", "metadata", "expand", "guid", "muid", "sid"})
        if params.get("type") != "card":
            raise _invalid("Invalid payment method type: only card is supported.", param="type", store=False)
        card = params.get("card")
        if not isinstance(card, dict):
            raise _invalid("Missing required param: card.", param="card", code="parameter_missing", store=False)
        number = re.sub(r"[\s-]", "", str(card.get("number", "")))
        if not re.fullmatch(r"\d{12,19}", number) or not _luhn(number):
            raise _card_error("invalid_number", "Your card number is invalid.", "card[number]")
        month, year = str(card.get("exp_month", "")), str(card.get("exp_year", ""))
        if not re.fullmatch(r"\d{1,2}", month) or not 1 <= int(month) <= 12:
            raise _card_error("invalid_expiry_month", "Your card's expiration month is invalid.", "card[exp_month]")
        if not re.fullmatch(r"\d{2}|\d{4}", year):
            raise _card_error("invalid_expiry_year", "Your card's expiration year is invalid.", "card[exp_year]")
        full_year = int(year) + (2000 if len(year) == 2 else 0)
        now = time.gmtime(self._clock())
        if (full_year, int(month)) < (now.tm_year, now.tm_mon):
            raise _card_error("invalid_expiry_year", "Your card's expiration year is invalid.", "card[exp_year]")
        if not re.fullmatch(r"\d{3,4}", str(card.get("cvc", ""))):
            raise _card_error("invalid_cvc", "Your card's security code is invalid.", "card[cvc]")
        brand, behaves_as = _TEST_NUMBERS.get(number, (_brand(number), "pm_card_visa"))
        method_id = _new_id("pm")
        method = {
            "id": method_id,
            "object": "payment_method",
            "billing_details": {"address": None, "email": None, "name": None, "phone": None},
            "card": {
                "brand": brand,
                "country": "US",
                "exp_month": int(month),
                "exp_year": full_year,
                "funding": "credit",
                "last4": number[-4:],
            },
            "created": int(self._clock()),
            "customer": None,
            "livemode": False,
            "metadata": _metadata(params.get("metadata")),
            "type": "card",
        }
        self._payment_methods[method_id] = method
        self._card_behaviour[method_id] = behaves_as
        return copy.deepcopy(method)

    def _confirm_intent(self, ctx: _Ctx, params: dict[str, Any], intent_id: str | None) -> dict[str, Any]:
        _only(params, {"payment_method", "return_url", "expand", "receipt_email", "off_session", "client_secret"})
        intent = self._intent(intent_id, param="intent", status=404)
        if intent["status"] not in _CONFIRMABLE:
            raise _invalid(
                f"You cannot confirm this PaymentIntent because it has a status of {intent['status']}.",
                code="payment_intent_unexpected_state",
            )
        payment_method = params.get("payment_method") or intent["payment_method"]
        if not payment_method:
            raise _invalid(
                "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm "
                "the PaymentIntent with a test card, pass payment_method=pm_card_visa.",
                code="payment_intent_unexpected_state",
            )
        behaves_as = self._card_behaviour.get(payment_method, payment_method)
        if behaves_as not in _TEST_CARDS:
            raise _invalid(
                f"No such PaymentMethod: '{payment_method}'", param="payment_method", code="resource_missing"
            )
        decline = _TEST_CARDS[behaves_as]
        charge = self._new_charge(intent, payment_method, decline)
        intent["latest_charge"] = charge["id"]
        if decline is None:
            intent.update(
                status="succeeded",
                amount_received=intent["amount"],
                payment_method=payment_method,
                last_payment_error=None,
            )
            self._emit(ctx, "payment_intent.succeeded", intent)
            return copy.deepcopy(intent)
        code, decline_code, message = decline
        error = {
            "type": "card_error",
            "code": code,
            "decline_code": decline_code,
            "message": message,
            "charge": charge["id"],
            "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
            "payment_method": {"id": payment_method, "object": "payment_method", "type": "card"},
        }
        intent.update(status="requires_payment_method", payment_method=None, last_payment_error=dict(error))
        self._emit(ctx, "payment_intent.payment_failed", intent)
        raise FakeStripeError(402, {**error, "payment_intent": copy.deepcopy(intent)})

    def _cancel_intent(self, ctx: _Ctx, params: dict[str, Any], intent_id: str | None) -> dict[str, Any]:
        _only(params, {"cancellation_reason", "expand"})
        reason = params.get("cancellation_reason")
        if reason is not None and reason not in (
            "duplicate",
            "fraudulent",
            "requested_by_customer",
            "abandoned",
        ):
            raise _invalid(
                f"Invalid cancellation_reason: {reason}",
                param="cancellation_reason",
                code="parameter_invalid",
                store=False,
            )
        intent = self._intent(intent_id, param="intent", status=404)
        if intent["status"] not in _CANCELABLE:
            raise _invalid(
                f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}. Only "
                "a PaymentIntent with one of the following statuses may be canceled: "
                "requires_payment_method, requires_capture, requires_confirmation, requires_action, "
                "processing.",
                code="payment_intent_unexpected_state",
            )
        intent.update(status="canceled", canceled_at=int(self._clock()), cancellation_reason=reason)
        self._emit(ctx, "payment_intent.canceled", intent)
        return copy.deepcopy(intent)

    def _create_refund(self, ctx: _Ctx, params: dict[str, Any], _: str | None) -> dict[str, Any]:
        _only(params, {"payment_intent", "charge", "amount", "reason", "metadata", "expand"})
        amount = _int_param(params, "amount", required=False)
        if amount is not None and amount < 1:
            raise _invalid(
                "This value must be greater than or equal to 1.",
                param="amount",
                code="parameter_invalid_integer",
                store=False,
            )
        reason = params.get("reason")
        if reason is not None and reason not in ("duplicate", "fraudulent", "requested_by_customer"):
            raise _invalid(f"Invalid reason: {reason}", param="reason", code="parameter_invalid", store=False)
        metadata = _metadata(params.get("metadata"))
        if params.get("payment_intent"):
            intent = self._intent(params["payment_intent"], param="payment_intent", status=400)
        elif params.get("charge"):
            found = self._charges.get(params["charge"])
            if found is None:
                raise _invalid(f"No such charge: '{params['charge']}'", param="charge", code="resource_missing")
            intent = self._intents[found["payment_intent"]]
        else:
            raise _invalid(
                "One of the following params should be provided for this request: payment_intent or charge.",
                code="parameter_missing",
                store=False,
            )
        if intent["status"] != "succeeded":
            raise _invalid(
                f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund.",
                param="payment_intent",
                code="charge_not_refundable",
            )
        charge = self._charges[intent["latest_charge"]]
        remaining = charge["amount_captured"] - charge["amount_refunded"]
        if remaining <= 0:
            raise _invalid(f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
        if amount is None:
            amount = remaining
        if amount > remaining:
            raise _invalid(
                f"Refund amount ({_money(amount, charge['currency'])}) is greater than unrefunded amount on "
                f"charge ({_money(remaining, charge['currency'])})",
                param="amount",
                code="amount_too_large",
            )
        refund_id = _new_id("re")
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "balance_transaction": _new_id("txn"),
            "charge": charge["id"],
            "created": int(self._clock()),
            "currency": charge["currency"],
            "metadata": metadata,
            "payment_intent": intent["id"],
            "reason": reason,
            "receipt_number": None,
            "status": "succeeded",
        }
        self._refunds[refund_id] = refund
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
        self._emit(ctx, "charge.refunded", charge, previous_attributes=previous)
        return copy.deepcopy(refund)

    def _get_refund(self, ctx: _Ctx, params: dict[str, Any], refund_id: str | None) -> dict[str, Any]:
        _only(params, {"expand"})
        return copy.deepcopy(self._lookup(self._refunds, refund_id, "refund"))

    def _get_charge(self, ctx: _Ctx, params: dict[str, Any], charge_id: str | None) -> dict[str, Any]:
        _only(params, {"expand"})
        return copy.deepcopy(self._lookup(self._charges, charge_id, "charge"))

    def _get_event(self, ctx: _Ctx, params: dict[str, Any], event_id: str | None) -> dict[str, Any]:
        _only(params, {"expand"})
        events = {event["id"]: event for event in self._events}
        return copy.deepcopy(self._lookup(events, event_id, "event"))

    # --- state helpers (lock held) ------------------------------------------------------

    def _intent(self, intent_id: Any, *, param: str, status: int) -> dict[str, Any]:
        intent = self._intents.get(intent_id) if isinstance(intent_id, str) else None
        if intent is None:
            raise _invalid(
                f"No such payment_intent: '{intent_id}'", param=param, code="resource_missing", status=status
            )
        return intent

    @staticmethod
    def _lookup(table: Mapping[str, dict[str, Any]], object_id: str | None, kind: str) -> dict[str, Any]:
        found = table.get(object_id or "")
        if found is None:
            raise _invalid(f"No such {kind}: '{object_id}'", param="id", code="resource_missing", status=404)
        return found

    def _new_charge(
        self, intent: dict[str, Any], payment_method: str, decline: tuple[str, str, str] | None
    ) -> dict[str, Any]:
        paid = decline is None
        failure_code, failure_reason, failure_message = decline if decline is not None else (None, None, None)
        charge = {
            "id": _new_id("ch"),
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": intent["amount"] if paid else 0,
            "amount_refunded": 0,
            "balance_transaction": _new_id("txn") if paid else None,
            "captured": paid,
            "created": int(self._clock()),
            "currency": intent["currency"],
            "failure_code": failure_code,
            "failure_message": failure_message,
            "livemode": False,
            "metadata": dict(intent["metadata"]),
            "outcome": {
                "network_status": "approved_by_network" if paid else "declined_by_network",
                "reason": failure_reason,
                "type": "authorized" if paid else "issuer_declined",
            },
            "paid": paid,
            "payment_intent": intent["id"],
            "payment_method": payment_method,
            "payment_method_details": {
                "card": {
                    "brand": self._payment_methods[payment_method]["card"]["brand"]
                    if payment_method in self._payment_methods
                    else _CARD_BRANDS.get(payment_method, "visa"),
                    "last4": self._payment_methods[payment_method]["card"]["last4"]
                    if payment_method in self._payment_methods
                    else "4242",
                },
                "type": "card",
            },
            "refunded": False,
            "status": "succeeded" if paid else "failed",
        }
        self._charges[charge["id"]] = charge
        return charge

    def _emit(
        self,
        ctx: _Ctx,
        event_type: str,
        data_object: dict[str, Any],
        previous_attributes: dict[str, Any] | None = None,
    ) -> None:
        data: dict[str, Any] = {"object": copy.deepcopy(data_object)}
        if previous_attributes is not None:
            data["previous_attributes"] = previous_attributes
        event = {
            "id": _new_id("evt"),
            "object": "event",
            "api_version": STRIPE_API_VERSION,
            "created": int(self._clock()),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1 if self.webhook_url else 0,
            "request": {"id": ctx.request_id, "idempotency_key": ctx.idempotency_key},
            "type": event_type,
        }
        self._events.append(event)
        ctx.events.append(event)

    # --- webhooks ---------------------------------------------------------------------------

    def _deliver(self, events: list[dict[str, Any]]) -> None:
        url = self.webhook_url
        if not url:
            return
        for event in events:
            self._post_event(event, url)

    def _post_event(self, event: dict[str, Any], url: str) -> WebhookDelivery:
        payload = json.dumps(event, indent=2).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": self.sign(payload),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        status: int | None = None
        error: str | None = None
        parts = urlsplit(url)
        try:
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"unsupported webhook URL {url!r}")
            connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
            connection = connection_class(parts.hostname, parts.port, timeout=self.webhook_timeout)
            try:
                target = parts.path or "/"
                if parts.query:
                    target += "?" + parts.query
                connection.request("POST", target, body=payload, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            finally:
                connection.close()
        except (OSError, ValueError, http.client.HTTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"
        delivery = WebhookDelivery(event["id"], event["type"], url, status, error, self._clock())
        with self._lock:
            self._deliveries.append(delivery)
        return delivery


# --- module helpers -----------------------------------------------------------------------------


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, indent=2).encode("utf-8")


def _error_body(error: dict[str, Any]) -> bytes:
    return _json({"error": error})


def _fault_error(status: int) -> dict[str, Any]:
    if status == 429:
        return {
            "type": "invalid_request_error",
            "code": "rate_limit",
            "message": "Too many requests hit the API too quickly.",
        }
    if status == 409:
        return {
            "type": "invalid_request_error",
            "code": "lock_timeout",
            "message": "This object cannot be "
            "accessed right now because another API request or Stripe process is currently accessing it.",
        }
    return {"type": "api_error", "message": "An unknown error occurred (injected fault)."}


def _luhn(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        digit = int(ch) * (2 if i % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def _brand(number: str) -> str:
    if number.startswith(("34", "37")):
        return "amex"
    if number[:2] in {"51", "52", "53", "54", "55"} or number.startswith("2"):
        return "mastercard"
    return "visa" if number.startswith("4") else "unknown"


def _card_error(code: str, message: str, param: str) -> FakeStripeError:
    """A card refused when the payment method is made: Stripe answers 402 and stores nothing."""
    error = {
        "type": "card_error",
        "code": code,
        "message": message,
        "param": param,
        "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
    }
    return FakeStripeError(402, error, store=False)


def _idempotency_error(key: str, first: str, now: str) -> dict[str, Any]:
    if first != now:
        message = (
            f"Keys for idempotent requests can only be used for the same endpoint they were first used for "
            f"('{first}' vs '{now}'). Try using a key other than '{key}' if you meant to execute a different "
            "request."
        )
    else:
        message = (
            "Keys for idempotent requests can only be used with the same parameters they were first used "
            f"with. Try using a key other than '{key}' if you meant to execute a different request."
        )
    return {"type": "idempotency_error", "message": message}


def _only(params: Mapping[str, Any], allowed: set[str]) -> None:
    for name in params:
        if name not in allowed:
            raise _invalid(f"Received unknown parameter: {name}", param=name, code="parameter_unknown", store=False)


def _int_param(params: Mapping[str, Any], name: str, *, required: bool) -> int | None:
    raw = params.get(name)
    if raw is None:
        if required:
            raise _invalid(f"Missing required param: {name}.", param=name, code="parameter_missing", store=False)
        return None
    if not isinstance(raw, str) or not re.fullmatch(r"-?\d{1,12}", raw):
        raise _invalid(f"Invalid integer: {raw}", param=name, code="parameter_invalid_integer", store=False)
    return int(raw)


def _metadata(raw: Any) -> dict[str, str]:
    if raw is None or raw == "":
        return {}
    if not isinstance(raw, dict):
        raise _invalid("Invalid object", param="metadata", code="parameter_invalid", store=False)
    if len(raw) > 50:
        raise _invalid("Metadata can have up to 50 keys.", param="metadata", code="parameter_invalid", store=False)
    out: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(value, str):
            raise _invalid(
                f"Invalid metadata value for {key}",
                param=f"metadata[{key}]",
                code="parameter_invalid",
                store=False,
            )
        if len(key) > 40 or len(value) > 500:
            raise _invalid(
                "Metadata keys can be up to 40 characters long and values up to 500 characters long.",
                param=f"metadata[{key}]",
                code="parameter_invalid",
                store=False,
            )
        if value != "":
            out[key] = value
    return out


# --- HTTP plumbing ------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeStripe/1.0"
    timeout = 60
    server: _Server

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_OPTIONS(self) -> None:
        self._serve("OPTIONS")

    def _serve(self, method: str) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        body = self.rfile.read(length) if length > 0 else b""
        request_headers = {name.lower(): value for name, value in self.headers.items()}
        status, headers, payload = self.server.fake.handle(method, self.path, request_headers, body)
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except OSError:  # the client gave up (e.g. its timeout fired)
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], fake: FakeStripe) -> None:
        self.fake = fake
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._open_lock:
            open_sockets = list(self._open)
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a fake Stripe API on the loopback interface.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--secret-key", default=None, help="API key to accept (random if omitted)")
    parser.add_argument("--webhook-secret", default=None, help="webhook signing secret (random if omitted)")
    parser.add_argument("--publishable-key", default=None, help="publishable key to accept (random if omitted)")
    parser.add_argument("--cors-origin", action="append", default=[], help="browser origin allowed to call it")
    parser.add_argument("--webhook-url", default=None, help="where to POST events")
    parser.add_argument("--home", default=None, help="local state folder to write stripe.json into")
    args = parser.parse_args(argv)

    fake = FakeStripe(
        secret_key=args.secret_key or "sk_test_" + secrets.token_hex(12),
        webhook_secret=args.webhook_secret or "whsec_" + secrets.token_hex(16),
        webhook_url=args.webhook_url,
        publishable_key=args.publishable_key or "pk_test_" + secrets.token_hex(12),
        cors_origins=tuple(args.cors_origin),
    )
    base_url = fake.start(args.host, args.port)
    print(f"fake Stripe listening on {base_url}", flush=True)
    if args.home:
        from pathlib import Path

        from dogcare.payments.secrets import StripeKeys, write_local_keys

        keys = StripeKeys(fake.secret_key, fake.webhook_secret)
        path = write_local_keys(Path(args.home), keys, base_url, publishable_key=fake.publishable_key)
        print(f"keys written to {path}; set DOGCARE_STRIPE_API_BASE={base_url}", flush=True)
    else:
        print(
            f"secret key: {fake.secret_key}\npublishable key: {fake.publishable_key}\n"
            f"webhook secret: {fake.webhook_secret}",
            flush=True,
        )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
