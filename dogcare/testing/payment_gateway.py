"""An in-process fake of the payment gateway with Stripe's semantics, for fast tests.

What it shares with Stripe (and with ``dogcare.local.fake_stripe``):

* idempotency: a key replays the first outcome (result *or* refusal) of the call that
  used it; the same key with other parameters, or for another operation, is refused;
  calls refused by argument validation do not consume the key;
* intents start in ``requires_payment_method``; only ``succeeded`` intents can be
  refunded, and the refunds of an intent never add up to more than it received; only
  unfinished intents can be cancelled; amounts below 50 minor units are refused;
* every state change records a Stripe-shaped event (``payment_intent.succeeded``,
  ``payment_intent.payment_failed``, ``payment_intent.canceled``, ``charge.refunded``)
  in :attr:`InMemoryPaymentGateway.events`; :meth:`~InMemoryPaymentGateway.signed_event`
  turns one into a body and a ``Stripe-Signature`` header that ``parse_webhook``
  verifies with a real HMAC-SHA256 check and a 300-second tolerance.

Test switches: ``unavailable = True`` (every call raises ``PaymentProviderUnavailable``
and changes nothing), :meth:`fail_next` (the next *n* calls do the same), and
:meth:`lose_next_response` (the next *n* calls take effect, then raise
``PaymentProviderUnavailable``, as when a response is lost on the way back).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from dogcare.errors import InvalidWebhook, PaymentProviderError, PaymentProviderUnavailable
from dogcare.payments.gateway import (
    CANCELABLE_STATUSES,
    CANCELED,
    EVENT_CHARGE_REFUNDED,
    EVENT_INTENT_CANCELED,
    EVENT_INTENT_FAILED,
    EVENT_INTENT_SUCCEEDED,
    REQUIRES_PAYMENT_METHOD,
    SUCCEEDED,
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

DEFAULT_WEBHOOK_SECRET = "whsec_memory_gateway_test"  # noqa: S105 - a fake, not a credential
SIGNATURE_TOLERANCE_SECONDS = 300
MIN_AMOUNT = 50
_CONFIRMABLE = frozenset({REQUIRES_PAYMENT_METHOD, "requires_confirmation", "requires_action", "processing"})

T = TypeVar("T")


def sign_payload(payload: bytes, secret: str, timestamp: int) -> str:
    """A ``Stripe-Signature`` header value: ``t=<ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<payload>")>``."""
    signed = str(timestamp).encode("ascii") + b"." + payload
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(
    payload: bytes,
    header: str | None,
    secret: str,
    *,
    now: float,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
) -> None:
    """Check a ``Stripe-Signature`` header as Stripe's libraries do; raise ``InvalidWebhook``."""
    if not header:
        raise InvalidWebhook("missing Stripe-Signature header")
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        name, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise InvalidWebhook("bad webhook signature: unreadable timestamp") from None
        elif name == "v1":
            signatures.append(value)
    if timestamp is None:
        raise InvalidWebhook("bad webhook signature: no timestamp")
    if not signatures:
        raise InvalidWebhook("bad webhook signature: no v1 signature")
    expected = sign_payload(payload, secret, timestamp).split("v1=", 1)[1]
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise InvalidWebhook("bad webhook signature: no signature matches the payload")
    if timestamp < now - tolerance:
        raise InvalidWebhook(f"bad webhook signature: timestamp {timestamp} is older than {tolerance} s")
    if timestamp > now + tolerance:  # a signed event from the future would stay replayable until then
        raise InvalidWebhook(f"bad webhook signature: timestamp {timestamp} is more than {tolerance} s ahead")


@dataclass
class _Intent:
    id: str
    client_secret: str
    amount: int
    currency: str
    metadata: dict[str, str]
    created: int
    status: str = REQUIRES_PAYMENT_METHOD
    amount_received: int = 0
    amount_refunded: int = 0
    latest_charge: str | None = None
    last_payment_error: dict[str, Any] | None = None
    canceled_at: int | None = None
    refunds: list[str] = field(default_factory=list)

    def result(self) -> IntentResult:
        return IntentResult(
            id=self.id,
            client_secret=self.client_secret,
            status=self.status,
            amount=self.amount,
            currency=self.currency,
            metadata=dict(self.metadata),
        )

    def as_stripe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "payment_intent",
            "amount": self.amount,
            "amount_received": self.amount_received,
            "canceled_at": self.canceled_at,
            "client_secret": self.client_secret,
            "created": self.created,
            "currency": self.currency.lower(),
            "last_payment_error": copy.deepcopy(self.last_payment_error),
            "latest_charge": self.latest_charge,
            "livemode": False,
            "metadata": dict(self.metadata),
            "status": self.status,
        }

    def charge_as_stripe(self) -> dict[str, Any]:
        return {
            "id": self.latest_charge,
            "object": "charge",
            "amount": self.amount,
            "amount_captured": self.amount_received,
            "amount_refunded": self.amount_refunded,
            "captured": self.amount_received > 0,
            "created": self.created,
            "currency": self.currency.lower(),
            "livemode": False,
            "metadata": dict(self.metadata),
            "paid": self.amount_received > 0,
            "payment_intent": self.id,
            "refunded": self.amount_received > 0 and self.amount_refunded >= self.amount_received,
            "status": "succeeded" if self.amount_received > 0 else "failed",
        }


@dataclass(frozen=True)
class _Outcome:
    fingerprint: Hashable
    result: Any = None
    error: PaymentProviderError | None = None


class InMemoryPaymentGateway:
    """Thread-safe in-memory :class:`~dogcare.payments.gateway.PaymentGateway`."""

    def __init__(
        self,
        webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
        *,
        clock: Callable[[], float] = time.time,
        min_amount: int = MIN_AMOUNT,
    ) -> None:
        self.webhook_secret = webhook_secret
        self.unavailable = False
        self._clock = clock
        self._min_amount = min_amount
        self._lock = threading.RLock()
        self._intents: dict[str, _Intent] = {}
        self._refunds: dict[str, RefundResult] = {}
        self._outcomes: dict[str, _Outcome] = {}
        self._events: list[dict[str, Any]] = []
        self._calls: list[str] = []
        self._fail_next = 0
        self._lose_next = 0
        self._ids = itertools.count(1)

    # --- port ---------------------------------------------------------------------

    def create_intent(
        self, *, amount: int, currency: str, metadata: Mapping[str, str], idempotency_key: str
    ) -> IntentResult:
        with self._lock:
            self._enter("create_intent")
            amount = check_amount(amount)
            code = normalize_currency(currency)
            meta = check_metadata(metadata)
            key = check_idempotency_key(idempotency_key)
            if amount < self._min_amount:
                raise PaymentProviderError(f"amount must be at least {self._min_amount} minor units (amount_too_small)")
            fingerprint = ("create_intent", amount, code, tuple(sorted(meta.items())))
            kept = {name: value for name, value in meta.items() if value != ""}  # Stripe drops empty values
            return self._idempotent(key, fingerprint, lambda: self._create(amount, code, kept))

    def retrieve_intent(self, intent_id: str) -> IntentResult:
        with self._lock:
            self._enter("retrieve_intent")
            result = self._get(check_id(intent_id, "pi_")).result()
            return self._leave(result)

    def cancel_intent(self, intent_id: str, *, idempotency_key: str) -> IntentResult:
        with self._lock:
            self._enter("cancel_intent")
            check_id(intent_id, "pi_")
            key = check_idempotency_key(idempotency_key)
            return self._idempotent(key, ("cancel_intent", intent_id), lambda: self._cancel(intent_id, key))

    def refund(self, intent_id: str, *, amount: int, idempotency_key: str) -> RefundResult:
        with self._lock:
            self._enter("refund")
            check_id(intent_id, "pi_")
            amount = check_amount(amount)
            key = check_idempotency_key(idempotency_key)
            return self._idempotent(key, ("refund", intent_id, amount), lambda: self._refund(intent_id, amount, key))

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> WebhookEvent:
        verify_signature(payload, signature_header, self.webhook_secret, now=self._clock())
        try:
            document = json.loads(payload)
        except RecursionError:
            raise InvalidWebhook("webhook body is nested too deeply") from None
        except (ValueError, TypeError):
            raise InvalidWebhook("webhook body is not a JSON event") from None
        return event_from_json(document)

    # --- test helpers ---------------------------------------------------------------

    def succeed(self, intent_id: str) -> IntentResult:
        """The customer paid: the intent succeeds and ``payment_intent.succeeded`` is recorded."""
        with self._lock:
            intent = self._get(intent_id)
            self._require_confirmable(intent)
            intent.status = SUCCEEDED
            intent.amount_received = intent.amount
            intent.latest_charge = self._new_id("ch")
            intent.last_payment_error = None
            self._emit(EVENT_INTENT_SUCCEEDED, intent.as_stripe(), None)
            return intent.result()

    def decline(self, intent_id: str, *, decline_code: str = "generic_decline") -> IntentResult:
        """The card was declined: back to ``requires_payment_method``, event recorded."""
        with self._lock:
            intent = self._get(intent_id)
            self._require_confirmable(intent)
            intent.status = REQUIRES_PAYMENT_METHOD
            intent.last_payment_error = {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": decline_code,
                "message": "Your card was declined.",
            }
            self._emit(EVENT_INTENT_FAILED, intent.as_stripe(), None)
            return intent.result()

    def fail_next(self, count: int = 1) -> None:
        """The next ``count`` calls raise ``PaymentProviderUnavailable`` and change nothing."""
        with self._lock:
            self._fail_next += count

    def lose_next_response(self, count: int = 1) -> None:
        """The next ``count`` calls take effect, then raise ``PaymentProviderUnavailable``."""
        with self._lock:
            self._lose_next += count

    def sign(self, payload: bytes, timestamp: int | None = None) -> str:
        """A ``Stripe-Signature`` header for ``payload`` made with this gateway's secret."""
        return sign_payload(payload, self.webhook_secret, int(self._clock()) if timestamp is None else timestamp)

    def signed_event(self, event: Mapping[str, Any] | str, *, timestamp: int | None = None) -> tuple[bytes, str]:
        """``(body, Stripe-Signature)`` for a recorded event (by id) or any event document."""
        if isinstance(event, str):
            with self._lock:
                found = [e for e in self._events if e["id"] == event]
            if not found:
                raise KeyError(event)
            event = found[0]
        payload = json.dumps(event, separators=(",", ":")).encode("utf-8")
        return payload, self.sign(payload, timestamp)

    @property
    def events(self) -> list[dict[str, Any]]:
        """Stripe-shaped events recorded so far, oldest first (copies)."""
        with self._lock:
            return copy.deepcopy(self._events)

    def events_of(self, event_type: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event["type"] == event_type]

    @property
    def intents(self) -> dict[str, dict[str, Any]]:
        """Every intent as a Stripe-shaped ``payment_intent`` (with ``amount_received``)."""
        with self._lock:
            return {intent_id: intent.as_stripe() for intent_id, intent in self._intents.items()}

    def refunds_of(self, intent_id: str) -> list[RefundResult]:
        with self._lock:
            return [self._refunds[refund_id] for refund_id in self._get(intent_id).refunds]

    def amount_refunded(self, intent_id: str) -> int:
        with self._lock:
            return self._get(intent_id).amount_refunded

    @property
    def calls(self) -> list[str]:
        """Names of the port calls made so far, including refused and failed ones."""
        with self._lock:
            return list(self._calls)

    # --- internals ------------------------------------------------------------------

    def _enter(self, operation: str) -> None:
        self._calls.append(operation)
        if self.unavailable:
            raise PaymentProviderUnavailable(f"payment provider unavailable ({operation})")
        if self._fail_next > 0:
            self._fail_next -= 1
            raise PaymentProviderUnavailable(f"payment provider unavailable ({operation})")

    def _leave(self, result: T) -> T:
        if self._lose_next > 0:
            self._lose_next -= 1
            raise PaymentProviderUnavailable("payment provider did not answer in time")
        return result

    def _idempotent(self, key: str, fingerprint: Hashable, action: Callable[[], T]) -> T:
        stored = self._outcomes.get(key)
        if stored is not None:
            if stored.fingerprint != fingerprint:
                raise PaymentProviderError(
                    f"idempotency key {key!r} was already used with other parameters (idempotency_error)"
                )
        else:
            try:
                stored = _Outcome(fingerprint, result=action())
            except PaymentProviderError as exc:
                stored = _Outcome(fingerprint, error=exc)
            self._outcomes[key] = stored
        if stored.error is not None:
            raise PaymentProviderError(stored.error.detail)
        result: T = stored.result  # what ``action`` returned for this key (outcomes are keyed per operation)
        return self._leave(result)

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):06d}{secrets.token_hex(6)}"

    def _get(self, intent_id: str) -> _Intent:
        intent = self._intents.get(intent_id) if isinstance(intent_id, str) else None
        if intent is None:
            raise PaymentProviderError(f"No such payment_intent: {intent_id!r} (resource_missing)")
        return intent

    def _require_confirmable(self, intent: _Intent) -> None:
        if intent.status not in _CONFIRMABLE:
            raise PaymentProviderError(
                f"PaymentIntent {intent.id} has status {intent.status} and cannot be confirmed "
                "(payment_intent_unexpected_state)"
            )

    def _create(self, amount: int, currency: str, metadata: dict[str, str]) -> IntentResult:
        intent_id = self._new_id("pi")
        intent = _Intent(
            id=intent_id,
            client_secret=f"{intent_id}_secret_{secrets.token_urlsafe(18)}",
            amount=amount,
            currency=currency,
            metadata=metadata,
            created=int(self._clock()),
        )
        self._intents[intent_id] = intent
        return intent.result()

    def _cancel(self, intent_id: str, key: str) -> IntentResult:
        intent = self._get(intent_id)
        if intent.status not in CANCELABLE_STATUSES:
            raise PaymentProviderError(
                f"You cannot cancel PaymentIntent {intent_id} because it has a status of {intent.status} "
                "(payment_intent_unexpected_state)"
            )
        intent.status = CANCELED
        intent.canceled_at = int(self._clock())
        self._emit(EVENT_INTENT_CANCELED, intent.as_stripe(), key)
        return intent.result()

    def _refund(self, intent_id: str, amount: int, key: str) -> RefundResult:
        intent = self._get(intent_id)
        if intent.status != SUCCEEDED:
            raise PaymentProviderError(
                f"PaymentIntent {intent_id} has status {intent.status} and no successful charge to refund "
                "(charge_not_refundable)"
            )
        remaining = intent.amount_received - intent.amount_refunded
        if remaining <= 0:
            raise PaymentProviderError(
                f"Charge {intent.latest_charge} has already been refunded (charge_already_refunded)"
            )
        if amount > remaining:
            raise PaymentProviderError(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining}) (amount_too_large)"
            )
        refund = RefundResult(id=self._new_id("re"), status="succeeded", amount=amount, payment_intent=intent_id)
        intent.amount_refunded += amount
        intent.refunds.append(refund.id)
        self._refunds[refund.id] = refund
        self._emit(EVENT_CHARGE_REFUNDED, intent.charge_as_stripe(), key)
        return refund

    def _emit(self, event_type: str, data_object: dict[str, Any], idempotency_key: str | None) -> None:
        self._events.append(
            {
                "id": self._new_id("evt"),
                "object": "event",
                "api_version": None,
                "created": int(self._clock()),
                "data": {"object": data_object},
                "livemode": False,
                "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": idempotency_key},
                "type": event_type,
            }
        )
