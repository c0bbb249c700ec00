"""Inputs that once reached a 5xx, through the functions' ``lambda_handler`` on moto.

Each is well-formed enough to get past a naive check and used to raise somewhere deeper
(OverflowError, UnicodeDecodeError, RecursionError): every one must now be a 4xx problem
document that writes nothing. Routes are taken from ``handlers.registry.routes()``.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from handlers.registry import RouteSpec, routes
from tests.integration.api.events import authorizer_context
from tests.integration.api.support import Api, assert_problem, booking_body, day, iso

# Powertools warns when an invocation published no business metric (most requests do not).
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")

EXTREME_TIMES = ["9999-12-31T23:00:00-23:59", "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59Z"]


def _params(route: RouteSpec) -> dict[str, str]:
    return dict.fromkeys(route.pattern.groupindex, "x")


def _authorizer(route: RouteSpec) -> dict[str, Any] | None:
    if route.public:
        return None
    return authorizer_context("alice", ("admin",) if route.path.startswith("/admin/") else ())


@pytest.mark.parametrize("moment", EXTREME_TIMES)
def test_extreme_times_in_bodies_and_query_strings_are_422(api: Api, moment: str) -> None:
    api.register("alice")
    dog = api.add_dog("alice")
    booking = api.book("alice", dog["id"])
    with api.unchanged():
        for field in ("start_time", "end_time"):
            result = api.call("POST", "/bookings", body={**booking_body(dog["id"]), field: moment})
            assert_problem(result, 422, "validation", field=f"body.{field}")
            result = api.call("PUT", "/bookings/{id}", path_params={"id": booking["id"]}, body={field: moment})
            assert_problem(result, 422, "validation", field=f"body.{field}")
        for name in ("from", "to"):
            result = api.call("GET", "/bookings", query={name: moment})
            assert_problem(result, 422, "validation", field=f"query.{name}")


def test_ordinary_times_still_pass_the_range_check(api: Api) -> None:
    api.register("alice")
    assert api.call("GET", "/bookings", query={"from": "1900-01-01T00:00:00Z", "to": iso(day(30))}).status == 200


@pytest.mark.parametrize("route", routes(), ids=lambda r: f"{r.method} {r.path}")
@pytest.mark.parametrize(
    "raw",
    [b"\xff\xfe{\x00}\x00", b'{"name": "\xc3\x28"}', '{"name": "Rex"}'.encode("utf-16")],
    ids=["latin-1 bytes", "invalid UTF-8 sequence", "UTF-16 with BOM"],
)
def test_a_body_that_is_not_utf8_is_400_on_every_route(api: Api, route: RouteSpec, raw: bytes) -> None:
    with api.unchanged():
        result = api.call(
            route.method,
            route.path,
            path_params=_params(route),
            authorizer=_authorizer(route),
            raw_body=raw,
            headers={"Content-Type": "application/json", "Stripe-Signature": "t=1,v1=00"},
        )
    assert_problem(result, 400, "malformed-json")


# The webhook is left out: its body is verified by its signature (below, and in test_token_attacks).
@pytest.mark.parametrize(
    "route", [r for r in routes() if r.method in ("POST", "PUT") and not r.public], ids=lambda r: r.path
)
def test_utf16_without_a_bom_is_not_json(api: Api, route: RouteSpec) -> None:
    raw = '{"name": "Rex", "size": "large"}'.encode("utf-16-le")
    result = api.call(
        route.method,
        route.path,
        path_params=_params(route),
        authorizer=_authorizer(route),
        raw_body=raw,
        headers={"Content-Type": "application/json"},
    )
    assert_problem(result, 400, "malformed-json")


def test_a_deeply_nested_signed_webhook_is_400(api: Api) -> None:
    from dogcare.testing.payment_gateway import sign_payload

    payload = ('{"id": "evt_1", "type": "x", "data": ' + "[" * 2000 + "]" * 2000 + "}").encode()
    secret = "whsec_api_test_0123456789abcdef"
    with api.unchanged():
        result = api.call(
            "POST",
            "/payments/webhook",
            authorizer=None,
            raw_body=payload.decode(),
            headers={
                "Content-Type": "application/json",
                "Stripe-Signature": sign_payload(payload, secret, int(time.time())),
            },
        )
    assert_problem(result, 400, "too-deep")


@pytest.mark.parametrize("separator", ["\u2028", "\u2029"])
def test_line_and_paragraph_separators_are_refused_in_text(api: Api, separator: str) -> None:
    with api.unchanged():
        result = api.call("POST", "/owners/register", body={"name": f"Eve{separator}Admin", "email": "e@example.com"})
        assert_problem(result, 422, "validation", field="body.name")
    api.register("alice")
    dog = api.add_dog("alice")
    with api.unchanged():
        result = api.call(
            "POST", "/bookings", body=booking_body(dog["id"], special_instructions=f"walk{separator}twice")
        )
        assert_problem(result, 422, "validation", field="body.special_instructions")


def test_a_token_past_its_exp_is_refused_even_when_the_authorizer_answer_is_cached(api: Api) -> None:
    """API Gateway reuses an authorizer's Allow for up to 300 s; the function checks ``exp``."""
    api.register("alice")
    context = authorizer_context("alice")
    fresh = {**context, "exp": str(int(time.time()) + 60)}
    assert api.call("GET", "/owners/profile", authorizer=fresh).status == 200
    stale = {**context, "exp": str(int(time.time()) - 31)}  # past the verifier's 30 s leeway
    result = api.call("GET", "/owners/profile", authorizer=stale)
    body = assert_problem(result, 401, "unauthenticated")
    assert body["detail"] == "token expired"
    garbled = {**context, "exp": "soon"}
    assert_problem(api.call("GET", "/owners/profile", authorizer=garbled), 401, "unauthenticated")


def test_a_body_marked_base64_that_is_not_base64_is_400(api: Api) -> None:
    api.register("alice")
    event = api.event("POST", "/dogs", body={"name": "Rex", "size": "large"})
    event["body"], event["isBase64Encoded"] = "!!not base64!!", True
    with api.unchanged():
        assert_problem(api.invoke(event), 400, "malformed-json")
    event = api.event(
        "POST",
        "/dogs",
        raw_body=json.dumps({"name": "Rex", "size": "large"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert event["isBase64Encoded"] is True
    assert api.invoke(event).status == 201  # valid base64 of UTF-8 JSON gets through the gate
