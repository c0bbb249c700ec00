"""Driving the Lambda handlers as API Gateway does: real REST proxy events, moto behind them.

``lambda_env`` points the handlers' settings at moto (four tables, so that every call names
its table) and creates the tables; ``invoke`` sends one request through a function's
``lambda_handler`` with the authorizer's context, as the deployed stage would.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from handlers.registry import FUNCTIONS, SCHEDULED_FUNCTIONS

PREFIX = "dogcare-test"


@dataclass(frozen=True)
class Caller:
    sub: str
    groups: str = ""


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def id_token_header(sub: str, email: str) -> dict[str, str]:
    """``X-Id-Token``: an ID token of the development issuer in ``DOGCARE_HOME`` for ``sub``."""
    import os

    from dogcare.auth.dev_issuer import DevIssuer

    return {"X-Id-Token": DevIssuer(Path(os.environ["DOGCARE_HOME"])).mint_id_token(sub, email)}


def api_event(
    method: str,
    resource: str,
    *,
    path_parameters: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    caller: Caller | None = None,
    stage: str = "test",
) -> dict[str, Any]:
    """An API Gateway REST proxy event, as the deployed stage sends it to a function."""
    path = resource
    for name, value in (path_parameters or {}).items():
        path = path.replace("{" + name + "}", value)
    all_headers = {"Host": "api.example.com", "User-Agent": "pytest", **(headers or {})}
    raw_body = None
    if body is not None:
        raw_body = body if isinstance(body, str) else json.dumps(body)
        all_headers.setdefault("Content-Type", "application/json")
    request_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    authorizer = None
    if caller is not None:
        authorizer = {
            "principalId": caller.sub,
            "sub": caller.sub,
            "groups": caller.groups,
            "integrationLatency": 5,
        }
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "abc123",
            "resourcePath": resource,
            "httpMethod": method,
            "extendedRequestId": base64.b32encode(uuid.uuid4().bytes).decode()[:16],
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": f"/{stage}{path}",
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": "api",
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "requestId": request_id,
            "identity": {"sourceIp": "198.51.100.7", "userAgent": "pytest"},
            "domainName": "api.example.com",
            "apiId": "a1b2c3d4e5",
            "authorizer": authorizer,
        },
        "body": raw_body,
        "isBase64Encoded": False,
    }


def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
    """``event`` through the ``lambda_handler`` of ``function`` (a logical name of the template)."""
    import importlib

    module = importlib.import_module({**FUNCTIONS, **SCHEDULED_FUNCTIONS}[function])
    context = LambdaContext(function_name=f"{PREFIX}-{function.removesuffix('Function').lower()}")
    response: dict[str, Any] = module.lambda_handler(event, context)
    return response


def scheduled_event() -> dict[str, Any]:
    """What an EventBridge schedule sends a function."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/dogcare-test-sweeper"],
        "detail": {},
    }


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"]) if response.get("body") else None


@pytest.fixture
def lambda_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """The handlers' environment in a deployed four-table stage, on moto; yields the library."""
    import os

    from moto import mock_aws

    from dogcare.payments.secrets import reset_gateway_cache
    from dogcare.storage.tables import create_tables
    from dogcare.testing.payment_gateway import InMemoryPaymentGateway
    from handlers.common import runtime

    for name in list(os.environ):
        if name.startswith("DOGCARE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DOGCARE_TABLE_LAYOUT", "four")
    monkeypatch.setenv("DOGCARE_TABLE_PREFIX", PREFIX)
    monkeypatch.setenv("DOGCARE_CURSOR_SECRET", "a-test-cursor-secret-of-32-chars!")
    monkeypatch.setenv("DOGCARE_RATE_LIMIT_PER_MINUTE", "1000")
    monkeypatch.setenv("DOGCARE_CORS_ORIGINS", "https://app.example.com,https://staff.example.com")
    monkeypatch.setenv("DOGCARE_HOME", str(tmp_path))
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")  # test_observability turns them on
    runtime.reset()
    reset_gateway_cache()
    with mock_aws():
        app = runtime.dogcare()
        app.payment_gateway = InMemoryPaymentGateway()  # Stripe, in process
        create_tables(app.store)
        yield app
    runtime.reset()
    reset_gateway_cache()
