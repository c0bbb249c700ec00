"""The payment gateway port: what the services need from a card-payment provider.

Services depend on :class:`PaymentGateway` only. Two adapters implement it:
``StripeGateway`` (the official SDK, used in Lambda and against the local fake Stripe
server) and ``dogcare.testing.InMemoryPaymentGateway`` (an in-process fake for fast tests).

Conventions shared by every adapter:

* amounts are integers in the currency's minor unit (cents);
* currencies are accepted in any case and always returned upper-case (``"USD"``);
* every call that changes state takes an ``idempotency_key``: repeating a call with the
  same key and the same parameters returns the first result and changes nothing more;
  the same key with different parameters raises ``PaymentProviderError``;
* ``PaymentProviderUnavailable`` means "nothing is known, retry later with the same
  idempotency key"; ``PaymentProviderError`` means the provider refused the request.

This module must stay import-cheap: no payment SDK, no AWS SDK.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from dogcare.errors import InvalidWebhook, PaymentProviderError

# PaymentIntent statuses (Stripe's vocabulary, used by every adapter).
REQUIRES_PAYMENT_METHOD = "requires_payment_method"
REQUIRES_CONFIRMATION = "requires_confirmation"
REQUIRES_ACTION = "requires_action"
PROCESSING = "processing"
REQUIRES_CAPTURE = "requires_capture"
SUCCEEDED = "succeeded"
CANCELED = "canceled"

CANCELABLE_STATUSES: frozenset[str] = frozenset(
    {REQUIRES_PAYMENT_METHOD, REQUIRES_CONFIRMATION, REQUIRES_ACTION, PROCESSING, REQUIRES_CAPTURE}
)

# Webhook event types the services react to.
EVENT_INTENT_SUCCEEDED = "payment_intent.succeeded"
EVENT_INTENT_FAILED = "payment_intent.payment_failed"
EVENT_INTENT_CANCELED = "payment_intent.canceled"
EVENT_CHARGE_REFUNDED = "charge.refunded"

# Stripe's limits on metadata, enforced by every adapter so that a fake never accepts
# what the real provider would refuse.
METADATA_MAX_KEYS = 50
METADATA_MAX_KEY_LENGTH = 40
METADATA_MAX_VALUE_LENGTH = 500
IDEMPOTENCY_KEY_MAX_LENGTH = 255
_ID_PATTERN = re.compile(r"[a-z]+_[A-Za-z0-9_]{1,250}")


@dataclass(frozen=True)
class IntentResult:
    """A payment intent as the provider sees it."""

    id: str
    client_secret: str | None = field(repr=False)
    status: str
    amount: int
    currency: str
    metadata: dict[str, str]


@dataclass(frozen=True)
class RefundResult:
    id: str
    status: str
    amount: int
    payment_intent: str


FAILURE_REASON_MAX = 300  # characters of a decline's code and message kept on the payment


@dataclass(frozen=True)
class WebhookEvent:
    """A verified provider event, as the payment service reads it: typed facts, never the
    provider's raw object. A fact the event lacks, or states with the wrong type, is ``None``
    (the service then refuses to apply the event: it cannot tell what it would change)."""

    id: str
    type: str
    created: int
    intent_id: str | None  # the payment intent it is about (a charge names it as payment_intent)
    amount: int | None  # minor units
    currency: str | None  # as the provider spells it (lower case)
    amount_refunded: int | None  # 0 when the object does not say
    metadata: Mapping[str, str]  # our references (payment, booking, owner ids): strings only
    failure_reason: str | None  # a declined or failed payment's "code: message"


@runtime_checkable
class PaymentGateway(Protocol):
    def create_intent(
        self, *, amount: int, currency: str, metadata: Mapping[str, str], idempotency_key: str
    ) -> IntentResult: ...

    def retrieve_intent(self, intent_id: str) -> IntentResult: ...

    def cancel_intent(self, intent_id: str, *, idempotency_key: str) -> IntentResult: ...

    def refund(self, intent_id: str, *, amount: int, idempotency_key: str) -> RefundResult: ...

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> WebhookEvent: ...


# --- argument checks shared by the adapters ------------------------------------------


def check_amount(amount: object) -> int:
    """A positive integer amount in minor units (``bool`` is not an amount)."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise PaymentProviderError(f"amount must be an integer number of minor units, got {amount!r}")
    if amount <= 0:
        raise PaymentProviderError(f"amount must be positive, got {amount}")
    return amount


def normalize_currency(currency: object) -> str:
    """A three-letter ISO currency code, upper-case."""
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isascii() or not currency.isalpha():
        raise PaymentProviderError(f"currency must be a three-letter ISO code, got {currency!r}")
    return currency.upper()


def check_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    """A plain ``dict`` copy of ``metadata`` within Stripe's limits."""
    if len(metadata) > METADATA_MAX_KEYS:
        raise PaymentProviderError(f"metadata may hold at most {METADATA_MAX_KEYS} keys")
    out: dict[str, str] = {}
    for key, value in metadata.items():
        if not isinstance(key, str) or not key or "[" in key or "]" in key:
            raise PaymentProviderError(f"invalid metadata key {key!r}")
        if len(key) > METADATA_MAX_KEY_LENGTH:
            raise PaymentProviderError(f"metadata key {key!r} is longer than {METADATA_MAX_KEY_LENGTH}")
        if not isinstance(value, str):
            raise PaymentProviderError(f"metadata value for {key!r} must be a string")
        if len(value) > METADATA_MAX_VALUE_LENGTH:
            raise PaymentProviderError(f"metadata value for {key!r} is longer than {METADATA_MAX_VALUE_LENGTH}")
        out[key] = value
    return out


def check_idempotency_key(key: object) -> str:
    if not isinstance(key, str) or not key.strip():
        raise PaymentProviderError("an idempotency key is required")
    if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise PaymentProviderError(f"idempotency key is longer than {IDEMPOTENCY_KEY_MAX_LENGTH}")
    return key


def check_id(value: object, prefix: str) -> str:
    """A provider id such as ``pi_3Mtw...``: the prefix, then letters, digits or underscores."""
    if not isinstance(value, str) or not _ID_PATTERN.fullmatch(value) or not value.startswith(prefix):
        raise PaymentProviderError(f"expected an id starting with {prefix!r}, got {value!r}")
    return value


def event_from_json(document: object) -> WebhookEvent:
    """Build a :class:`WebhookEvent` from a decoded event body, or raise ``InvalidWebhook``."""
    if not isinstance(document, dict):
        raise InvalidWebhook("webhook body is not a JSON object")
    event_id = document.get("id")
    event_type = document.get("type")
    created = document.get("created")
    data = document.get("data")
    data_object = data.get("object") if isinstance(data, dict) else None
    if (
        not isinstance(event_id, str)
        or not isinstance(event_type, str)
        or isinstance(created, bool)
        or not isinstance(created, int)
        or not isinstance(data_object, dict)
    ):
        raise InvalidWebhook("webhook body is not an event (id, type, created, data.object)")
    raw_meta = data_object.get("metadata")
    metadata = {k: v for k, v in raw_meta.items() if isinstance(v, str)} if isinstance(raw_meta, dict) else {}
    intent = data_object.get("id") if event_type.startswith("payment_intent.") else data_object.get("payment_intent")
    currency = data_object.get("currency")
    return WebhookEvent(
        id=event_id,
        type=event_type,
        created=created,
        intent_id=intent if isinstance(intent, str) and intent else None,
        amount=_integer(data_object.get("amount")),
        currency=currency if isinstance(currency, str) else None,
        amount_refunded=_integer(data_object.get("amount_refunded", 0)),
        metadata=metadata,
        failure_reason=_failure_reason(data_object) if event_type == EVENT_INTENT_FAILED else None,
    )


def _integer(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _failure_reason(data: Mapping[str, Any]) -> str:
    error = data.get("last_payment_error")
    if not isinstance(error, dict):
        return "payment failed"
    code = "/".join(str(error[k]) for k in ("code", "decline_code") if error.get(k))
    message = str(error.get("message") or "payment failed")
    return (f"{code}: {message}" if code else message)[:FAILURE_REASON_MAX]
