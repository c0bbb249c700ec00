"""Helpers of the handler tests: an ``Api`` that invokes the functions' ``lambda_handler`` with
REST proxy events, request bodies, problem-document assertions and table snapshots."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from dogcare.domain.lifecycle import occupied
from handlers.registry import FUNCTIONS
from tests.integration.api.events import LambdaContext, Result, authorizer_context, rest_event

REQUIRED = ("rabies", "dhpp", "bordetella")
BOOKKEEPING = ("RATE#", "IDEMPOTENCY#")
SERVER_OWNED = {
    "owner_id": "owner-00000000-0000-0000-0000-000000000000",
    "price": "0.01",
    "status": "confirmed",
    "payment_id": "payment-00000000-0000-0000-0000-000000000000",
    "vaccination_status": "up-to-date",
    "id": "dog-00000000-0000-0000-0000-000000000000",
    "created_at": "2020-01-01T00:00:00Z",
    "version": 99,
}
_MODULES = {module.rsplit(".", 1)[1]: module for module in FUNCTIONS.values()}
_DEFAULT: Any = object()


def day(offset: int, hour: int = 9, minute: int = 0) -> datetime:
    """``offset`` days from today (UTC) at ``hour``: in the future for ``offset >= 1``."""
    return datetime.combine(datetime.now(UTC).date() + timedelta(days=offset), time(hour, minute), UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def vaccinations(until: date | None = None, **overrides: date | None) -> list[dict[str, str]]:
    until = until or (datetime.now(UTC).date() + timedelta(days=800))
    expiries: dict[str, date | None] = dict.fromkeys(REQUIRED, until)
    expiries.update(overrides)
    return [{"name": n, "expires_on": d.isoformat()} for n, d in expiries.items() if d is not None]


def booking_body(
    dog_id: str,
    service: str = "daycare",
    start: datetime | None = None,
    end: datetime | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A booking request; by default daycare three days ahead, 09:00-17:00 UTC."""
    start = start or day(3, 9)
    if end is None:
        end = start + timedelta(days=2) if service == "boarding" else start.replace(hour=start.hour + 8)
    return {
        "dog_id": dog_id,
        "service_type": service,
        "start_time": iso(start),
        "end_time": iso(end),
        **fields,
    }


def module_for(resource: str) -> Any:
    """The handler module serving ``resource``: the route table's, else the function named by its
    first path segment (for resources no route serves)."""
    from handlers.registry import routes

    for route in routes():
        if route.path == resource:
            return importlib.import_module(route.module)
    return importlib.import_module(_MODULES[resource.strip("/").split("/")[0]])


def assert_problem(result: Result, status: int, kind: str, *, field: str | None = None) -> dict[str, Any]:
    """``result`` is an RFC 9457 problem document of ``status`` and type ``/problems/{kind}``;
    for a 422, its ``errors`` name ``field``."""
    assert result.status == status, (result.status, result.body)
    assert result.content_type == "application/problem+json", result.headers
    body = result.body
    assert isinstance(body, dict), body
    assert body["type"] == f"/problems/{kind}", body
    assert body["status"] == status
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert set(body) <= {"type", "title", "status", "detail", "instance", "errors"}, body
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
        for error in body["errors"]:
            assert set(error) == {"field", "message", "code"}, error
    return body


class Api:
    """Calls the functions' ``lambda_handler`` the way API Gateway would, plus arranging helpers."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, home: Path, layout: str) -> None:
        self.context = LambdaContext()
        self._monkeypatch, self._home, self._layout = monkeypatch, home, layout

    def reconfigure(self, **env: str) -> None:
        """Restart the functions with other settings (a cold start); the tables stay."""
        configure(self._monkeypatch, self._home, self._layout, **env)

    def event(
        self,
        method: str,
        resource: str,
        *,
        sub: str = "alice",
        admin: bool = False,
        authorizer: Any = _DEFAULT,
        **kwargs: Any,
    ) -> dict[str, Any]:
        if authorizer is _DEFAULT:
            authorizer = authorizer_context(sub, ("admin",) if admin else ())
        return rest_event(method, resource, authorizer=authorizer, **kwargs)

    def invoke(self, event: dict[str, Any]) -> Result:
        handler = module_for(event["resource"]).lambda_handler
        return Result.of(handler(event, self.context))

    def call(self, method: str, resource: str, **kwargs: Any) -> Result:
        return self.invoke(self.event(method, resource, **kwargs))

    # --- arranging ---------------------------------------------------------------------

    def id_token(self, sub: str, email: str | None = None, **kwargs: Any) -> str:
        """An ID token of the development issuer the functions trust (what ``X-Id-Token`` carries)."""
        from dogcare.auth.dev_issuer import DevIssuer

        return DevIssuer(self._home).mint_id_token(sub, email or f"{sub}@example.com", **kwargs)

    def register(self, sub: str, email: str | None = None, **fields: Any) -> dict[str, Any]:
        body = {"name": sub.title(), **fields}
        headers = {"X-Id-Token": self.id_token(sub, email)}
        result = self.call("POST", "/owners/register", sub=sub, body=body, headers=headers)
        assert result.status == 201, result.body
        return dict(result.body)

    def add_dog(self, sub: str, name: str = "Rex", size: str = "large", **fields: Any) -> dict[str, Any]:
        fields.setdefault("vaccinations", vaccinations())
        result = self.call("POST", "/dogs", sub=sub, body={"name": name, "size": size, **fields})
        assert result.status == 201, result.body
        return dict(result.body)

    def book(self, sub: str, dog_id: str, service: str = "daycare", **kwargs: Any) -> dict[str, Any]:
        result = self.call("POST", "/bookings", sub=sub, body=booking_body(dog_id, service, **kwargs))
        assert result.status == 201, result.body
        return dict(result.body)

    def confirm(self, booking_id: str) -> None:
        """Mark a booking paid, as a successful payment does (the staff routes need one)."""
        from handlers.common import runtime

        app = runtime.dogcare()
        booking = app.booking_repository.get(booking_id)
        app.booking_repository.transition(booking, "confirmed", occupied(booking), datetime.now(UTC))

    # --- observing ---------------------------------------------------------------------

    def snapshot(self) -> list[dict[str, Any]]:
        """Every data item of every table (rate-limit windows and idempotency records left out)."""
        from handlers.common import runtime

        client = runtime.dogcare().store.client
        items: list[dict[str, Any]] = []
        for table in sorted(client.list_tables()["TableNames"]):
            for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
                for item in page["Items"]:
                    if not item["pk"]["S"].startswith(BOOKKEEPING):
                        items.append({"_table": table, **item})
        return sorted(items, key=lambda i: (i["_table"], i["pk"]["S"], i["sk"]["S"]))

    def keys(self, prefix: str) -> list[str]:
        return [i["pk"]["S"] for i in self.snapshot() if i["pk"]["S"].startswith(prefix)]

    @contextmanager
    def unchanged(self) -> Iterator[None]:
        """Assert that the block writes no data (rate-limit and idempotency bookkeeping aside)."""
        before = self.snapshot()
        yield
        assert self.snapshot() == before, "a rejected request changed the tables"


# --- the functions' environment ------------------------------------------------------------

BASE_ENV = {
    "DOGCARE_TABLE_PREFIX": "dogcare-api-test",
    "DOGCARE_CURSOR_SECRET": "api-test-cursor-secret-0123456789abcdef",
    "DOGCARE_RATE_LIMIT_PER_MINUTE": "100000",
    "DOGCARE_CORS_ORIGINS": "https://app.dogcare.example,https://staff.dogcare.example",
    "DOGCARE_STRIPE_WEBHOOK_SECRET": "whsec_api_test_0123456789abcdef",
    "POWERTOOLS_SERVICE_NAME": "dogcare-test",
    "POWERTOOLS_METRICS_NAMESPACE": "DogcareTest",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "CRITICAL",
}
UNSET = (
    "DOGCARE_DYNAMODB_ENDPOINT",
    "DOGCARE_STRIPE_API_BASE",
    "DOGCARE_STRIPE_SECRET_KEY",
    "DOGCARE_STRIPE_SECRET_NAME",
    "DOGCARE_PRICE_TABLE",
    "DOGCARE_AUTH_JWKS_URL",
    "DOGCARE_AUTH_ISSUER",
)


def reset_handlers() -> None:
    """Forget every per-container singleton, as a new Lambda container starts without them."""
    from handlers.common import runtime

    runtime.reset()
    for module_name in FUNCTIONS.values():
        importlib.import_module(module_name).get_app.cache_clear()


def configure(monkeypatch: pytest.MonkeyPatch, home: Path, layout: str = "single", **env: str) -> None:
    """Point the handlers at moto through ``DOGCARE_*``, as a function's environment would.

    The handlers' singletons (settings, store and its botocore client, resolvers) are kept
    from the previous test when the settings are the same, like a warm container: building
    a botocore client costs more than most tests do."""
    from dogcare.settings import Settings
    from handlers.common import runtime

    for name, value in {**BASE_ENV, "DOGCARE_TABLE_LAYOUT": layout, "DOGCARE_HOME": str(home), **env}.items():
        monkeypatch.setenv(name, value)
    for name in UNSET:
        monkeypatch.delenv(name, raising=False)
    if runtime.dogcare.cache_info().currsize == 0 or runtime.dogcare().settings != Settings.from_env():
        reset_handlers()
    else:
        # Warm handlers keep their facade, but the settings every module reads (the ID-token
        # verifier's home, for one) must be this environment's, not a previous fixture's.
        from dogcare.settings import get_settings

        get_settings.cache_clear()
