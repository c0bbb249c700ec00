"""What each API function imports on a cold start: a fresh process, the environment Lambda sets
(a sampled trace, ``Tracing: Active``), the handler module imported and its first request served
against moto's HTTP server (so the process itself never loads moto). No timing: the modules
that process has loaded are compared with what its request needs, so a module-level import
that drags a heavy library into a function that never uses it fails here, not months later in
a cold-start benchmark (docs/performance.md measures what each of these costs).
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from dogcare.settings import Settings
from dogcare.storage.store import Store
from dogcare.storage.tables import create_tables
from handlers.gc_pause import HELD_THRESHOLD

from .support import booking_body

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[3]
CHILD = r"""
import gc, json, os, sys
spec = json.loads(sys.stdin.read())
import importlib
module = importlib.import_module(spec["module"])
held = gc.get_threshold()

class Context:
    function_name = spec["function"]
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + spec["function"]
    memory_limit_in_mb = 512
    aws_request_id = "00000000-0000-4000-8000-000000000001"
    log_group_name = "/aws/lambda/" + spec["function"]
    log_stream_name = "cold"
    def get_remaining_time_in_millis(self):
        return 29000

try:
    status = module.lambda_handler(spec["event"], Context()).get("statusCode", "policy")
except Exception as error:  # the authorizer denies by raising
    status = f"raised {error}"
sys.stdout.write("\nRESULT " + json.dumps({
    "status": status,
    "modules": sorted(sys.modules),
    "gc": {"held": held, "after": gc.get_threshold(), "frozen": gc.get_freeze_count()},
}) + "\n")
"""

# Never in an API function: test and CLI tooling, local mode, and token verification (the
# authorizer's job; the owner function loads PyJWT only on the two routes taking an ID token).
NEVER = (
    "moto",
    "typer",
    "rich",
    "click",
    "jwt",
    "cryptography",
    "dogcare.local",
    "dogcare.cli",
    "dogcare.auth.id_token",
    "dogcare.auth.verifier",
    # Powertools resolvers for other event sources, which the package's __init__ would load.
    "aws_lambda_powertools.event_handler.appsync",
    "aws_lambda_powertools.event_handler.bedrock_agent",
    "aws_lambda_powertools.event_handler.vpc_lattice",
    "aws_lambda_powertools.event_handler.events_appsync",
    # ... and event classes of other services, which the data classes' __init__ would load.
    "aws_lambda_powertools.utilities.data_classes.sqs_event",
    "aws_lambda_powertools.utilities.data_classes.kafka_event",
    "aws_lambda_powertools.utilities.data_classes.s3_event",
)
# Only a request carrying an Idempotency-Key needs the idempotency utility (and boto3 for it).
WITHOUT_KEY = ("aws_lambda_powertools.utilities.idempotency", "boto3")
PAYMENTS = (
    "stripe",
    "dogcare.services.payments",
    "dogcare.services.settlement",
    "dogcare.payments.stripe_gateway",
)
BOOKING_RULES = ("dogcare.services.bookings", "dogcare.repositories.bookings")
STAFF = ("dogcare.services.staff",)


def _authorizer(sub: str, admin: bool = False) -> dict[str, str]:
    return {"sub": sub, "groups": "admin" if admin else "", "principalId": sub}


def _event(method: str, path: str, resource: str, sub: str, *, admin: bool = False, **extra: Any) -> dict[str, Any]:
    params = extra.pop("params", None)
    query = extra.pop("query", None)
    headers = {"Authorization": "Bearer x", **extra.pop("headers", {})}
    body = extra.pop("body", None)
    if body is not None:
        headers["Content-Type"] = "application/json"
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": params,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "203.0.113.9"},
            "authorizer": _authorizer(sub, admin),
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def lambda_env(moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    prefix = f"dogcare-imports-{uuid.uuid4().hex[:8]}"
    home = tmp_path_factory.mktemp("home")
    create_tables(Store(Settings(table_prefix=prefix, region="us-east-1", dynamodb_endpoint=moto_endpoint, home=home)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOGCARE_", "POWERTOOLS_", "AWS_"))}
    env.pop("PYTHONPATH", None)
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "LAMBDA_TASK_ROOT": str(ROOT),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
            "_X_AMZN_TRACE_ID": "Root=1-67890abc-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1",
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
            "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
            "POWERTOOLS_LOG_LEVEL": "CRITICAL",
            "DOGCARE_DYNAMODB_ENDPOINT": moto_endpoint,
            "DOGCARE_TABLE_LAYOUT": "single",
            "DOGCARE_TABLE_PREFIX": prefix,
            "DOGCARE_HOME": str(home),
            "DOGCARE_CURSOR_SECRET": "imports-cursor-secret-0123456789abcdef",
            "DOGCARE_STRIPE_WEBHOOK_SECRET": "whsec_imports_0123456789abcdef",
        }
    )
    return env


def _cold(env: dict[str, str], function: str, module: str, event: dict[str, Any], **extra_env: str) -> dict[str, Any]:
    spec = json.dumps({"function": function, "module": module, "event": event})
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        input=spec,
        env={**env, "AWS_LAMBDA_FUNCTION_NAME": function, **extra_env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    line = next((ln for ln in reversed(done.stdout.splitlines()) if ln.startswith("RESULT ")), None)
    assert done.returncode == 0 and line is not None, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(line[len("RESULT ") :])
    return result


def _loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(m == n or m.startswith(n + ".") for m in modules))


DOG = "dog-00000000-0000-4000-8000-000000000001"
BOOKING = "booking-00000000-0000-4000-8000-000000000001"
# The first request of each function (the benchmark's) and what it must not have loaded.
FIRST_REQUESTS = [
    (
        "OwnersFunction",
        "handlers.owners",
        ("GET", "/owners/profile", "/owners/profile", {}),
        {404},
        NEVER + WITHOUT_KEY + PAYMENTS + BOOKING_RULES + STAFF + ("dogcare.repositories.dogs",),
    ),
    (
        "DogsFunction",
        "handlers.dogs",
        ("GET", f"/dogs/{DOG}", "/dogs/{id}", {"params": {"id": DOG}}),
        {404},
        NEVER + WITHOUT_KEY + PAYMENTS + BOOKING_RULES + STAFF + ("dogcare.repositories.owners",),
    ),
    (
        "BookingsFunction",
        "handlers.bookings",
        ("GET", f"/bookings/{BOOKING}", "/bookings/{id}", {"params": {"id": BOOKING}}),
        {404},
        # (the booking lookups read owners, so the owner repository's mapping is loaded)
        NEVER + WITHOUT_KEY + PAYMENTS + STAFF + ("dogcare.services.owners",),
    ),
    (
        "PaymentsFunction",
        "handlers.payments",
        ("GET", "/payments/payment-1", "/payments/{id}", {"params": {"id": "payment-1"}}),
        {404},
        # Reading a payment needs the payment service, never the Stripe SDK (nor the booking rules).
        NEVER + WITHOUT_KEY + STAFF + ("stripe", "dogcare.payments.stripe_gateway", "dogcare.services.bookings"),
    ),
    (
        "AdminFunction",
        "handlers.admin",
        ("GET", "/admin/bookings", "/admin/bookings", {"query": {"date": "2030-03-04"}, "admin": True}),
        {200},
        # Staff operations read and write through the repositories: no owner booking rules.
        NEVER + WITHOUT_KEY + PAYMENTS + ("dogcare.services.bookings",),
    ),
]


@pytest.mark.parametrize(("function", "module", "request_", "statuses", "forbidden"), FIRST_REQUESTS)
def test_a_cold_function_loads_only_what_its_first_request_needs(
    lambda_env: dict[str, str],
    function: str,
    module: str,
    request_: tuple[str, str, str, dict[str, Any]],
    statuses: set[int],
    forbidden: tuple[str, ...],
) -> None:
    method, path, resource, extra = request_
    result = _cold(lambda_env, function, module, _event(method, path, resource, "cold-owner", **dict(extra)))
    assert result["status"] in statuses
    assert _loaded(result["modules"], forbidden) == []
    # Tracing is active (the template's setting): the X-Ray SDK is there to record the request,
    # without asyncio (wrapt 1.x, pyproject.toml).
    assert _loaded(result["modules"], ("aws_xray_sdk", "asyncio")) == ["aws_xray_sdk"]


def test_without_tracing_the_xray_sdk_and_asyncio_are_not_loaded(lambda_env: dict[str, str]) -> None:
    event = _event("GET", f"/dogs/{DOG}", "/dogs/{id}", "cold-owner", params={"id": DOG})
    result = _cold(lambda_env, "DogsFunction", "handlers.dogs", event, POWERTOOLS_TRACE_DISABLED="true")
    assert result["status"] == 404
    assert _loaded(result["modules"], ("aws_xray_sdk", "asyncio", "wrapt", *NEVER)) == []


def test_the_idempotency_utility_loads_with_a_key_and_only_then(lambda_env: dict[str, str]) -> None:
    """The control for ``WITHOUT_KEY``: the same POST with a key does load it (and answers the
    same: the dog does not exist)."""
    body = booking_body(DOG)
    plain = _event("POST", "/bookings", "/bookings", "cold-owner", body=body)
    keyed = _event("POST", "/bookings", "/bookings", "cold-owner", body=body, headers={"Idempotency-Key": "cold-key-1"})
    without, with_key = (_cold(lambda_env, "BookingsFunction", "handlers.bookings", e) for e in (plain, keyed))
    assert without["status"] == with_key["status"] == 404
    assert _loaded(without["modules"], NEVER + WITHOUT_KEY + PAYMENTS) == []
    assert _loaded(with_key["modules"], WITHOUT_KEY) == list(WITHOUT_KEY)


def test_the_collector_is_held_during_a_cold_start_and_released_after_the_first_request(
    lambda_env: dict[str, str],
) -> None:
    """handlers.gc_pause: no collection while a function starts, the usual thresholds once its
    first request has been served, for the API functions and the authorizer alike."""
    event = _event("GET", f"/dogs/{DOG}", "/dogs/{id}", "cold-owner", params={"id": DOG})
    default = list(gc.get_threshold())
    dogs = _cold(lambda_env, "DogsFunction", "handlers.dogs", event)
    authorizer = _cold(
        lambda_env,
        "AuthorizerFunction",
        "handlers.authorizer",
        {"type": "REQUEST", "methodArn": "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/dogs"},
        AWS_SAM_LOCAL="true",  # the development issuer's keys: a configured verifier
    )
    assert authorizer["status"] == "raised Unauthorized"  # no token: denied, and released all the same
    for result in (dogs, authorizer):
        assert result["gc"]["held"] == [HELD_THRESHOLD, *default[1:]]
        assert result["gc"]["after"] == default
        assert result["gc"]["frozen"] > 0
    outside_lambda = {k: v for k, v in lambda_env.items() if k != "AWS_LAMBDA_RUNTIME_API"}
    plain = _cold(outside_lambda, "DogsFunction", "handlers.dogs", event)
    assert plain["gc"] == {"held": default, "after": default, "frozen": 0}
