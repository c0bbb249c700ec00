"""Every error a function answers itself, as an RFC 9457 problem document, and nothing written.

401 comes from a missing authorizer context; rate limit, 413, 415 and malformed JSON come from
the request gate before validation; 403/404/409/412 from the services; 422 from validation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.registry import RouteSpec, routes
from tests.integration.api.events import NO_AUTHORIZER
from tests.integration.api.support import SERVER_OWNED, Api, assert_problem, booking_body, day, iso

UNKNOWN = {
    "id": "00000000-0000-4000-8000-000000000000",
    "service_type": "daycare",
}
BODY_ROUTES = [r for r in routes() if r.method in ("POST", "PUT") and "{id}/check-" not in r.path and not r.public]
LIST_ROUTES = [
    ("/dogs", {}),
    ("/bookings", {}),
    ("/admin/bookings", {"date": "2030-01-07"}),
    ("/admin/owners", {}),
]
ADMIN_ROUTES = [r for r in routes() if r.path.startswith("/admin/")]


def path_params(route: RouteSpec, **ids: str) -> dict[str, str]:
    prefix = "booking" if route.path.startswith(("/admin", "/bookings")) else route.path.split("/")[1].rstrip("s")
    values = {"id": ids.get("id", f"{prefix}-{UNKNOWN['id']}"), "service_type": UNKNOWN["service_type"]}
    return {name: values[name] for name in route.pattern.groupindex}


def a_valid_body(route: RouteSpec) -> dict[str, Any] | None:
    if route.method not in ("POST", "PUT"):
        return None
    return {
        "/owners/register": {"name": "Zed"},
        "/owners/profile": {"name": "Zed"},
        "/dogs": {"name": "Rex", "size": "large"},
        "/dogs/{id}": {"name": "Rex"},
        "/bookings": booking_body(f"dog-{UNKNOWN['id']}"),
        "/bookings/quote": booking_body(f"dog-{UNKNOWN['id']}"),
        "/bookings/{id}": {"special_instructions": "none"},
        "/payments": {"booking_id": f"booking-{UNKNOWN['id']}"},
        "/admin/capacity/{service_type}": {"daily_capacity": 5},
    }.get(route.path)


def ids(route: RouteSpec) -> str:
    return f"{route.method} {route.path}"


@pytest.fixture
def alice(api: Api) -> dict[str, Any]:
    """Alice, her dog and a pending booking."""
    owner = api.register("alice")
    dog = api.add_dog("alice")
    booking = api.book("alice", dog["id"], start=day(4, 9))
    return {"owner": owner, "dog": dog, "booking": booking}


# --- 400 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", BODY_ROUTES, ids=ids)
def test_malformed_json_is_400(api: Api, route: RouteSpec) -> None:
    with api.unchanged():
        for raw in ('{"name": "Rex",', "{'name': 'Rex'}", "nul", '{"a": 1}}', "\ufeff{}"):
            result = api.call(
                route.method,
                route.path,
                admin=True,
                path_params=path_params(route),
                raw_body=raw,
                headers={"Content-Type": "application/json"},
            )
            assert_problem(result, 400, "malformed-json")


@pytest.mark.parametrize(("resource", "query"), LIST_ROUTES)
def test_a_bad_cursor_is_400(api: Api, alice: dict[str, Any], resource: str, query: dict[str, str]) -> None:
    api.register("bob")
    for cursor in ("garbage", "eyJrIjoxfQ", "x" * 300):
        result = api.call("GET", resource, admin=True, query={**query, "cursor": cursor})
        assert_problem(result, 400, "invalid-cursor")


def test_a_cursor_works_only_for_the_query_and_owner_it_came_from(api: Api, alice: dict[str, Any]) -> None:
    api.add_dog("alice", name="Bo")
    api.register("bob")
    cursor = api.call("GET", "/dogs", query={"limit": "1"}).body["next_cursor"]
    assert cursor
    tampered = cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1]
    assert_problem(api.call("GET", "/dogs", sub="bob", query={"cursor": cursor}), 400, "invalid-cursor")
    assert_problem(api.call("GET", "/bookings", query={"cursor": cursor}), 400, "invalid-cursor")
    assert_problem(api.call("GET", "/dogs", query={"cursor": tampered}), 400, "invalid-cursor")
    assert api.call("GET", "/dogs", query={"cursor": cursor}).status == 200


# --- 401 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", [r for r in routes() if not r.public], ids=ids)
def test_no_identity_is_401(api: Api, route: RouteSpec) -> None:
    body = a_valid_body(route)
    query = {"date": "2030-01-07"} if route.path == "/admin/bookings" else None
    no_identity = [
        None,
        NO_AUTHORIZER,
        {"sub": "", "groups": "admin"},
        {"principalId": "x", "groups": "admin"},
    ]
    with api.unchanged():
        for authorizer in no_identity:
            result = api.call(
                route.method,
                route.path,
                authorizer=authorizer,
                path_params=path_params(route),
                body=body,
                query=query,
            )
            assert_problem(result, 401, "unauthenticated")
            assert result.header("WWW-Authenticate") == 'Bearer realm="dogcare"'


def test_401_comes_before_every_other_check(api: Api) -> None:
    """An anonymous request learns nothing else: not its size, type, syntax or fields."""
    for kwargs in (
        {"raw_body": "{" + " " * 70_000 + "}", "headers": {"Content-Type": "application/json"}},
        {"raw_body": "name=Rex", "headers": {"Content-Type": "text/plain"}},
        {"raw_body": "{nope", "headers": {"Content-Type": "application/json"}},
        {"body": {"price": "0.01"}},
    ):
        assert_problem(api.call("POST", "/dogs", authorizer=None, **kwargs), 401, "unauthenticated")


# --- 403 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=ids)
def test_admin_routes_are_403_for_owners(api: Api, alice: dict[str, Any], route: RouteSpec) -> None:
    booking = alice["booking"]
    api.confirm(booking["id"])
    if route.path.endswith("/check-out"):
        api.call("POST", "/admin/bookings/{id}/check-in", admin=True, path_params={"id": booking["id"]})
    body = a_valid_body(route) if route.method == "PUT" else None
    query = {"date": booking["start_time"][:10]} if route.path == "/admin/bookings" else None
    with api.unchanged():
        result = api.call(
            route.method, route.path, path_params=path_params(route, id=booking["id"]), body=body, query=query
        )
    assert_problem(result, 403, "forbidden")
    # the same request from staff goes through
    staff = api.call(
        route.method,
        route.path,
        admin=True,
        path_params=path_params(route, id=booking["id"]),
        body=body,
        query=query,
    )
    assert staff.status == 200, staff.body


def test_a_group_named_like_admin_is_not_admin(api: Api) -> None:
    for groups in ("Admin", "admins", "staff", "x-admin", "administrators"):
        authorizer = {"sub": "mallory", "groups": groups}
        assert_problem(api.call("GET", "/admin/owners", authorizer=authorizer), 403, "forbidden")


# --- 404 -------------------------------------------------------------------------------------

OWNED = [
    ("GET", "/dogs/{id}", "dog", None),
    ("PUT", "/dogs/{id}", "dog", {"name": "Stolen"}),
    ("DELETE", "/dogs/{id}", "dog", None),
    ("GET", "/bookings/{id}", "booking", None),
    ("GET", "/bookings/{id}/cancellation", "booking", None),
    ("PUT", "/bookings/{id}", "booking", {"special_instructions": "mine now"}),
    ("DELETE", "/bookings/{id}", "booking", None),
]


@pytest.mark.parametrize(("method", "resource", "kind", "body"), OWNED, ids=[f"{m} {r}" for m, r, _, _ in OWNED])
def test_another_owners_id_is_404_exactly_like_an_unknown_id(
    api: Api, alice: dict[str, Any], method: str, resource: str, kind: str, body: Any
) -> None:
    api.register("bob")
    api.add_dog("bob", name="Bobby")
    with api.unchanged():
        theirs = api.call(method, resource, sub="bob", path_params={"id": alice[kind]["id"]}, body=body)
        unknown = api.call(method, resource, sub="bob", path_params={"id": f"{kind}-{UNKNOWN['id']}"}, body=body)
        garbage = api.call(method, resource, sub="bob", path_params={"id": "not-an-id"}, body=body)
        if_match = api.call(
            method,
            resource,
            sub="bob",
            path_params={"id": alice[kind]["id"]},
            body=body,
            headers={"If-Match": '"9"'},
        )
    assert_problem(theirs, 404, "not-found")
    assert theirs.body == unknown.body == garbage.body
    assert if_match.status == 404  # the version is never compared for somebody else's item
    assert theirs.headers == unknown.headers


def test_unknown_ids_are_404(api: Api, alice: dict[str, Any]) -> None:
    assert_problem(api.call("GET", "/owners/profile", sub="nobody"), 404, "not-found")
    assert_problem(api.call("PUT", "/owners/profile", sub="nobody", body={"name": "N"}), 404, "not-found")
    for action in ("check-in", "check-out"):
        result = api.call(
            "POST",
            f"/admin/bookings/{{id}}/{action}",
            admin=True,
            path_params={"id": f"booking-{UNKNOWN['id']}"},
        )
        assert_problem(result, 404, "not-found")
    booking = api.call("POST", "/bookings", body=booking_body(f"dog-{UNKNOWN['id']}"))
    assert_problem(booking, 404, "not-found")
    api.register("bob")
    theirs = api.call("POST", "/bookings", sub="bob", body=booking_body(alice["dog"]["id"], start=day(9)))
    assert theirs.body == booking.body


# --- 409 -------------------------------------------------------------------------------------


def test_a_taken_email_and_a_second_registration_are_the_same_409(api: Api, alice: dict[str, Any]) -> None:
    with api.unchanged():
        again = api.call(
            "POST",
            "/owners/register",
            sub="bob",
            body={"name": "Bob"},
            headers={"X-Id-Token": api.id_token("bob", " ALICE@example.COM ")},
        )
    taken_body = assert_problem(again, 409, "registration-conflict")
    api.register("bob")
    with api.unchanged():
        taken = api.call(
            "PUT",
            "/owners/profile",
            sub="bob",
            body={},
            headers={"X-Id-Token": api.id_token("bob", "Alice@Example.com")},
        )
    assert assert_problem(taken, 409, "registration-conflict") == taken_body
    with api.unchanged():
        twice = api.call(
            "POST",
            "/owners/register",
            body={"name": "Alice"},
            headers={"X-Id-Token": api.id_token("alice", "alice2@example.com")},
        )
    assert assert_problem(twice, 409, "registration-conflict") == taken_body


def test_an_overlapping_booking_is_409(api: Api, alice: dict[str, Any]) -> None:
    dog = alice["dog"]["id"]
    start = day(4, 12)
    with api.unchanged():
        overlapping = api.call("POST", "/bookings", body=booking_body(dog, start=start, end=start.replace(hour=14)))
    assert_problem(overlapping, 409, "overlapping-booking")
    other = api.book("alice", dog, start=day(5, 9))
    with api.unchanged():
        moved = api.call(
            "PUT",
            "/bookings/{id}",
            path_params={"id": other["id"]},
            body={"start_time": iso(day(4, 10)), "end_time": iso(day(4, 11))},
        )
    assert_problem(moved, 409, "overlapping-booking")


def test_a_full_day_is_409(api: Api, alice: dict[str, Any]) -> None:
    api.call(
        "PUT",
        "/admin/capacity/{service_type}",
        admin=True,
        path_params={"service_type": "parking"},
        body={"daily_capacity": 1},
    )
    api.register("bob")
    first = api.add_dog("bob", name="One")
    second = api.add_dog("bob", name="Two")
    api.book("bob", first["id"], "parking", start=day(6, 8), end=day(6, 11))
    with api.unchanged():
        full = api.call(
            "POST",
            "/bookings",
            sub="bob",
            body=booking_body(second["id"], "parking", start=day(6, 14), end=day(6, 16)),
        )
    assert_problem(full, 409, "capacity-full")
    assert api.book("bob", second["id"], "parking", start=day(7, 14), end=day(7, 16))["status"] == "pending"


def test_an_invalid_status_change_is_409(api: Api, alice: dict[str, Any]) -> None:
    path = {"id": alice["booking"]["id"]}
    with api.unchanged():
        assert_problem(
            api.call("POST", "/admin/bookings/{id}/check-in", admin=True, path_params=path),
            409,
            "invalid-transition",
        )
        assert_problem(
            api.call("POST", "/admin/bookings/{id}/check-out", admin=True, path_params=path),
            409,
            "invalid-transition",
        )
    assert api.call("DELETE", "/bookings/{id}", path_params=path).status == 200
    with api.unchanged():
        assert_problem(api.call("DELETE", "/bookings/{id}", path_params=path), 409, "invalid-transition")
        moved = api.call("PUT", "/bookings/{id}", path_params=path, body={"start_time": iso(day(4, 10))})
        assert_problem(moved, 409, "invalid-transition")
        noted = api.call("PUT", "/bookings/{id}", path_params=path, body={"special_instructions": "late"})
        assert_problem(noted, 409, "invalid-transition")


def test_times_change_only_while_pending(api: Api, alice: dict[str, Any]) -> None:
    path = {"id": alice["booking"]["id"]}
    api.confirm(path["id"])
    with api.unchanged():
        moved = api.call("PUT", "/bookings/{id}", path_params=path, body={"end_time": iso(day(4, 18))})
    assert_problem(moved, 409, "invalid-transition")
    noted = api.call("PUT", "/bookings/{id}", path_params=path, body={"special_instructions": "still fine"})
    assert noted.status == 200


def test_a_dog_with_active_bookings_cannot_be_deleted(api: Api, alice: dict[str, Any]) -> None:
    with api.unchanged():
        result = api.call("DELETE", "/dogs/{id}", path_params={"id": alice["dog"]["id"]})
    assert_problem(result, 409, "resource-in-use")


# --- 412 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("if_match", ['"7"', '"0"', 'W/"9"', "garbage", '"1", "2"'])
def test_an_if_match_mismatch_is_412(api: Api, alice: dict[str, Any], if_match: str) -> None:
    dog, booking = {"id": alice["dog"]["id"]}, {"id": alice["booking"]["id"]}
    requests: list[tuple[str, str, dict[str, str] | None, Any]] = [
        ("PUT", "/owners/profile", None, {"name": "X"}),
        ("PUT", "/dogs/{id}", dog, {"name": "X"}),
        ("DELETE", "/dogs/{id}", dog, None),
        ("PUT", "/bookings/{id}", booking, {"special_instructions": "X"}),
        ("PUT", "/bookings/{id}", booking, {"start_time": iso(day(4, 10))}),
    ]
    with api.unchanged():
        for method, resource, params, body in requests:
            result = api.call(method, resource, path_params=params, body=body, headers={"If-Match": if_match})
            assert_problem(result, 412, "version-mismatch")


def test_a_stale_etag_is_412_after_someone_else_wrote(api: Api, alice: dict[str, Any]) -> None:
    path = {"id": alice["dog"]["id"]}
    etag = api.call("GET", "/dogs/{id}", path_params=path).header("ETag")
    assert etag == '"1"'
    assert api.call("PUT", "/dogs/{id}", path_params=path, body={"age": 3}, headers={"If-Match": etag}).status == 200
    with api.unchanged():
        stale = api.call("PUT", "/dogs/{id}", path_params=path, body={"age": 9}, headers={"If-Match": etag})
    assert_problem(stale, 412, "version-mismatch")
    star = api.call("PUT", "/dogs/{id}", path_params=path, body={"age": 9}, headers={"If-Match": "*"})
    assert star.header("ETag") == '"3"'


# --- 413 / 415 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("route", BODY_ROUTES, ids=ids)
def test_a_body_over_64_kib_is_413(api: Api, route: RouteSpec) -> None:
    padding = 64 * 1024 - len('{"name": ""}') + 1
    with api.unchanged():
        result = api.call(
            route.method,
            route.path,
            admin=True,
            path_params=path_params(route),
            raw_body='{"name": "' + "x" * padding + '"}',
            headers={"Content-Type": "application/json"},
        )
    assert_problem(result, 413, "too-large")


def test_64_kib_exactly_is_not_too_large(api: Api) -> None:
    body = '{"name": "' + "x" * (64 * 1024 - len('{"name": ""}')) + '"}'
    assert len(body) == 64 * 1024
    result = api.call("POST", "/dogs", raw_body=body, headers={"Content-Type": "application/json"})
    assert result.status == 422  # validated (the name is too long), not refused for its size
    encoded = api.call("POST", "/dogs", raw_body=("{" + " " * 70_000 + "}").encode())
    assert_problem(encoded, 413, "too-large")  # base64-encoded bodies count decoded


@pytest.mark.parametrize("route", BODY_ROUTES, ids=ids)
def test_a_body_that_is_not_json_is_415(api: Api, route: RouteSpec) -> None:
    with api.unchanged():
        for content_type in (
            None,
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
        ):
            result = api.call(
                route.method,
                route.path,
                admin=True,
                path_params=path_params(route),
                raw_body='{"name": "Rex"}',
                headers={"Content-Type": content_type} if content_type else {},
            )
            assert_problem(result, 415, "unsupported-media-type")


def test_json_media_types_with_parameters_are_accepted(api: Api) -> None:
    for content_type in (
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/merge-patch+json",
    ):
        result = api.call(
            "POST",
            "/owners/register",
            sub=f"s{len(content_type)}",
            raw_body='{"name": "A"}',
            headers={"Content-Type": content_type, "X-Id-Token": api.id_token(f"s{len(content_type)}")},
        )
        assert result.status == 201, (content_type, result.body)


# --- 422 -------------------------------------------------------------------------------------

BODY_FIELDS = {
    ("POST", "/owners/register"): ({"name": "Zed"}, None),
    ("PUT", "/owners/profile"): ({"name": "Zed"}, None),
    ("POST", "/dogs"): ({"name": "Rex", "size": "large"}, None),
    ("PUT", "/dogs/{id}"): ({"name": "Rex"}, "dog"),
    ("POST", "/bookings"): (None, "dog"),
    ("PUT", "/bookings/{id}"): ({"special_instructions": "x"}, "booking"),
}


@pytest.mark.parametrize(("method", "resource"), list(BODY_FIELDS), ids=[f"{m} {r}" for m, r in BODY_FIELDS])
def test_server_owned_and_unknown_fields_are_422(api: Api, alice: dict[str, Any], method: str, resource: str) -> None:
    body, kind = BODY_FIELDS[(method, resource)]
    if body is None:
        body = booking_body(alice["dog"]["id"], start=day(8))
    params = {"id": alice[kind]["id"]} if kind and "{id}" in resource else None
    with api.unchanged():
        # The owner's email comes from the ID token only: in a body it is an unknown field.
        email = {"email": "zed@example.com"} if resource.startswith("/owners") else {}
        for field, value in {**SERVER_OWNED, "nickname": "Bud", **email}.items():
            result = api.call(method, resource, path_params=params, body={**body, field: value})
            problem = assert_problem(result, 422, "validation", field=f"body.{field}")
            assert [e["code"] for e in problem["errors"]] == ["extra_forbidden"], field


def test_payments_and_capacity_refuse_server_owned_fields_too(api: Api) -> None:
    with api.unchanged():
        paid = api.call("POST", "/payments", body={"booking_id": f"booking-{UNKNOWN['id']}", "amount": "0.01"})
        assert_problem(paid, 422, "validation", field="body.amount")
        capacity = api.call(
            "PUT",
            "/admin/capacity/{service_type}",
            admin=True,
            path_params={"service_type": "daycare"},
            body={"daily_capacity": 5, "version": 3},
        )
        assert_problem(capacity, 422, "validation", field="body.version")


@pytest.mark.parametrize(("resource", "query"), LIST_ROUTES)
def test_a_limit_outside_1_to_100_is_422(api: Api, resource: str, query: dict[str, str]) -> None:
    for limit in ("0", "101", "-1", "ten", "1.5", ""):
        result = api.call("GET", resource, admin=True, query={**query, "limit": limit})
        assert_problem(result, 422, "validation", field="query.limit")
    for limit in ("1", "100"):
        assert api.call("GET", resource, admin=True, query={**query, "limit": limit}).status == 200


def test_invalid_values_are_422_naming_the_field(api: Api, alice: dict[str, Any]) -> None:
    dog = alice["dog"]["id"]
    cases: list[tuple[str, str, Any, str]] = [
        ("POST", "/owners/register", {"name": "B", "email": "b@example.com"}, "body.email"),
        ("POST", "/dogs", {"name": "Rex", "size": "huge"}, "body.size"),
        ("POST", "/dogs", {"name": "Rex", "size": "small", "age": "4"}, "body.age"),
        ("POST", "/dogs", {"size": "small"}, "body.name"),
        ("POST", "/bookings", booking_body(dog, start=day(-1)), "body.start_time"),
        ("POST", "/bookings", booking_body(dog, start=day(400)), "body.start_time"),
        ("POST", "/bookings", booking_body(dog, start=day(8, 5)), "body.start_time"),
        ("POST", "/bookings", booking_body(dog, start=day(8, 9), end=day(8, 21)), "body.end_time"),
        ("POST", "/bookings", booking_body(dog, start=day(8, 9), end=day(9, 9)), "body.end_time"),
        ("POST", "/bookings", booking_body(dog, "parking", start=day(8, 6), end=day(8, 19)), "body.end_time"),
        (
            "POST",
            "/bookings",
            booking_body(dog, "boarding", start=day(8, 9), end=day(8, 17)),
            "body.end_time",
        ),
        (
            "POST",
            "/bookings",
            booking_body(dog, "boarding", start=day(8, 9), end=day(39, 17)),
            "body.end_time",
        ),
        (
            "POST",
            "/bookings",
            {**booking_body(dog, start=day(8)), "start_time": "2030-01-01T09:00:00"},
            "body.start_time",
        ),
        (
            "POST",
            "/bookings",
            {**booking_body(dog, start=day(8)), "service_type": "grooming"},
            "body.service_type",
        ),
    ]
    with api.unchanged():
        for method, resource, body, field in cases:
            assert_problem(api.call(method, resource, body=body), 422, "validation", field=field)
    lapsed = api.add_dog("alice", name="Old", vaccinations=[])
    with api.unchanged():
        result = api.call("POST", "/bookings", body=booking_body(lapsed["id"], start=day(8)))
    assert_problem(result, 422, "validation", field="body.dog_id")
    ranged = api.call("GET", "/bookings", query={"from": iso(day(5)), "to": iso(day(4))})
    assert_problem(ranged, 422, "validation", field="query.to")
    naive = api.call("GET", "/bookings", query={"from": "2030-01-01T09:00:00"})
    assert_problem(naive, 422, "validation", field="query.from")
    status = api.call("GET", "/bookings", query={"status": "paid"})
    assert_problem(status, 422, "validation", field="query.status")
    service = api.call(
        "PUT",
        "/admin/capacity/{service_type}",
        admin=True,
        path_params={"service_type": "spa"},
        body={"daily_capacity": 1},
    )
    assert_problem(service, 422, "validation", field="path.service_type")
    array = api.call("POST", "/dogs", body=[{"name": "Rex", "size": "large"}])
    assert_problem(array, 422, "validation", field="body")


# --- 429 -------------------------------------------------------------------------------------


def test_the_rate_limit_is_429_with_retry_after(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    api.register("alice")
    api.reconfigure(DOGCARE_RATE_LIMIT_PER_MINUTE="3")
    frozen = datetime(2030, 1, 7, 10, 15, 20, tzinfo=UTC)  # 20 s into a one-minute window
    monkeypatch.setattr("dogcare.repositories.ratelimits.utcnow", lambda: frozen)
    for _ in range(3):
        assert api.call("GET", "/owners/profile").status == 200
    with api.unchanged():
        for method, resource, body in (
            ("GET", "/owners/profile", None),
            ("POST", "/dogs", {"name": "Rex", "size": "large"}),
            ("POST", "/dogs", {"price": "1"}),  # the limit answers before validation
        ):
            limited = api.call(method, resource, body=body)
            assert_problem(limited, 429, "rate-limited")
            # A sliding window: the 4 requests counted at 10:15:20 weigh (1 - 30/60) at 10:16:30,
            # when 4 * 0.5 + 1 fits under 3 again (70 s on).
            assert limited.header("Retry-After") == "70"
    assert api.call("GET", "/owners/profile", sub="bob").status == 404  # per caller
    later = frozen + timedelta(seconds=69)
    monkeypatch.setattr("dogcare.repositories.ratelimits.utcnow", lambda: later)
    assert api.call("GET", "/owners/profile").status == 429  # the minute before still counts
    monkeypatch.setattr("dogcare.repositories.ratelimits.utcnow", lambda: frozen + timedelta(seconds=70))
    assert api.call("GET", "/owners/profile").status == 200
