"""Property-based fuzzing of the HTTP layer: whatever arrives, never a 5xx, always a problem
document for a refusal.

Hypothesis generates requests for every route of ``handlers.registry.routes()``: raw bytes
bodies (and JSON that is valid but hostile: deep, huge numbers, odd text), hostile headers
(content types, charsets, ``If-Match``, ``Idempotency-Key``, ``Stripe-Signature``, tokens that
are garbage or genuine), random query strings and path parameters. Each goes through the local
gateway's request path (the authorizer's code, then the function's ``lambda_handler``) on moto
in process, so thousands of requests take seconds. ``SECURITY_FUZZ_HTTP_EXAMPLES`` raises the
budget; the run is derandomized, so CI sends the same requests every time.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dogcare.auth.dev_issuer import DevIssuer
from handlers.registry import RouteSpec, routes
from tests.integration.api.support import Api

# Powertools warns when an invocation published no business metric (most requests do not).
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")

EXAMPLES = int(os.environ.get("SECURITY_FUZZ_HTTP_EXAMPLES", "400"))  # in all, shared by the routes
WEBHOOK_SECRET = "whsec_api_test_0123456789abcdef"
PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance", "errors"}
ROUTES = routes()

# HTTP header values arrive as latin-1 text (the server decodes them so).
header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=200)
any_text = st.text(max_size=120)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.sampled_from(["9999-12-31T23:00:00-23:59", "0001-01-01T00:00:00+23:59", "2030-01-01T09:00:00Z"]),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25,
)
FIELDS = ["name", "email", "size", "dog_id", "booking_id", "service_type", "start_time", "end_time",
          "special_instructions", "daily_capacity", "vaccinations", "age", "id", "type", "data"]  # fmt: skip
objects = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), json_values, max_size=8)


def _deep(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


bodies = st.one_of(
    st.just(b""),
    st.binary(max_size=600),
    objects.map(lambda o: json.dumps(o).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    objects.map(lambda o: json.dumps(o).encode("utf-16")),
    st.integers(min_value=15, max_value=3000).map(_deep),
    any_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
)
content_types = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/json; charset=utf-16",
            "application/problem+json",
            "text/plain",
            "multipart/form-data; boundary=x",
            "",
        ]
    ),
    header_text,
)
QUERY_NAMES = ["limit", "cursor", "from", "to", "status", "date", "admin", "owner_id", "id"]
queries = st.dictionaries(st.sampled_from(QUERY_NAMES) | st.text(max_size=8), any_text, max_size=5)
path_values = st.one_of(
    any_text,
    st.sampled_from(["dog-00000000-0000-4000-8000-000000000000", "..", "%00", "x" * 300, "daycare"]),
)


@st.composite
def requests(draw: st.DrawFn, route: RouteSpec) -> dict[str, Any]:
    path = route.path
    for name in route.pattern.groupindex:
        path = path.replace("{" + name + "}", quote(draw(path_values), safe="") or "x")
    query = draw(queries)
    if query:
        path += "?" + urlencode(query)
    headers: dict[str, str] = {}
    token = draw(st.sampled_from(["owner", "admin", "garbage", "none"]))
    if token == "garbage":
        headers["Authorization"] = draw(header_text)
    if draw(st.booleans()):
        headers["Content-Type"] = draw(content_types)
    for name in ("If-Match", "Idempotency-Key", "Stripe-Signature", "Origin", "X-Groups"):
        if draw(st.integers(0, 3)) == 0:
            headers[name] = draw(header_text)
    return {
        "route": route.path,
        "method": draw(st.sampled_from([route.method, route.method, "GET", "DELETE", "PATCH"])),
        "path": path,
        "headers": headers,
        "token": token,
        "body": draw(bodies),
    }


def assert_no_server_error(answer: Any, request: dict[str, Any]) -> None:
    assert answer.status < 500, (request, answer.status, answer.body[:500])
    if answer.status >= 400:
        content_type = answer.headers.get("Content-Type") or answer.headers.get("content-type")
        assert content_type == "application/problem+json", (request, answer.headers)
        document = json.loads(answer.body)
        assert set(document) <= PROBLEM_FIELDS, document
        assert document["status"] == answer.status
        assert document["type"].startswith("/problems/")
        assert document["title"]
        assert document["detail"]


@pytest.fixture
def gateway(api: Api) -> Any:
    """The local gateway's request path, its functions on moto, Stripe in process; a registered
    owner with a dog, and tokens from the development issuer."""
    from dogcare.local.gateway import LocalGateway
    from dogcare.testing.payment_gateway import InMemoryPaymentGateway
    from handlers.common import runtime
    from tests.integration.api.support import vaccinations

    runtime.dogcare().payment_gateway = InMemoryPaymentGateway(WEBHOOK_SECRET)
    local = LocalGateway(containers_per_function=1)
    issuer = DevIssuer(runtime.dogcare().settings.home)
    tokens = {"owner": issuer.mint("fuzz-owner"), "admin": issuer.mint("fuzz-staff", admin=True)}
    bearer = {"Authorization": f"Bearer {tokens['owner']}", "Content-Type": "application/json"}
    register = json.dumps({"name": "Fuzz"}).encode()
    id_token = {"X-Id-Token": issuer.mint_id_token("fuzz-owner", "fuzz@example.com")}
    assert local.invoke("POST", "/owners/register", {**bearer, **id_token}, register).status == 201
    dog = json.dumps({"name": "Rex", "size": "large", "vaccinations": vaccinations()}).encode()
    assert local.invoke("POST", "/dogs", bearer, dog).status == 201
    local.tokens = tokens  # type: ignore[attr-defined]
    return local


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_no_request_gets_a_server_error(gateway: Any, route: RouteSpec) -> None:
    """Every route gets its share of the budget (a route added later is fuzzed as soon as it exists)."""

    @settings(
        max_examples=max(10, EXAMPLES // len(ROUTES)),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(request=requests(route))
    def fuzz(request: dict[str, Any]) -> None:
        headers = dict(request["headers"])
        if request["token"] in gateway.tokens:
            headers["Authorization"] = f"Bearer {gateway.tokens[request['token']]}"
        answer = gateway.invoke(request["method"], request["path"], headers, request["body"], "203.0.113.9")
        assert_no_server_error(answer, request)

    fuzz()
