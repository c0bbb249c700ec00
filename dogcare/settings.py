"""One typed settings object, read once from ``DOGCARE_*`` environment variables.

Everything configurable lives here so that a reader finds every knob in one place and
tests can build a ``Settings`` by hand instead of patching the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Literal

from dogcare.domain.vocabulary import ServiceType

Layout = Literal["single", "four"]
SERVICE_TYPES: tuple[ServiceType, ...] = tuple(ServiceType)


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _csv(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = _env(name)
    if raw is None:
        return default
    return tuple(part.strip() for part in raw.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    # --- storage -----------------------------------------------------------------
    table_layout: Layout = "single"
    table_prefix: str = "dogcare-dev"
    dynamodb_endpoint: str | None = None
    region: str = "us-east-1"

    # --- local state (dev issuer keys, fake Stripe secrets, cursor key) -------------
    home: Path = field(default_factory=lambda: Path(".dogcare"))

    # --- business rules ------------------------------------------------------------
    timezone: str = "UTC"
    currency: str = "USD"
    required_vaccinations: tuple[str, ...] = ("rabies", "dhpp", "bordetella")
    vaccination_expiring_days: int = 30
    booking_horizon_days: int = 365
    max_pending_bookings: int = 10
    default_daily_capacity: int = 20
    opening_hour: int = 6
    closing_hour: int = 20

    # --- API surface ---------------------------------------------------------------
    rate_limit_per_minute: int = 120
    cors_origins: tuple[str, ...] = ("http://localhost:3000", "http://127.0.0.1:3000")
    cursor_secret: str | None = None

    # --- authentication ------------------------------------------------------------
    auth_issuer: str | None = None
    auth_audience: str | None = None
    auth_jwks_url: str | None = None
    auth_token_use: str = "access"  # noqa: S105 - a claim value, not a secret
    # The app client whose ID tokens prove an owner's verified email (the ``aud`` of an ID
    # token); the access tokens' audience when unset, which is the same client in Cognito.
    auth_client_id: str | None = None

    # --- payments ------------------------------------------------------------------
    stripe_api_base: str | None = None
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_secret_name: str | None = None
    refund_full_hours: int = 24
    refund_late_percent: int = 50
    price_table_json: str | None = None

    # --- unpaid holds --------------------------------------------------------------
    # A pending booking holds its places this long; starting a payment keeps it at least
    # ``hold_payment_seconds`` more. DOGCARE_HOLD_MINUTES sets it; DOGCARE_HOLD_SECONDS (for
    # tests and demos) overrides it to the second.
    hold_seconds: int = 30 * 60
    hold_payment_seconds: int = 15 * 60
    sweep_interval_seconds: int = 30  # local mode only: AWS runs the sweeper every minute
    sweep_batch: int = 100  # holds expired per sweep at most (bounded work per run)

    @classmethod
    def from_env(cls) -> Settings:
        layout = _env("DOGCARE_TABLE_LAYOUT", "single")
        if layout not in ("single", "four"):
            raise ValueError(f"DOGCARE_TABLE_LAYOUT must be 'single' or 'four', got {layout!r}")
        return cls(
            table_layout=layout,  # type: ignore[arg-type]
            table_prefix=_env("DOGCARE_TABLE_PREFIX", "dogcare-dev") or "dogcare-dev",
            dynamodb_endpoint=_env("DOGCARE_DYNAMODB_ENDPOINT"),
            region=_env("AWS_REGION") or _env("AWS_DEFAULT_REGION") or "us-east-1",
            home=Path(_env("DOGCARE_HOME", ".dogcare") or ".dogcare"),
            timezone=_env("DOGCARE_TIMEZONE", "UTC") or "UTC",
            currency=(_env("DOGCARE_CURRENCY", "USD") or "USD").upper(),
            required_vaccinations=_csv("DOGCARE_REQUIRED_VACCINATIONS", cls.required_vaccinations),
            booking_horizon_days=_int("DOGCARE_BOOKING_HORIZON_DAYS", cls.booking_horizon_days),
            max_pending_bookings=_int("DOGCARE_MAX_PENDING_BOOKINGS", cls.max_pending_bookings),
            default_daily_capacity=_int("DOGCARE_DEFAULT_DAILY_CAPACITY", cls.default_daily_capacity),
            opening_hour=_int("DOGCARE_OPENING_HOUR", cls.opening_hour),
            closing_hour=_int("DOGCARE_CLOSING_HOUR", cls.closing_hour),
            rate_limit_per_minute=_int("DOGCARE_RATE_LIMIT_PER_MINUTE", cls.rate_limit_per_minute),
            cors_origins=_csv("DOGCARE_CORS_ORIGINS", cls.cors_origins),
            cursor_secret=_env("DOGCARE_CURSOR_SECRET"),
            auth_issuer=_env("DOGCARE_AUTH_ISSUER"),
            auth_audience=_env("DOGCARE_AUTH_AUDIENCE"),
            auth_jwks_url=_env("DOGCARE_AUTH_JWKS_URL"),
            auth_token_use=_env("DOGCARE_AUTH_TOKEN_USE", "access") or "access",
            auth_client_id=_env("DOGCARE_AUTH_CLIENT_ID"),
            stripe_api_base=_env("DOGCARE_STRIPE_API_BASE"),
            stripe_secret_key=_env("DOGCARE_STRIPE_SECRET_KEY"),
            stripe_webhook_secret=_env("DOGCARE_STRIPE_WEBHOOK_SECRET"),
            stripe_secret_name=_env("DOGCARE_STRIPE_SECRET_NAME"),
            refund_full_hours=_int("DOGCARE_REFUND_FULL_HOURS", cls.refund_full_hours),
            refund_late_percent=_int("DOGCARE_REFUND_LATE_PERCENT", cls.refund_late_percent),
            price_table_json=_env("DOGCARE_PRICE_TABLE"),
            hold_seconds=_int("DOGCARE_HOLD_SECONDS", 60 * _int("DOGCARE_HOLD_MINUTES", cls.hold_seconds // 60)),
            hold_payment_seconds=_int("DOGCARE_HOLD_PAYMENT_SECONDS", cls.hold_payment_seconds),
            sweep_interval_seconds=_int("DOGCARE_SWEEP_INTERVAL_SECONDS", cls.sweep_interval_seconds),
            sweep_batch=_int("DOGCARE_SWEEP_BATCH", cls.sweep_batch),
        )

    @property
    def id_token_audience(self) -> str | None:
        """The ``aud`` an ID token must carry: ``auth_client_id``, else ``auth_audience``."""
        return self.auth_client_id or self.auth_audience

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once (per Lambda container)."""
    return Settings.from_env()
