"""The Stripe adapter of the payment gateway port, on the official SDK.

``stripe`` costs about a tenth of a second to import, so it is imported inside the
constructor and methods only; importing this module is cheap.

Error mapping (see :func:`translate_stripe_error`):

* no answer (connection refused, timeout), HTTP 5xx, 429 and 409 (a lock or an
  in-flight request with the same idempotency key) -> ``PaymentProviderUnavailable``:
  the outcome is unknown or transient, retry later with the same idempotency key;
* any other refusal (4xx, card and idempotency errors, a bad key) ->
  ``PaymentProviderError`` with the provider's type, code, message and request id.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from dogcare.errors import DogcareError, InvalidWebhook, PaymentProviderError, PaymentProviderUnavailable
from dogcare.payments.gateway import (
    IntentResult,
    RefundResult,
    WebhookEvent,
    check_amount,
    check_id,
    check_idempotency_key,
    check_metadata,
    event_from_json,
    normalize_currency,
)

if TYPE_CHECKING:
    import stripe

# The API version every request is pinned to (the one stripe-python 16.1 is generated
# for). Changing it is a deliberate upgrade: read Stripe's changelog first.
STRIPE_API_VERSION = "2026-10-28.endive"

_SECRET_PATTERN = re.compile(r"\b(?:sk|rk|pk)_(?:test|live)_[0-9A-Za-z*]+|\bwhsec_[0-9A-Za-z*]+")
_TRANSIENT_STATUSES = frozenset({409, 429})
WEBHOOK_TOLERANCE = 300  # seconds a signed event may be old (Stripe's default) -- or early
MAX_WEBHOOK_DEPTH = 64  # Stripe's events nest about ten levels deep

T = TypeVar("T")


def redact(text: str) -> str:
    """Remove anything that looks like a Stripe key or webhook secret."""
    return _SECRET_PATTERN.sub("[redacted]", text)


def translate_stripe_error(exc: stripe.StripeError, operation: str) -> DogcareError:
    """Map an SDK exception to ``PaymentProviderUnavailable`` or ``PaymentProviderError``."""
    import stripe

    status = exc.http_status
    body: dict[str, Any] = exc.json_body if isinstance(exc.json_body, dict) else {}
    raw_error = body.get("error")
    error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
    error_type = error.get("type")
    code = exc.code or error.get("code")
    message = redact(exc.user_message or type(exc).__name__)

    where = f"HTTP {status}" if status else "no response"
    kind = "/".join(str(part) for part in (error_type, code) if part)
    detail = f"Stripe {operation} failed ({where}{', ' + kind if kind else ''}): {message}"
    if exc.request_id:
        detail += f" [request {exc.request_id}]"

    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError):
        return PaymentProviderUnavailable(detail)
    if status is not None and (status >= 500 or status in _TRANSIENT_STATUSES):
        return PaymentProviderUnavailable(detail)
    return PaymentProviderError(detail)


class StripeGateway:
    """:class:`~dogcare.payments.gateway.PaymentGateway` on Stripe's API.

    ``timeout_seconds`` bounds each HTTP attempt (connect and read); the SDK retries
    connection errors, timeouts, 409 and 5xx up to ``max_network_retries`` times with
    the same idempotency key and a short exponential back-off.
    """

    def __init__(
        self,
        secret_key: str,
        webhook_secret: str,
        api_base: str | None = None,
        timeout_seconds: float = 10,
        max_network_retries: int = 2,
    ) -> None:
        if not secret_key:
            raise PaymentProviderError("Stripe secret key is not configured")
        if not webhook_secret:
            raise PaymentProviderError("Stripe webhook secret is not configured")
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        if max_network_retries < 0:
            raise ValueError("max_network_retries must not be negative")

        import stripe

        self._webhook_secret = webhook_secret
        self._api_base = api_base.rstrip("/") if api_base else None
        self._http_client = stripe.RequestsClient(timeout=timeout_seconds)
        self._client = stripe.StripeClient(
            secret_key,
            stripe_version=STRIPE_API_VERSION,
            base_addresses={"api": self._api_base} if self._api_base else None,
            max_network_retries=max_network_retries,
            http_client=self._http_client,
        )

    def __repr__(self) -> str:
        return f"StripeGateway(api_base={self._api_base or 'https://api.stripe.com'!r})"

    def close(self) -> None:
        """Close pooled HTTP connections (of the calling thread)."""
        self._http_client.close()  # type: ignore[no-untyped-call]  # the SDK leaves it unannotated

    # --- port ---------------------------------------------------------------------

    def create_intent(
        self, *, amount: int, currency: str, metadata: Mapping[str, str], idempotency_key: str
    ) -> IntentResult:
        amount = check_amount(amount)
        code = normalize_currency(currency).lower()
        meta = check_metadata(metadata)
        key = check_idempotency_key(idempotency_key)
        intent = self._call(
            "create_intent",
            lambda: self._client.v1.payment_intents.create(
                params={"amount": amount, "currency": code, "metadata": meta},
                options={"idempotency_key": key},
            ),
        )
        return _intent_result(intent)

    def retrieve_intent(self, intent_id: str) -> IntentResult:
        intent_id = check_id(intent_id, "pi_")
        intent = self._call("retrieve_intent", lambda: self._client.v1.payment_intents.retrieve(intent_id))
        return _intent_result(intent)

    def cancel_intent(self, intent_id: str, *, idempotency_key: str) -> IntentResult:
        intent_id = check_id(intent_id, "pi_")
        key = check_idempotency_key(idempotency_key)
        intent = self._call(
            "cancel_intent",
            lambda: self._client.v1.payment_intents.cancel(intent_id, options={"idempotency_key": key}),
        )
        return _intent_result(intent)

    def refund(self, intent_id: str, *, amount: int, idempotency_key: str) -> RefundResult:
        intent_id = check_id(intent_id, "pi_")
        amount = check_amount(amount)
        key = check_idempotency_key(idempotency_key)
        refund = self._call(
            "refund",
            lambda: self._client.v1.refunds.create(
                params={"payment_intent": intent_id, "amount": amount},
                options={"idempotency_key": key},
            ),
        )
        payment_intent = refund.payment_intent
        return RefundResult(
            id=refund.id,
            status=str(refund.status),
            amount=int(refund.amount),
            payment_intent=payment_intent if isinstance(payment_intent, str) else intent_id,
        )

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> WebhookEvent:
        if not signature_header:
            raise InvalidWebhook("missing Stripe-Signature header")
        import stripe

        try:
            text = payload.decode("utf-8")  # Stripe signs UTF-8 JSON; anything else is not an event
            stripe.WebhookSignature.verify_header(text, signature_header, self._webhook_secret, WEBHOOK_TOLERANCE)
        except UnicodeDecodeError:
            raise InvalidWebhook("webhook body is not a JSON event") from None
        except stripe.SignatureVerificationError as exc:
            raise InvalidWebhook(f"bad webhook signature: {redact(exc.user_message or '')}") from None
        _check_not_in_future(signature_header)
        try:
            document = json.loads(text)
        except RecursionError:  # signed, but nested deeper than the parser goes
            raise InvalidWebhook("webhook body is nested too deeply") from None
        except (ValueError, TypeError):
            raise InvalidWebhook("webhook body is not a JSON event") from None
        if _depth_exceeds(document, MAX_WEBHOOK_DEPTH):
            raise InvalidWebhook("webhook body is nested too deeply")
        return event_from_json(document)

    # --- helpers --------------------------------------------------------------------

    def _call(self, operation: str, request: Callable[[], T]) -> T:
        import stripe

        try:
            return request()
        except stripe.StripeError as exc:
            raise translate_stripe_error(exc, operation) from exc


def _check_not_in_future(signature_header: str, now: float | None = None) -> None:
    """Stripe's SDK refuses a timestamp older than the tolerance but accepts any in the future,
    so a signed event captured with a clock skewed (or set) days ahead would stay replayable
    until then. The header was just verified, so its ``t`` is well-formed."""
    for item in signature_header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise InvalidWebhook("bad webhook signature: unreadable timestamp") from None
            if timestamp > (time.time() if now is None else now) + WEBHOOK_TOLERANCE:
                raise InvalidWebhook(f"bad webhook signature: timestamp is more than {WEBHOOK_TOLERANCE} s ahead")


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Iteratively, so that the check itself cannot run out of stack."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def _intent_result(intent: Any) -> IntentResult:
    metadata = intent.metadata.to_dict() if intent.metadata is not None else {}
    return IntentResult(
        id=intent.id,
        client_secret=intent.client_secret,
        status=str(intent.status),
        amount=int(intent.amount),
        currency=str(intent.currency).upper(),
        metadata={str(k): str(v) for k, v in metadata.items()},
    )
