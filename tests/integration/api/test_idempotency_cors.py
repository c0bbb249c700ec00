"""Idempotency-Key on the POST routes, and CORS as the functions answer it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api.support import Api, assert_problem, booking_body, day

KEY = "4f9c2a7e-booking-0001"
ALLOWED = "https://app.dogcare.example"


@pytest.fixture
def dog(api: Api) -> dict[str, Any]:
    api.register("alice")
    return api.add_dog("alice")


# --- Idempotency-Key -------------------------------------------------------------------------


def test_a_replay_returns_the_first_response(api: Api, dog: dict[str, Any]) -> None:
    body = booking_body(dog["id"], start=day(5))
    first = api.call("POST", "/bookings", body=body, headers={"Idempotency-Key": KEY})
    assert first.status == 201
    with api.unchanged():
        replay = api.call("POST", "/bookings", body=body, headers={"Idempotency-Key": KEY})
    assert replay.status == 201
    assert replay.body == first.body
    assert replay.header("ETag") == first.header("ETag") == '"1"'
    assert len(api.keys("BOOKING#")) == 2  # one booking (profile + roster day), not two
    assert len(api.call("GET", "/bookings").body["items"]) == 1


def test_the_same_key_with_another_body_is_422(api: Api, dog: dict[str, Any]) -> None:
    first = api.call("POST", "/bookings", body=booking_body(dog["id"], start=day(5)), headers={"Idempotency-Key": KEY})
    assert first.status == 201
    with api.unchanged():
        other = api.call(
            "POST", "/bookings", body=booking_body(dog["id"], start=day(6)), headers={"Idempotency-Key": KEY}
        )
    problem = assert_problem(other, 422, "idempotency-key-reused", field="header.Idempotency-Key")
    assert "different request body" in problem["detail"]


def test_keys_are_per_owner(api: Api, dog: dict[str, Any]) -> None:
    api.register("bob")
    bobs = api.add_dog("bob", name="Bobby")
    alice = api.call("POST", "/bookings", body=booking_body(dog["id"], start=day(5)), headers={"Idempotency-Key": KEY})
    bob = api.call(
        "POST",
        "/bookings",
        sub="bob",
        body=booking_body(bobs["id"], start=day(5)),
        headers={"Idempotency-Key": KEY},
    )
    assert alice.status == bob.status == 201
    assert alice.body["id"] != bob.body["id"]
    assert bob.body["dog_id"] == bobs["id"]
    # and bob replaying alice's exact body with her key gets his own answer (a 404 for her dog)
    stolen = api.call(
        "POST",
        "/bookings",
        sub="bob",
        body=booking_body(dog["id"], start=day(5)),
        headers={"Idempotency-Key": "k" * 12},
    )
    assert_problem(stolen, 404, "not-found")


def test_a_failed_request_does_not_use_up_its_key(api: Api, dog: dict[str, Any]) -> None:
    body = booking_body(dog["id"], start=day(5))
    api.book("alice", dog["id"], start=day(5))
    with api.unchanged():
        refused = api.call("POST", "/bookings", body=body, headers={"Idempotency-Key": KEY})
    assert_problem(refused, 409, "overlapping-booking")
    api.call("DELETE", "/bookings/{id}", path_params={"id": api.call("GET", "/bookings").body["items"][0]["id"]})
    retried = api.call("POST", "/bookings", body=body, headers={"Idempotency-Key": KEY})
    assert retried.status == 201


def test_a_malformed_key_is_422(api: Api, dog: dict[str, Any]) -> None:
    with api.unchanged():
        for key in ("short", "x" * 129, "has space!", "ключ-0000001"):
            result = api.call(
                "POST",
                "/bookings",
                body=booking_body(dog["id"], start=day(5)),
                headers={"Idempotency-Key": key},
            )
            assert_problem(result, 422, "validation", field="header.Idempotency-Key")


# --- CORS ------------------------------------------------------------------------------------

PREFLIGHT = {
    "Access-Control-Request-Method": "PUT",
    "Access-Control-Request-Headers": "authorization,if-match",
}


def cors_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.startswith("access-control-")}


@pytest.mark.parametrize("resource", ["/dogs/{id}", "/owners/register", "/admin/capacity/{service_type}"])
def test_a_preflight_from_an_allowed_origin_gets_the_allow_headers(api: Api, resource: str) -> None:
    params = {"id": "dog-1", "service_type": "daycare"}
    event = api.event(
        "OPTIONS", resource, authorizer=None, path_params=params, headers={"Origin": ALLOWED, **PREFLIGHT}
    )
    with api.unchanged():
        result = api.invoke(event)
    assert result.status in (200, 204)
    headers = cors_headers(result.headers)
    assert headers["access-control-allow-origin"] == ALLOWED
    allowed_headers = {h.strip().lower() for h in headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "if-match", "idempotency-key", "x-id-token"} <= allowed_headers
    assert {"GET", "PUT", "POST", "OPTIONS"} <= set(headers["access-control-allow-methods"].split(","))
    assert {"etag", "retry-after"} <= {h.strip().lower() for h in headers["access-control-expose-headers"].split(",")}
    assert headers.get("access-control-allow-credentials") != "true"


@pytest.mark.parametrize("origin", ["https://evil.example", "https://app.dogcare.example.evil.example", "null", None])
def test_a_preflight_from_another_origin_gets_no_cors_headers(api: Api, origin: str | None) -> None:
    headers = {**PREFLIGHT, **({"Origin": origin} if origin else {})}
    result = api.call("OPTIONS", "/dogs/{id}", authorizer=None, path_params={"id": "dog-1"}, headers=headers)
    assert cors_headers(result.headers) == {}


def test_responses_carry_cors_only_for_allowed_origins(api: Api) -> None:
    api.register("alice")
    staff = "https://staff.dogcare.example"
    allowed = api.call("GET", "/owners/profile", headers={"Origin": staff})
    assert allowed.header("Access-Control-Allow-Origin") == staff
    assert (
        api.call("GET", "/owners/profile", headers={"Origin": "https://evil.example"}).header(
            "Access-Control-Allow-Origin"
        )
        is None
    )
    # problems answered by the gate carry them too, so a browser can read the error
    anonymous = api.call("GET", "/owners/profile", authorizer=None, headers={"Origin": staff})
    assert anonymous.status == 401
    assert anonymous.header("Access-Control-Allow-Origin") == staff
    too_big = api.call("POST", "/dogs", raw_body="{" + " " * 70_000 + "}", headers={"Origin": "https://evil.example"})
    assert too_big.status == 413
    assert cors_headers(too_big.headers) == {}


def test_never_a_wildcard_origin_with_credentials(api: Api) -> None:
    api.reconfigure(DOGCARE_CORS_ORIGINS="*")
    api.register("alice")
    for method, resource, kwargs in (
        ("OPTIONS", "/dogs", {"authorizer": None, "headers": {"Origin": "https://any.example", **PREFLIGHT}}),
        ("GET", "/owners/profile", {"headers": {"Origin": "https://any.example"}}),
        ("GET", "/owners/profile", {"authorizer": None, "headers": {"Origin": "https://any.example"}}),
    ):
        result = api.call(method, resource, **kwargs)
        origin = result.header("Access-Control-Allow-Origin")
        assert origin in ("*", "https://any.example"), result.headers
        assert result.header("Access-Control-Allow-Credentials") != "true"


def test_keyed_requests_spread_over_the_functions_idempotency_partitions(api: Api, dog: dict[str, Any]) -> None:
    """No single partition key carries every keyed POST of a function: each record lives under
    ``IDEMPOTENCY#bookings#NN``, NN a hash of caller and key, and a replay finds it there."""
    from dogcare.storage import keys
    from handlers.common import runtime

    owner = api.call("GET", "/owners/profile").body["id"]
    sent = [f"spread-key-{i:04d}" for i in range(8)]  # within the cap on unpaid bookings
    for i, key in enumerate(sent):
        body = booking_body(dog["id"], start=day(3 + i))
        assert api.call("POST", "/bookings", body=body, headers={"Idempotency-Key": key}).status == 201
    client = runtime.dogcare().store.client
    table = runtime.dogcare().store.layout.table_name("bookings")
    stored = [i["pk"]["S"] for i in client.scan(TableName=table)["Items"] if i["pk"]["S"].startswith("IDEMPOTENCY#")]
    assert sorted(stored) == sorted(keys.idempotency_pk("bookings", keys.idempotency_shard(owner, k)) for k in sent)
    assert len(set(stored)) > 3  # spread, not one key
    replay = api.call(
        "POST", "/bookings", body=booking_body(dog["id"], start=day(3)), headers={"Idempotency-Key": sent[0]}
    )
    assert replay.status == 201 and len(api.call("GET", "/bookings").body["items"]) == 8
