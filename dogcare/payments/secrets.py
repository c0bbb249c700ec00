"""Where the Stripe keys come from, and the per-process gateway built from them.

Sources, first match wins:

1. ``settings.stripe_secret_name`` (``DOGCARE_STRIPE_SECRET_NAME``): an AWS Secrets
   Manager secret holding ``{"secret_key": "sk_...", "webhook_secret": "whsec_..."}``,
   read with Powertools Parameters and cached for five minutes, so a rotated secret is
   picked up without a cold start;
2. ``settings.stripe_secret_key`` and ``settings.stripe_webhook_secret``
   (``DOGCARE_STRIPE_SECRET_KEY``, ``DOGCARE_STRIPE_WEBHOOK_SECRET``);
3. ``<settings.home>/stripe.json``, the same document, written by the local fake Stripe
   server (see :func:`write_local_keys`).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dogcare.errors import PaymentProviderError, PaymentProviderUnavailable
from dogcare.payments.gateway import PaymentGateway
from dogcare.payments.stripe_gateway import StripeGateway
from dogcare.settings import Settings

LOCAL_KEYS_FILE = "stripe.json"
SECRET_MAX_AGE_SECONDS = 300

# Secrets Manager / AWS error codes that mean "try again later", not "misconfigured".
_TRANSIENT_AWS_CODES = frozenset(
    {
        "InternalServiceError",
        "InternalFailure",
        "ServiceUnavailable",
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)


@dataclass(frozen=True)
class StripeKeys:
    secret_key: str = field(repr=False)
    webhook_secret: str = field(repr=False)


def load_stripe_keys(settings: Settings) -> StripeKeys:
    """The Stripe keys of this deployment; ``PaymentProviderError`` if none are configured."""
    if settings.stripe_secret_name:
        return _from_secrets_manager(settings.stripe_secret_name)
    if settings.stripe_secret_key or settings.stripe_webhook_secret:
        if not (settings.stripe_secret_key and settings.stripe_webhook_secret):
            missing = "DOGCARE_STRIPE_WEBHOOK_SECRET" if settings.stripe_secret_key else "DOGCARE_STRIPE_SECRET_KEY"
            raise PaymentProviderError(f"Stripe is half configured: {missing} is not set")
        return StripeKeys(settings.stripe_secret_key, settings.stripe_webhook_secret)
    path = settings.home / LOCAL_KEYS_FILE
    if path.is_file():
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PaymentProviderError(f"cannot read Stripe keys from {path}: {type(exc).__name__}") from None
        return _from_document(document, f"file {path}")
    raise PaymentProviderError(
        "Stripe is not configured: set DOGCARE_STRIPE_SECRET_NAME (a Secrets Manager secret), or "
        "DOGCARE_STRIPE_SECRET_KEY and DOGCARE_STRIPE_WEBHOOK_SECRET, or start the local fake Stripe "
        f"server, which writes {LOCAL_KEYS_FILE} into the local state folder"
    )


def write_local_keys(
    home: Path, keys: StripeKeys, api_base: str | None = None, *, publishable_key: str | None = None
) -> Path:
    """Write ``<home>/stripe.json`` (owner-only permissions, atomically); return its path.

    ``publishable_key`` is the local Stripe's browser key, for the web app's config."""
    home.mkdir(parents=True, exist_ok=True)
    document: dict[str, str] = {"secret_key": keys.secret_key, "webhook_secret": keys.webhook_secret}
    if api_base:
        document["api_base"] = api_base
    if publishable_key:
        document["publishable_key"] = publishable_key
    path = home / LOCAL_KEYS_FILE
    fd, tmp = tempfile.mkstemp(dir=home, prefix=".stripe-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# --- the gateway of this process ---------------------------------------------------------

_lock = threading.Lock()
_gateways: dict[Settings, tuple[StripeKeys, StripeGateway]] = {}


def build_gateway(settings: Settings) -> PaymentGateway:
    """The ``StripeGateway`` of this process for ``settings``, reused across invocations.

    Keys are re-read on every call (cheap: Secrets Manager values are cached by
    Powertools for five minutes) and the gateway is rebuilt only when they changed. If
    Secrets Manager is briefly unreachable the gateway built earlier keeps serving.
    """
    with _lock:
        cached = _gateways.get(settings)
    try:
        keys = load_stripe_keys(settings)
    except PaymentProviderUnavailable:
        if cached is not None:
            return cached[1]
        raise
    if cached is not None and cached[0] == keys:
        return cached[1]
    # Two attempts of 8 s fit inside a function's 29 s budget with room for DynamoDB.
    gateway = StripeGateway(
        keys.secret_key,
        keys.webhook_secret,
        api_base=settings.stripe_api_base,
        timeout_seconds=8,
        max_network_retries=1,
    )
    with _lock:
        _gateways[settings] = (keys, gateway)
    return gateway


def reset_gateway_cache() -> None:
    """Forget every gateway built so far (tests, or after changing keys by hand)."""
    with _lock:
        _gateways.clear()


# --- internals ----------------------------------------------------------------------------


def _from_document(document: Any, source: str) -> StripeKeys:
    if isinstance(document, dict):
        secret_key = document.get("secret_key")
        webhook_secret = document.get("webhook_secret")
        if isinstance(secret_key, str) and secret_key and isinstance(webhook_secret, str) and webhook_secret:
            return StripeKeys(secret_key, webhook_secret)
    raise PaymentProviderError(
        f"Stripe keys in {source} must be a JSON object with non-empty 'secret_key' and 'webhook_secret'"
    )


def _from_secrets_manager(name: str) -> StripeKeys:
    from aws_lambda_powertools.utilities.parameters import get_secret
    from aws_lambda_powertools.utilities.parameters.exceptions import (
        GetParameterError,
        TransformParameterError,
    )

    try:
        document = get_secret(name, transform="json", max_age=SECRET_MAX_AGE_SECONDS)
    except TransformParameterError:
        raise PaymentProviderError(f"Stripe keys in secret {name!r} are not valid JSON") from None
    except GetParameterError as exc:
        detail = f"cannot read Stripe keys from secret {name!r}: {exc}"
        if _is_transient(exc.__cause__ or exc.__context__):
            raise PaymentProviderUnavailable(detail) from exc
        raise PaymentProviderError(detail) from exc
    return _from_document(document, f"secret {name!r}")


def _is_transient(cause: BaseException | None) -> bool:
    if cause is None:
        return False
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    if isinstance(cause, ConnectionError | HTTPClientError):
        return True
    if isinstance(cause, ClientError):
        error = cause.response.get("Error", {})
        status = cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error.get("Code") in _TRANSIENT_AWS_CODES or int(status or 0) >= 500
    return False
