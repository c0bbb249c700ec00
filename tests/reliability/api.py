"""The API in-process for the reliability tests: ``LocalGateway.invoke`` (authorizer + handler,
no HTTP) with the functions' environment pointing at the session's DynamoDB server."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from dogcare.local.gateway import GatewayResponse, LocalGateway
from tests.reliability.invariants import Rules, data_items, scan_all, violations

ENV = {
    "DOGCARE_TABLE_LAYOUT": "single",
    "DOGCARE_CURSOR_SECRET": "reliability-cursor-secret-0123456789abcdef",
    "DOGCARE_RATE_LIMIT_PER_MINUTE": "1000000",
    "DOGCARE_DEFAULT_DAILY_CAPACITY": "100000",
    "DOGCARE_MAX_PENDING_BOOKINGS": "100000",
    "DOGCARE_STRIPE_WEBHOOK_SECRET": "whsec_reliability_0123456789abcdef",
    "DOGCARE_STRIPE_SECRET_KEY": "sk_test_reliability_unused",
    "POWERTOOLS_SERVICE_NAME": "dogcare-reliability",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "CRITICAL",
}
UNSET = (
    "DOGCARE_STRIPE_API_BASE",
    "DOGCARE_STRIPE_SECRET_NAME",
    "DOGCARE_PRICE_TABLE",
    "DOGCARE_AUTH_JWKS_URL",
    "DOGCARE_AUTH_ISSUER",
    "DOGCARE_AUTH_AUDIENCE",
)
REQUIRED = ("rabies", "dhpp", "bordetella")


def day(offset: int, hour: int = 9) -> datetime:
    """``offset`` days from today (UTC) at ``hour``."""
    return datetime.combine(datetime.now(UTC).date() + timedelta(days=offset), time(hour), UTC)


def dog_body(name: str = "Rex") -> dict[str, Any]:
    until = (datetime.now(UTC).date() + timedelta(days=800)).isoformat()
    return {"name": name, "size": "large", "vaccinations": [{"name": n, "expires_on": until} for n in REQUIRED]}


def booking_body(dog_id: str, offset: int = 3, start: int = 9, end: int = 17) -> dict[str, Any]:
    return {
        "dog_id": dog_id,
        "service_type": "daycare",
        "start_time": day(offset, start).isoformat(),
        "end_time": day(offset, end).isoformat(),
    }


_ISSUERS: dict[Path, Any] = {}
_TOKENS: dict[tuple[Path, str, bool], str] = {}


def _dev_issuer(home: Path) -> Any:
    from dogcare.auth.dev_issuer import DevIssuer

    return DevIssuer(home)


def token(home: Path, sub: str, admin: bool = False) -> str:
    """A development-issuer token for ``sub`` (one issuer per home: loading its key is the slow part)."""
    if (home, sub, admin) not in _TOKENS:
        from dogcare.auth.dev_issuer import DevIssuer

        issuer = _ISSUERS.setdefault(home, DevIssuer(home))
        _TOKENS[(home, sub, admin)] = issuer.mint(sub, admin=admin, expires_in=6 * 3600)
    return _TOKENS[(home, sub, admin)]


@dataclass
class Api:
    gateway: LocalGateway
    home: Path

    def headers(self, sub: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(self.home, sub)}", "Content-Type": "application/json", **extra}

    def call(self, sub: str, method: str, path: str, body: Any = None, **headers: str) -> GatewayResponse:
        raw = json.dumps(body).encode() if body is not None else b""
        return self.gateway.invoke(method, path, self.headers(sub, **headers), raw)

    def register(self, sub: str, name: str | None = None, email: str | None = None) -> GatewayResponse:
        """``POST /owners/register`` with an ID token proving ``email`` (default ``{sub}@example.com``)."""
        issuer = _ISSUERS.setdefault(self.home, _dev_issuer(self.home))
        id_token = issuer.mint_id_token(sub, email or f"{sub}@example.com", expires_in=6 * 3600)
        headers = self.headers(sub, **{"X-Id-Token": id_token})
        return self.gateway.invoke("POST", "/owners/register", headers, json.dumps({"name": name or sub}).encode())

    def ok(self, sub: str, method: str, path: str, body: Any = None, **headers: str) -> dict[str, Any]:
        response = self.call(sub, method, path, body, **headers)
        assert response.status in (200, 201), (response.status, response.body)
        result: dict[str, Any] = json.loads(response.body)
        return result

    @property
    def app(self) -> Any:
        from handlers.common import runtime

        return runtime.dogcare()

    def new_container(self) -> Any:
        """Forget the per-container singletons (a fresh botocore client); returns the store's client."""
        from handlers.common import runtime
        from tests.reliability.conftest import _shared_session

        runtime.reset()
        runtime.dogcare().store.connection._local.session = _shared_session()
        return runtime.dogcare().store.client

    def items(self) -> list[dict[str, Any]]:
        store = self.app.store
        return scan_all(store.client, sorted(store.layout.tables()))

    def data(self) -> list[dict[str, Any]]:
        return sorted(data_items(self.items()), key=lambda i: (str(i["pk"]), str(i["sk"])))

    def check(self) -> list[dict[str, Any]]:
        items = self.items()
        problems = violations(items, datetime.now(UTC), Rules(self.app.settings.default_daily_capacity))
        assert not problems, "\n".join(problems)
        return items


def configure(monkeypatch: pytest.MonkeyPatch, endpoint: str, prefix: str, home: Path) -> Api:
    """Point the functions at ``endpoint`` (own tables under ``prefix``), as a Lambda environment does."""
    from dogcare.auth.verifier import reset_verifier_cache
    from dogcare.storage.tables import create_tables
    from handlers.common import runtime

    for name, value in {
        **ENV,
        "DOGCARE_DYNAMODB_ENDPOINT": endpoint,
        "DOGCARE_TABLE_PREFIX": prefix,
        "DOGCARE_HOME": str(home),
    }.items():
        monkeypatch.setenv(name, value)
    for name in UNSET:
        monkeypatch.delenv(name, raising=False)
    reset_verifier_cache()
    api = Api(LocalGateway(containers_per_function=1), home)
    api.new_container()
    create_tables(runtime.dogcare().store)
    return api


def reset_runtime() -> None:
    from dogcare.auth.verifier import reset_verifier_cache
    from handlers.common import runtime

    runtime.reset()
    reset_verifier_cache()
