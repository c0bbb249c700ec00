"""Adversarial requests against `dogcare serve`, over HTTP, as an attacker would send them.

Every case asserts three things: the status, the problem document (RFC 9457: ``type``,
``title``, ``status``, ``detail``, served as ``application/problem+json``, with ``errors``
naming the field for a 422), and that the tables hold exactly what they held before the
request. None may answer 5xx.

The token and role cases are parametrised over ``handlers.registry.routes()``, so a new
route is attacked as soon as it exists; the body cases check that every documented body
has a case here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from dogcare.auth.dev_issuer import DevIssuer, public_jwk
from dogcare.domain.ids import owner_id_for
from dogcare.settings import Settings
from handlers.registry import RouteSpec, routes
from tests.security.conftest import SecurityServer, serve

ROOT = Path(__file__).resolve().parents[2]
PROBLEM_JSON = "application/problem+json"
PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance", "errors"}
BODY_METHODS = {"POST", "PUT", "PATCH"}

ROUTES = routes()
ADMIN_ROUTES = [r for r in ROUTES if r.path.startswith("/admin/")]
BODY_ROUTES = [r for r in ROUTES if r.method in BODY_METHODS]
# How each public route refuses a request that is not what it expects (it has no token to check).
PUBLIC_REFUSALS = {("POST", "/payments/webhook"): (400, "invalid-webhook")}

ALICE, BOB, STAFF, NEWCOMER = "sec-alice", "sec-bob", "sec-staff", "sec-newcomer"
VACCINATIONS = [{"name": n, "expires_on": "2099-01-01"} for n in ("rabies", "dhpp", "bordetella")]
OPENAPI = json.loads((ROOT / "docs" / "openapi.json").read_text())


def route_id(route: RouteSpec) -> str:
    return f"{route.method} {route.path}"


def takes_body(route: RouteSpec) -> bool:
    """Whether the route documents a request body (it then validates one)."""
    return "requestBody" in OPENAPI["paths"].get(route.path, {}).get(route.method.lower(), {})


# --- the world the attacks run against -------------------------------------------------------


@dataclass
class World:
    server: SecurityServer
    issuer: DevIssuer
    day: date  # alice's first booking day (bob books it too), within the booking horizon
    dogs: dict[str, list[str]] = field(default_factory=dict)  # subject -> dog ids
    bookings: dict[str, list[str]] = field(default_factory=dict)  # subject -> booking ids
    payments: dict[str, str] = field(default_factory=dict)  # subject -> payment id
    idempotency_key: str = "sec-alice-booking-0001"
    known: list[dict[str, Any]] | None = None  # the tables as the last case left them

    def token(self, sub: str, **claims: Any) -> str:
        return self.issuer.mint(sub, extra_claims=claims or None)

    def auth(self, sub: str, *, admin: bool = False) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.issuer.mint(sub, admin=admin)}"}

    def send(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        raw: bytes | str | None = None,
        params: dict[str, str] | None = None,
    ) -> requests.Response:
        headers = dict(headers or {})
        data: bytes | str | None = raw
        if body is not None:
            data = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        elif raw is not None:
            headers.setdefault("Content-Type", "application/json")
        # A new connection per request: the local server answers keep-alive connections slowly.
        return requests.request(method, self.server.url + path, headers=headers, data=data, params=params, timeout=30)

    def as_(self, sub: str, method: str, path: str, *, admin: bool = False, **kwargs: Any) -> requests.Response:
        kwargs["headers"] = {**self.auth(sub, admin=admin), **kwargs.get("headers", {})}
        return self.send(method, path, **kwargs)

    def fill(self, template: str) -> str:
        return template.format(
            dog=self.dogs[ALICE][0],
            booking=self.bookings[ALICE][0],
            unpaid=self.bookings[ALICE][1],
            payment=self.payments[ALICE],
        )

    def booking_body(self, dog: str, day: date, **changes: str) -> dict[str, str]:
        return {
            "dog_id": dog,
            "service_type": "daycare",
            "start_time": f"{day}T09:00:00Z",
            "end_time": f"{day}T17:00:00Z",
            **changes,
        }


def _created(response: requests.Response) -> str:
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """This module's own server, with Alice and Bob, each registered with dogs and bookings;
    Alice has paid for one booking."""
    # No rate limit here (its test has a server of its own): no per-minute counters pile up
    # in the tables every case scans.
    server = serve(tmp_path_factory, "adversarial", DOGCARE_RATE_LIMIT_PER_MINUTE="0")
    try:
        yield from _populated(server)
    finally:
        server.stop()


def _populated(server: SecurityServer) -> Iterator[World]:
    day = (datetime.now(UTC) + timedelta(days=20)).date()
    w = World(server, DevIssuer(server.home), day)
    for sub, dogs in ((ALICE, 2), (BOB, 1)):
        id_token = {"X-Id-Token": w.issuer.mint_id_token(sub, f"{sub}@example.com")}
        registered = w.as_(sub, "POST", "/owners/register", body={"name": sub.title()}, headers=id_token)
        assert registered.status_code == 201, registered.text
        dog_body = {"name": "Rex", "size": "medium", "vaccinations": VACCINATIONS}
        w.dogs[sub] = [_created(w.as_(sub, "POST", "/dogs", body=dog_body)) for _ in range(dogs)]
        w.bookings[sub] = []
    headers = {"Idempotency-Key": w.idempotency_key}
    w.bookings[ALICE].append(
        _created(w.as_(ALICE, "POST", "/bookings", headers=headers, body=w.booking_body(w.dogs[ALICE][0], day)))
    )
    w.bookings[ALICE].append(
        _created(w.as_(ALICE, "POST", "/bookings", body=w.booking_body(w.dogs[ALICE][1], day + timedelta(days=1))))
    )
    w.bookings[BOB].append(_created(w.as_(BOB, "POST", "/bookings", body=w.booking_body(w.dogs[BOB][0], day))))
    w.payments[ALICE] = _created(w.as_(ALICE, "POST", "/payments", body={"booking_id": w.bookings[ALICE][0]}))
    yield w
    log = (server.home / "serve.log").read_text(errors="replace")
    assert "unhandled error" not in log, "a request reached the unexpected-error handler (a 500): see serve.log"


# --- assertions -----------------------------------------------------------------------------


@contextmanager
def unchanged(w: World) -> Iterator[None]:
    """The tables hold exactly the same items after the block as before it.

    Nothing writes to this module's server between cases (each case's requests run inside
    this block), so the state the previous case ended with is this case's "before"; it is
    only trusted when that case's block completed, and snapshotted afresh otherwise.
    """
    before = w.known if w.known is not None else w.server.snapshot()
    w.known = None
    yield
    after = w.known = w.server.snapshot()
    if after != before:
        added = [i for i in after if i not in before]
        removed = [i for i in before if i not in after]
        pytest.fail(f"the request changed the tables: added {added[:3]}, removed {removed[:3]}")


def assert_problem(
    response: requests.Response, status: int, kind: str, *, field: str | None = None, code: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text[:600]}"
    assert response.headers.get("Content-Type", "").split(";")[0].strip() == PROBLEM_JSON
    problem = response.json()
    assert set(problem) <= PROBLEM_FIELDS, problem
    assert problem["type"] == f"/problems/{kind}", problem
    assert problem["status"] == status
    assert isinstance(problem["title"], str)
    assert problem["title"].strip()
    assert isinstance(problem["detail"], str)
    assert problem["detail"].strip()
    if status == 422:
        assert field is not None, "a 422 case must name the field it expects"
        named = {e["field"]: e for e in problem["errors"]}
        assert field in named, f"{field} not named in {problem['errors']}"
        if code is not None:
            assert named[field]["code"] == code, named[field]
    return dict(problem)


def assert_unauthenticated(response: requests.Response, secret: str | None = None) -> None:
    assert_problem(response, 401, "unauthenticated")
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")
    if secret:
        for part in secret.split("."):
            if len(part) > 8:
                assert part not in response.text  # nothing of the token is echoed


# --- forged tokens ----------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(value: Any) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


@lru_cache(maxsize=1)
def attacker_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _claims(w: World, sub: str = ALICE, **changes: Any) -> dict[str, Any]:
    """Claims exactly like the dev issuer's (so only what a case changes is wrong)."""
    return {**jwt.decode(w.token(sub), options={"verify_signature": False}), **changes}


def _unsigned(w: World) -> str:
    header = {"alg": "none", "typ": "JWT", "kid": w.issuer.kid}
    return f"{_segment(header)}.{_segment(_claims(w))}."


def _hs256_with_public_key(w: World) -> str:
    pem = w.issuer.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{_segment({'alg': 'HS256', 'typ': 'JWT', 'kid': w.issuer.kid})}.{_segment(_claims(w))}"
    return f"{signing_input}.{_b64(hmac.new(pem, signing_input.encode(), hashlib.sha256).digest())}"


def _tampered(w: World) -> str:
    header, _, signature = w.token(ALICE).split(".")
    payload = _segment(_claims(w, BOB, **{"cognito:groups": ["admin"]}))
    return f"{header}.{payload}.{signature}"


def _signed(w: World, key: Any, header: dict[str, Any]) -> str:
    return jwt.encode(_claims(w), key, algorithm="RS256", headers=header)


def _bearer(make: Callable[[World], str]) -> Callable[[World], dict[str, str]]:
    return lambda w: {"Authorization": f"Bearer {make(w)}"}


NOW = int(time.time())
FORGERIES: dict[str, Callable[[World], dict[str, str]]] = {
    "no token": lambda w: {},
    "empty bearer": lambda w: {"Authorization": "Bearer"},
    "basic scheme": lambda w: {"Authorization": "Basic " + _b64(f"{ALICE}:password".encode())},
    "not a jwt": _bearer(lambda w: "not-a-jwt"),
    "expired": _bearer(
        lambda w: w.token(ALICE, iat=NOW - 7200, nbf=NOW - 7200, auth_time=NOW - 7200, exp=int(time.time()) - 3600)
    ),
    "not yet valid": _bearer(lambda w: w.token(ALICE, nbf=int(time.time()) + 3600)),
    "wrong issuer": _bearer(lambda w: w.token(ALICE, iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Evil")),
    "wrong client_id": _bearer(lambda w: w.token(ALICE, client_id="another-app-client")),
    "wrong audience": _bearer(lambda w: w.token(ALICE, aud="another-app-client")),
    "wrong token_use": _bearer(lambda w: w.token(ALICE, token_use="id")),
    "alg none": _bearer(_unsigned),
    "HS256 signed with the public key": _bearer(_hs256_with_public_key),
    "tampered payload": _bearer(_tampered),
    "unknown kid": _bearer(lambda w: _signed(w, w.issuer.private_key, {"kid": "retired-signing-key"})),
    # RFC 7519 NumericDate is a JSON number; a string would be "valid" for PyJWT alone
    "exp a numeric string": _bearer(lambda w: w.token(ALICE, exp="9999999999")),
    "iat a numeric string": _bearer(lambda w: w.token(ALICE, iat=str(int(time.time())))),
    "attacker key, trusted kid": _bearer(lambda w: _signed(w, attacker_key(), {"kid": w.issuer.kid})),
    "attacker key embedded as jwk": _bearer(
        lambda w: _signed(w, attacker_key(), {"kid": w.issuer.kid, "jwk": public_jwk(attacker_key().public_key())})
    ),
}


def valid_request(w: World, route: RouteSpec) -> tuple[str, dict[str, str] | None, Any]:
    """Path, query and body that the route would accept from Alice (or staff, or anyone for a
    public route): with a genuine token these would succeed, so a refusal is the token's doing."""
    ids = {
        "dogs": w.dogs[ALICE][0],
        "bookings": w.bookings[ALICE][0],
        "payments": w.payments[ALICE],
        "admin": w.bookings[ALICE][0],
    }
    first = route.path.strip("/").split("/")[0]
    path = route.path.replace("{id}", ids.get(first, "x")).replace("{service_type}", "daycare")
    params = {"date": w.day.isoformat()} if route.path == "/admin/bookings" else None
    if route.path == "/availability":
        params = {"service_type": "daycare", "from": w.day.isoformat(), "to": w.day.isoformat()}
    bodies: dict[str, Any] = {
        "POST /owners/register": {"name": "Newcomer"},
        "PUT /owners/profile": {"name": "Alice Updated"},
        "POST /dogs": {"name": "Fido", "size": "small", "vaccinations": VACCINATIONS},
        "PUT /dogs/{id}": {"name": "Renamed"},
        "POST /bookings": w.booking_body(w.dogs[ALICE][1], w.day + timedelta(days=2)),
        "POST /bookings/quote": w.booking_body(w.dogs[ALICE][1], w.day + timedelta(days=2)),
        "PUT /bookings/{id}": {"special_instructions": "two walks"},
        "POST /payments": {"booking_id": w.bookings[ALICE][1]},
        "PUT /admin/capacity/{service_type}": {"daily_capacity": 3},
        "POST /payments/webhook": {
            "id": "evt_forged",
            "type": "payment_intent.succeeded",
            "data": {"object": {"id": "pi_forged"}},
        },
    }
    return path, params, bodies.get(route_id(route)) if route.method in BODY_METHODS else None


@pytest.mark.parametrize("forgery", FORGERIES)
@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_missing_or_forged_tokens_are_refused(world: World, route: RouteSpec, forgery: str) -> None:
    path, params, body = valid_request(world, route)
    headers = FORGERIES[forgery](world)
    with unchanged(world):
        response = world.send(route.method, path, headers=headers, body=body, params=params)
    if route.public:
        assert (route.method, route.path) in PUBLIC_REFUSALS, "a new public route needs its refusal case here"
        status, kind = PUBLIC_REFUSALS[(route.method, route.path)]
        assert_problem(response, status, kind)  # a token is neither needed nor a substitute for a signature
    else:
        assert_unauthenticated(response, headers.get("Authorization"))


@pytest.mark.parametrize("route", [r for r in ROUTES if not r.public], ids=route_id)
def test_a_genuine_token_gets_past_the_authorizer(world: World, route: RouteSpec) -> None:
    """The control for the forgeries: the same kind of token, genuine, is let through (the
    request is made harmless with an unknown id or a refused body field, so nothing changes)."""
    path = route.path.replace("{id}", f"unknown-{uuid.uuid4()}").replace("{service_type}", "daycare")
    params = {"date": world.day.isoformat()} if route.path == "/admin/bookings" else None
    if route.path == "/availability":
        params = {"service_type": "daycare", "from": world.day.isoformat(), "to": world.day.isoformat()}
    body = {"not_a_field": True} if takes_body(route) else None
    sub, admin = (STAFF, True) if route.path.startswith("/admin/") else (ALICE, False)
    with unchanged(world):
        response = world.as_(sub, route.method, path, admin=admin, body=body, params=params)
    assert response.status_code in (200, 404, 422), response.text
    if response.status_code == 404:
        assert_problem(response, 404, "not-found")
    if response.status_code == 422:
        assert_problem(response, 422, "validation", field="body.not_a_field", code="extra_forbidden")


STRIPE_SIGNATURES = {
    "missing": None,
    "garbage": "garbage",
    "wrong signature": f"t={NOW},v1={'0' * 64}",
    "stale and wrong": f"t={NOW - 86400},v1={'ab' * 32}",
    "empty scheme": f"t={NOW},v0={'0' * 64}",
}


@pytest.mark.parametrize("signature", STRIPE_SIGNATURES)
@pytest.mark.parametrize("with_token", [False, True], ids=["anonymous", "with a genuine bearer token"])
def test_the_public_webhook_demands_a_valid_stripe_signature(world: World, signature: str, with_token: bool) -> None:
    event = {
        "id": "evt_forged",
        "type": "payment_intent.succeeded",
        "data": {
            "object": {
                "id": "pi_forged",
                "object": "payment_intent",
                "amount": 4500,
                "currency": "usd",
                "metadata": {"booking_id": world.bookings[ALICE][0], "payment_id": world.payments[ALICE]},
            }
        },
    }
    headers = world.auth(ALICE) if with_token else {}
    value = STRIPE_SIGNATURES[signature]
    if value is not None:
        headers["Stripe-Signature"] = value
    with unchanged(world):
        response = world.send("POST", "/payments/webhook", headers=headers, body=event)
    assert_problem(response, 400, "invalid-webhook")


# --- roles: only a verified admin group is admin -----------------------------------------------


@dataclass(frozen=True)
class Elevation:
    claims: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    sub: str = ALICE
    status: int = 403


ROLE_HEADERS = {
    "X-Groups": "admin",
    "X-Cognito-Groups": "admin",
    "X-Amzn-Cognito-Groups": "admin",
    "X-User-Groups": "admin",
    "X-Forwarded-Groups": "admin",
    "X-Role": "admin",
    "X-Admin": "true",
    "Groups": "admin",
    "X-Authorizer-Groups": "admin",
    "X-Authorizer-Sub": STAFF,
    "X-Principal-Id": STAFF,
}
ROLE_FIELDS = {"groups": ["admin"], "cognito:groups": ["admin"], "role": "admin", "is_admin": True}
ELEVATIONS = {
    "plain owner token": Elevation(),
    "caller who never registered": Elevation(sub=NEWCOMER),
    "role headers": Elevation(headers=ROLE_HEADERS),
    "role query parameters": Elevation(
        params={
            "admin": "true",
            "groups": "admin",
            "cognito:groups": "admin",
            "role": "admin",
            "is_admin": "1",
        }
    ),
    "role body fields": Elevation(body=ROLE_FIELDS),
    "groups claim (not cognito:groups)": Elevation(claims={"groups": ["admin"]}),
    "custom role claims": Elevation(
        claims={
            "custom:role": "admin",
            "custom:groups": "admin",
            "cognito:roles": ["arn:aws:iam::000000000000:role/admin"],
        }
    ),
    "admin scope": Elevation(claims={"scope": "admin aws.cognito.signin.user.admin"}),
    "group name case and padding": Elevation(claims={"cognito:groups": ["Admin", "ADMIN", " admin", "admin "]}),
    "comma-smuggled group": Elevation(claims={"cognito:groups": ["staff,admin", "x,admin"]}),
    "groups as a string": Elevation(claims={"cognito:groups": "admin"}, status=401),
}


@pytest.mark.parametrize("attempt", ELEVATIONS)
@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=route_id)
def test_admin_routes_refuse_everyone_but_admins(world: World, route: RouteSpec, attempt: str) -> None:
    e = ELEVATIONS[attempt]
    path, params, body = valid_request(world, route)
    headers = {"Authorization": f"Bearer {world.token(e.sub, **e.claims)}", **e.headers}
    if e.body and route.method in BODY_METHODS:
        body = {**(body or {}), **e.body}
    with unchanged(world):
        response = world.send(route.method, path, headers=headers, body=body, params={**(params or {}), **e.params})
    if e.status == 401:
        assert_unauthenticated(response)
    elif e.body and takes_body(route):
        # The body is validated before the role is checked: the smuggled fields are refused by name.
        for name in e.body:
            assert_problem(response, 422, "validation", field=f"body.{name}", code="extra_forbidden")
    else:
        assert_problem(response, 403, "forbidden")


# --- isolation between owners ------------------------------------------------------------------


def _unknown(entity: str) -> str:
    return f"{entity}-{uuid.uuid4()}"


@dataclass(frozen=True)
class Trespass:
    method: str
    path: str  # {x} is Alice's id, or an unknown one of the same shape
    entity: str
    body: Callable[[World, str], Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


TRESPASSES = {
    "read a dog": Trespass("GET", "/dogs/{x}", "dog"),
    "update a dog": Trespass("PUT", "/dogs/{x}", "dog", lambda w, x: {"name": "Stolen"}),
    "update a dog at its version": Trespass(
        "PUT", "/dogs/{x}", "dog", lambda w, x: {"name": "Stolen"}, {"If-Match": '"1"'}
    ),
    "update a dog at a wrong version": Trespass(
        "PUT", "/dogs/{x}", "dog", lambda w, x: {"age": 3}, {"If-Match": '"999"'}
    ),
    "delete a dog": Trespass("DELETE", "/dogs/{x}", "dog"),
    "delete a dog at a wrong version": Trespass("DELETE", "/dogs/{x}", "dog", headers={"If-Match": '"999"'}),
    "read a booking": Trespass("GET", "/bookings/{x}", "booking"),
    "change a booking's instructions": Trespass(
        "PUT", "/bookings/{x}", "booking", lambda w, x: {"special_instructions": "let me in"}
    ),
    "move a booking": Trespass(
        "PUT",
        "/bookings/{x}",
        "booking",
        lambda w, x: {
            "start_time": f"{w.day + timedelta(days=3)}T09:00:00Z",
            "end_time": f"{w.day + timedelta(days=3)}T12:00:00Z",
        },
    ),
    "cancel a booking": Trespass("DELETE", "/bookings/{x}", "booking"),
    "read a payment": Trespass("GET", "/payments/{x}", "payment"),
    "book another owner's dog": Trespass(
        "POST", "/bookings", "dog", lambda w, x: w.booking_body(x, w.day + timedelta(days=4))
    ),
    "book it replaying the owner's Idempotency-Key": Trespass(
        "POST",
        "/bookings",
        "dog",
        lambda w, x: w.booking_body(x, w.day),
        {"Idempotency-Key": "sec-alice-booking-0001"},
    ),
    "pay another owner's booking": Trespass("POST", "/payments", "booking", lambda w, x: {"booking_id": x}),
    "pay another owner's paid booking": Trespass("POST", "/payments", "paid", lambda w, x: {"booking_id": x}),
}


@pytest.mark.parametrize("case", TRESPASSES)
def test_another_owners_items_look_exactly_like_unknown_ids(world: World, case: str) -> None:
    t = TRESPASSES[case]
    alices = {
        "dog": world.dogs[ALICE][0],
        "booking": world.bookings[ALICE][1],
        "payment": world.payments[ALICE],
        "paid": world.bookings[ALICE][0],
    }[t.entity]
    unknown = _unknown("booking" if t.entity == "paid" else t.entity)

    def attempt(target: str) -> requests.Response:
        body = t.body(world, target) if t.body else None
        return world.as_(
            BOB,
            t.method,
            t.path.format(x=target) if "{x}" in t.path else t.path,
            headers=dict(t.headers),
            body=body,
        )

    with unchanged(world):
        theirs = attempt(alices)
        nobodys = attempt(unknown)
    assert_problem(theirs, 404, "not-found")
    assert theirs.content == nobodys.content  # byte for byte: nothing tells the two apart
    assert theirs.headers["Content-Type"] == nobodys.headers["Content-Type"]
    assert "ETag" not in theirs.headers


LISTS = {
    "dogs": ("/dogs", {}),
    "bookings": ("/bookings", {}),
    "pending bookings": ("/bookings", {"status": "pending"}),
    "bookings in a time range": ("/bookings", {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}),
}


@pytest.mark.parametrize("listing", LISTS)
@pytest.mark.parametrize("page_size", [1, 100])
def test_lists_hold_only_the_callers_own_items(world: World, listing: str, page_size: int) -> None:
    path, params = LISTS[listing]
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    with unchanged(world):
        for _ in range(50):
            query = {**params, "limit": str(page_size), **({"cursor": cursor} if cursor else {})}
            response = world.as_(BOB, "GET", path, params=query)
            assert response.status_code == 200, response.text
            page = response.json()
            seen.extend(page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                break
    ids = {item["id"] for item in seen}
    alices = set(world.dogs[ALICE]) | set(world.bookings[ALICE])
    assert ids, "Bob's own items are listed"
    assert not ids & alices
    assert {item["owner_id"] for item in seen} == {owner_id_for(BOB)}


def test_the_profile_is_always_the_callers_own(world: World) -> None:
    with unchanged(world):
        response = world.as_(BOB, "GET", "/owners/profile", params={"owner_id": owner_id_for(ALICE), "id": ALICE})
    assert response.status_code == 200
    assert response.json()["id"] == owner_id_for(BOB)


# --- cursors ---------------------------------------------------------------------------------


def _cursor(w: World, sub: str, path: str, params: dict[str, str] | None = None, admin: bool = False) -> str:
    response = w.as_(sub, "GET", path, admin=admin, params={**(params or {}), "limit": "1"})
    assert response.status_code == 200, response.text
    cursor = response.json()["next_cursor"]
    assert cursor, f"{path} gave no cursor"
    return str(cursor)


def _flip(text: str, index: int) -> str:
    return text[:index] + ("B" if text[index] != "B" else "C") + text[index + 1 :]


# (made by, on, with) -> (used by, on, with)
CURSOR_MISUSE: dict[str, tuple[tuple[str, str, dict[str, str]], tuple[str, str, dict[str, str]]]] = {
    "another owner's dogs cursor": ((ALICE, "/dogs", {}), (BOB, "/dogs", {})),
    "another owner's bookings cursor": ((ALICE, "/bookings", {}), (BOB, "/bookings", {})),
    "a dogs cursor on bookings": ((ALICE, "/dogs", {}), (ALICE, "/bookings", {})),
    "a bookings cursor on dogs": ((ALICE, "/bookings", {}), (ALICE, "/dogs", {})),
    "another status filter": (
        (ALICE, "/bookings", {"status": "pending"}),
        (ALICE, "/bookings", {"status": "cancelled"}),
    ),
    "a filtered cursor unfiltered": ((ALICE, "/bookings", {"status": "pending"}), (ALICE, "/bookings", {})),
    "another time range": (
        (ALICE, "/bookings", {"from": "2000-01-01T00:00:00Z"}),
        (ALICE, "/bookings", {"from": "2000-01-02T00:00:00Z"}),
    ),
    "the staff owners cursor on an owner's list": ((STAFF, "/admin/owners", {}), (ALICE, "/dogs", {})),
    "an owner's cursor on the staff list": ((ALICE, "/dogs", {}), (STAFF, "/admin/owners", {})),
    "the roster cursor of another day": (
        (STAFF, "/admin/bookings", {"date": "{day}"}),
        (STAFF, "/admin/bookings", {"date": "{next_day}"}),
    ),
}


def _dated(w: World, params: dict[str, str]) -> dict[str, str]:
    return {k: v.format(day=w.day, next_day=w.day + timedelta(days=1)) for k, v in params.items()}


@pytest.mark.parametrize("misuse", CURSOR_MISUSE)
def test_a_cursor_only_works_for_its_own_caller_and_query(world: World, misuse: str) -> None:
    (maker, made_on, made_with), (user, used_on, used_with) = CURSOR_MISUSE[misuse]
    cursor = _cursor(world, maker, made_on, _dated(world, made_with), admin=maker == STAFF)
    with unchanged(world):
        response = world.as_(
            user, "GET", used_on, admin=user == STAFF, params={**_dated(world, used_with), "cursor": cursor}
        )
    assert_problem(response, 400, "invalid-cursor")


TAMPERINGS: dict[str, Callable[[str, str], str]] = {
    "signature changed": lambda c, other: _flip(c, c.index(".") + 1),
    "body changed": lambda c, other: _flip(c, 5),
    "body swapped in": lambda c, other: other.split(".")[0] + "." + c.split(".")[1],
    "signature dropped": lambda c, other: c.split(".")[0],
    "signature empty": lambda c, other: c.split(".")[0] + ".",
    "extra segment": lambda c, other: c + ".AAAA",
    "not base64": lambda c, other: "!!!!.????",
    "forged body, no key": lambda c, other: _b64(b'{"b":"x","k":{"pk":{"S":"OWNER#x"}}}') + "." + _b64(b"0" * 16),
    "json in the clear": lambda c, other: '{"k":{},"b":"x"}',
    "maximum length": lambda c, other: "A" * 2047 + ".",
}


@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_a_tampered_cursor_is_refused(world: World, tampering: str) -> None:
    cursor = _cursor(world, ALICE, "/dogs")
    other = _cursor(world, ALICE, "/bookings")
    with unchanged(world):
        response = world.as_(ALICE, "GET", "/dogs", params={"cursor": TAMPERINGS[tampering](cursor, other)})
    assert_problem(response, 400, "invalid-cursor")


# --- mass assignment: fields the server owns are never accepted from a client --------------------


SERVER_OWNED = {
    "owner_id": owner_id_for(BOB),
    "price": "0.00",
    "status": "confirmed",
    "payment_id": f"payment-{uuid.uuid4()}",
    "id": f"dog-{uuid.uuid4()}",
    "created_at": "2000-01-01T00:00:00Z",
    "version": 0,
    "vaccination_status": "valid",
}
# Every documented body, with a caller and a body it accepts (the extra field is the only fault).
BODIES: dict[str, tuple[str, str, Callable[[World], dict[str, Any]]]] = {
    "POST /owners/register": (
        NEWCOMER,
        "/owners/register",
        lambda w: {"name": "New"},
    ),
    "PUT /owners/profile": (ALICE, "/owners/profile", lambda w: {"name": "Alice"}),
    "POST /dogs": (ALICE, "/dogs", lambda w: {"name": "Fido", "size": "small", "vaccinations": VACCINATIONS}),
    "PUT /dogs/{id}": (ALICE, "/dogs/{dog}", lambda w: {"name": "Rex"}),
    "POST /bookings": (
        ALICE,
        "/bookings",
        lambda w: w.booking_body(w.dogs[ALICE][1], w.day + timedelta(days=5)),
    ),
    "POST /bookings/quote": (
        ALICE,
        "/bookings/quote",
        lambda w: w.booking_body(w.dogs[ALICE][1], w.day + timedelta(days=5)),
    ),
    "PUT /bookings/{id}": (ALICE, "/bookings/{booking}", lambda w: {"special_instructions": "extra walk"}),
    "POST /payments": (ALICE, "/payments", lambda w: {"booking_id": w.bookings[ALICE][1]}),
    "PUT /admin/capacity/{service_type}": (
        STAFF,
        "/admin/capacity/daycare",
        lambda w: {"daily_capacity": 20},
    ),
}


def test_every_documented_body_has_mass_assignment_cases() -> None:
    documented = {f"{r.method} {r.path}" for r in ROUTES if takes_body(r)}
    assert documented == set(BODIES), "add the new body to BODIES"


@pytest.mark.parametrize("owned", SERVER_OWNED)
@pytest.mark.parametrize("operation", BODIES)
def test_server_owned_fields_are_refused_by_name(world: World, operation: str, owned: str) -> None:
    who, path, make = BODIES[operation]
    method = operation.split()[0]
    body = {**make(world), owned: SERVER_OWNED[owned]}
    with unchanged(world):
        response = world.as_(who, method, world.fill(path), admin=who == STAFF, body=body)
    problem = assert_problem(response, 422, "validation", field=f"body.{owned}", code="extra_forbidden")
    assert [e["field"] for e in problem["errors"]] == [f"body.{owned}"]  # the rest of the body was fine


NESTED = {
    "owner address": (
        ALICE,
        "PUT",
        "/owners/profile",
        {
            "address": {
                "street": "1 Main St",
                "city": "Springfield",
                "state": "IL",
                "zip": "62701",
                "owner_id": "x",
            }
        },
        "body.address.owner_id",
    ),
    "vaccination record": (
        ALICE,
        "POST",
        "/dogs",
        {
            "name": "Fido",
            "size": "small",
            "vaccinations": [{"name": "rabies", "expires_on": "2099-01-01", "status": "valid"}],
        },
        "body.vaccinations.0.status",
    ),
}


@pytest.mark.parametrize("case", NESTED)
def test_server_owned_fields_are_refused_inside_nested_objects(world: World, case: str) -> None:
    who, method, path, body, name = NESTED[case]
    with unchanged(world):
        response = world.as_(who, method, path, body=body)
    assert_problem(response, 422, "validation", field=name, code="extra_forbidden")


# --- hostile values ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    method: str
    path: str
    status: int
    kind: str
    target: str | None = None  # the field a 422 must name
    body: Callable[[World], Any] | None = None
    raw: str | bytes | None = None
    params: dict[str, str] | None = None
    sub: str = ALICE
    headers: dict[str, str] = field(default_factory=dict)
    code: str | None = None  # and the code it must give

    @property
    def admin(self) -> bool:
        return self.sub == STAFF


def _dog_raw(age: str) -> str:
    return f'{{"name": "Rex", "size": "small", "age": {age}}}'


def _dog_with(text: str, at: str) -> dict[str, Any]:
    """A dog that is valid except for ``text`` placed at ``at``."""
    body: dict[str, Any] = {"name": "Rex", "size": "small"}
    if at == "special_needs":
        body[at] = [text]
    elif at == "vaccinations":
        body[at] = [{"name": text, "expires_on": "2099-01-01"}]
    else:
        body[at] = text
    return body


def _dog_body_of_size(size: int) -> str:
    """A JSON dog of exactly ``size`` bytes (its name is far too long, so it is never created)."""
    head, tail = '{"size": "small", "name": "', '"}'
    return head + "x" * (size - len(head) - len(tail)) + tail


def _dog_text(text: str, at: str) -> Callable[[World], Any]:
    return lambda w: _dog_with(text, at)


def _owner_named(text: str) -> Callable[[World], Any]:
    return lambda w: {"name": text}


def _street(text: str) -> Callable[[World], Any]:
    return lambda w: {"address": {"street": text, "city": "Springfield", "state": "IL", "zip": "62701"}}


def _email(text: str) -> Callable[[World], Any]:
    return lambda w: {"email": f"alice{text}@example.com"}


def _booking(**changes: str) -> Callable[[World], Any]:
    return lambda w: w.booking_body(w.dogs[ALICE][1], w.day + timedelta(days=6), **changes)


def _days_ahead(days: int, hour: str = "09:00:00Z") -> str:
    return f"{(datetime.now(UTC) + timedelta(days=days)).date()}T{hour}"


HOSTILE: dict[str, Hostile] = {}
for label, value, code in [
    ("negative", "-1", "greater_than_equal"),
    ("too old", "31", "less_than_equal"),
    ("huge", "123456789012345678901234567890", "less_than_equal"),
    ("NaN", "NaN", "int_type"),
    ("Infinity", "Infinity", "int_type"),
    ("-Infinity", "-Infinity", "int_type"),
    ("1e309", "1e309", "int_type"),
    ("-1e309", "-1e309", "int_type"),
    ("true", "true", "int_type"),
    ("false", "false", "int_type"),
    ("float", "5.0", "int_type"),
    ("fraction", "4.5", "int_type"),
    ("string", '"5"', "int_type"),
    ("list", "[5]", "int_type"),
    ("object", "{}", "int_type"),
]:
    HOSTILE[f"age {label}"] = Hostile("POST", "/dogs", 422, "validation", "body.age", raw=_dog_raw(value), code=code)
    HOSTILE[f"age {label} on update"] = Hostile(
        "PUT", "/dogs/{dog}", 422, "validation", "body.age", raw=f'{{"age": {value}}}', code=code
    )
for label, value in [
    ("negative", "-1"),
    ("over the maximum", "1001"),
    ("huge", "99999999999999999999999"),
    ("NaN", "NaN"),
    ("Infinity", "Infinity"),
    ("1e309", "1e309"),
    ("true", "true"),
    ("fraction", "0.5"),
    ("string", '"20"'),
    ("null", "null"),
]:
    HOSTILE[f"daily_capacity {label}"] = Hostile(
        "PUT",
        "/admin/capacity/daycare",
        422,
        "validation",
        "body.daily_capacity",
        raw=f'{{"daily_capacity": {value}}}',
        sub=STAFF,
    )
for path, sub, extra in [
    ("/dogs", ALICE, {}),
    ("/bookings", ALICE, {}),
    ("/admin/owners", STAFF, {}),
    ("/admin/bookings", STAFF, {"date": "2030-01-01"}),
]:
    for value in [
        "0",
        "-1",
        "1000000000",
        "101",
        "NaN",
        "Infinity",
        "1e309",
        "true",
        "1.5",
        "abc",
        "0x10",
        "\uff11\uff10",
    ]:
        HOSTILE[f"limit {value!r} on {path}"] = Hostile(
            "GET", path, 422, "validation", "query.limit", params={**extra, "limit": value}, sub=sub
        )
HOSTILE.update(
    {
        "end before start": Hostile(
            "POST",
            "/bookings",
            422,
            "validation",
            "body.end_time",
            _booking(start_time=_days_ahead(30, "15:00:00Z"), end_time=_days_ahead(30, "10:00:00Z")),
        ),
        "end equal to start": Hostile(
            "POST",
            "/bookings",
            422,
            "validation",
            "body.end_time",
            _booking(start_time=_days_ahead(30, "10:00:00Z"), end_time=_days_ahead(30, "10:00:00Z")),
        ),
        "naive datetimes": Hostile(
            "POST",
            "/bookings",
            422,
            "validation",
            "body.start_time",
            _booking(start_time=_days_ahead(30, "09:00:00"), end_time=_days_ahead(30, "17:00:00")),
        ),
        "date without a time": Hostile(
            "POST",
            "/bookings",
            422,
            "validation",
            "body.start_time",
            _booking(start_time=str((datetime.now(UTC) + timedelta(days=30)).date())),
        ),
        "start in the past": Hostile(
            "POST",
            "/bookings",
            422,
            "validation",
            "body.start_time",
            _booking(start_time=_days_ahead(-1), end_time=_days_ahead(-1, "17:00:00Z")),
        ),
        "start beyond the booking horizon": Hostile(
            "POST",
            "/bookings",
            422,
            "validation",
            "body.start_time",
            _booking(start_time=_days_ahead(400), end_time=_days_ahead(400, "17:00:00Z")),
        ),
        "start at night": Hostile(
            "POST",
            "/bookings",
            422,
            "validation",
            "body.start_time",
            _booking(start_time=_days_ahead(30, "02:00:00Z")),
        ),
        "impossible date": Hostile(
            "POST",
            "/bookings",
            422,
            "validation",
            "body.start_time",
            _booking(start_time="2030-02-30T10:00:00Z"),
        ),
        "offset out of range": Hostile(
            "POST",
            "/bookings",
            422,
            "validation",
            "body.start_time",
            _booking(start_time=_days_ahead(30, "09:00:00+25:00")),
        ),
        "year 10000": Hostile(
            "POST",
            "/bookings",
            422,
            "validation",
            "body.end_time",
            _booking(end_time="+10000-01-01T10:00:00Z"),
        ),
        "unknown service type": Hostile(
            "POST", "/bookings", 422, "validation", "body.service_type", _booking(service_type="spa")
        ),
        "dog id of another shape": Hostile(
            "POST", "/bookings", 422, "validation", "body.dog_id", _booking(dog_id="../../dogs/x")
        ),
        "move: end before start": Hostile(
            "PUT",
            "/bookings/{unpaid}",
            422,
            "validation",
            "body.end_time",
            lambda w: {"start_time": f"{w.day}T15:00:00Z", "end_time": f"{w.day}T10:00:00Z"},
        ),
        "move: naive datetime": Hostile(
            "PUT",
            "/bookings/{unpaid}",
            422,
            "validation",
            "body.start_time",
            lambda w: {"start_time": f"{w.day}T09:00:00"},
        ),
        "move: into the past": Hostile(
            "PUT",
            "/bookings/{unpaid}",
            422,
            "validation",
            "body.start_time",
            lambda w: {"start_time": _days_ahead(-2), "end_time": _days_ahead(-2, "17:00:00Z")},
        ),
        "list: 'to' before 'from'": Hostile(
            "GET",
            "/bookings",
            422,
            "validation",
            "query.to",
            params={"from": "2030-01-02T00:00:00Z", "to": "2030-01-01T00:00:00Z"},
        ),
        "list: naive 'from'": Hostile(
            "GET", "/bookings", 422, "validation", "query.from", params={"from": "2030-01-02T00:00:00"}
        ),
        "list: unknown status": Hostile("GET", "/bookings", 422, "validation", "query.status", params={"status": "*"}),
        "roster: impossible date": Hostile(
            "GET",
            "/admin/bookings",
            422,
            "validation",
            "query.date",
            params={"date": "2030-02-30"},
            sub=STAFF,
        ),
        "roster: no date": Hostile("GET", "/admin/bookings", 422, "validation", "query.date", params={}, sub=STAFF),
        "capacity: unknown service": Hostile(
            "PUT",
            "/admin/capacity/spa",
            422,
            "validation",
            "path.service_type",
            lambda w: {"daily_capacity": 5},
            sub=STAFF,
        ),
        "id longer than any id": Hostile("GET", "/dogs/" + "d" * 65, 422, "validation", "path.id"),
        "cursor over the maximum length": Hostile(
            "GET", "/dogs", 422, "validation", "query.cursor", params={"cursor": "A" * 2049}
        ),
        "too many special needs": Hostile(
            "POST",
            "/dogs",
            422,
            "validation",
            "body.special_needs",
            lambda w: {"name": "Rex", "size": "small", "special_needs": ["x"] * 21},
        ),
        "too many vaccinations": Hostile(
            "POST",
            "/dogs",
            422,
            "validation",
            "body.vaccinations",
            lambda w: {
                "name": "Rex",
                "size": "small",
                "vaccinations": [{"name": f"v{i}", "expires_on": "2099-01-01"} for i in range(21)],
            },
        ),
        "email without a domain": Hostile(
            "PUT", "/owners/profile", 422, "validation", "body.email", lambda w: {"email": "alice@"}
        ),
        "a non-object body (array)": Hostile("POST", "/dogs", 422, "validation", "body", raw="[]"),
        "a non-object body (null)": Hostile("POST", "/dogs", 422, "validation", "body", raw="null"),
        "a non-object body (string)": Hostile("POST", "/dogs", 422, "validation", "body", raw='"Rex"'),
        "an empty body": Hostile("POST", "/dogs", 422, "validation", "body", raw=""),
        "invalid UTF-8": Hostile("POST", "/dogs", 400, "malformed-json", raw=b'{"name": "\xff\xfe", "size": "small"}'),
        "a body of exactly 64 KiB": Hostile(
            "POST",
            "/dogs",
            422,
            "validation",
            "body.name",
            raw=_dog_body_of_size(64 * 1024),
        ),
    }
)
TEXT_ATTACKS = {
    "NUL": "Rex\u0000",
    "RTL override": "Rex\u202egnp.exe",
    "zero-width space": "R\u200bex",
    "BOM": "\ufeffRex",
    "bidi isolate": "\u2066Rex\u2069",
    "bell": "Rex\u0007",
    "private use": "Rex\ue000",
    "tag character": "Rex\U000e0041",
    "line separator": "Rex\u2028Admin",
    "paragraph separator": "Rex\u2029Admin",  # (a trailing one is trimmed like other whitespace)
    "10,000 characters": "x" * 10_000,
}
for at in ("name", "breed", "emergency_contact", "special_needs", "vaccinations"):
    suffix = {"special_needs": ".0", "vaccinations": ".0.name"}.get(at, "")
    for label, text in TEXT_ATTACKS.items():
        HOSTILE[f"{label} in {at}"] = Hostile(
            "POST", "/dogs", 422, "validation", f"body.{at}{suffix}", _dog_text(text, at)
        )
    for label, escape in [("lone high surrogate", "\\ud800"), ("lone low surrogate", "\\udfff")]:
        raw = json.dumps(_dog_with("SURROGATE", at))
        HOSTILE[f"{label} in {at}"] = Hostile(
            "POST",
            "/dogs",
            422,
            "validation",
            f"body.{at}{suffix}",
            raw=raw.replace("SURROGATE", f"Rex{escape}"),
        )
for label, text in TEXT_ATTACKS.items():
    HOSTILE[f"{label} in special_instructions"] = Hostile(
        "POST",
        "/bookings",
        422,
        "validation",
        "body.special_instructions",
        _booking(special_instructions=text),
    )
    HOSTILE[f"{label} in the owner name"] = Hostile(
        "POST", "/owners/register", 422, "validation", "body.name", _owner_named(text), sub=NEWCOMER
    )
    HOSTILE[f"{label} in the street"] = Hostile(
        "PUT", "/owners/profile", 422, "validation", "body.address.street", _street(text)
    )


# Well-formed times with no UTC equivalent inside Python's range (they used to be a 500).
EXTREME_TIMES = {
    "end of time, -23:59": "9999-12-31T23:00:00-23:59",
    "start of time, +23:59": "0001-01-01T00:00:00+23:59",
}
for label, moment in EXTREME_TIMES.items():
    for name in ("start_time", "end_time"):
        HOSTILE[f"{label} as {name}"] = Hostile(
            "POST", "/bookings", 422, "validation", f"body.{name}", _booking(**{name: moment})
        )
        HOSTILE[f"{label} as {name} of a change"] = Hostile(
            "PUT",
            "/bookings/{unpaid}",
            422,
            "validation",
            f"body.{name}",
            lambda w, n=name, m=moment: {n: m},
        )
    for name in ("from", "to"):
        HOSTILE[f"{label} as ?{name}"] = Hostile(
            "GET", "/bookings", 422, "validation", f"query.{name}", params={name: moment}
        )


for label in ("NUL", "RTL override", "zero-width space", "BOM", "bell"):
    HOSTILE[f"{label} in the email"] = Hostile(
        "PUT", "/owners/profile", 422, "validation", "body.email", _email(TEXT_ATTACKS[label])
    )


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_values_are_refused(world: World, case: str) -> None:
    h = HOSTILE[case]
    body = h.body(world) if h.body else None
    with unchanged(world):
        response = world.as_(
            h.sub,
            h.method,
            world.fill(h.path),
            admin=h.admin,
            body=body,
            raw=h.raw,
            params=h.params,
            headers=dict(h.headers),
        )
    assert_problem(response, h.status, h.kind, field=h.target, code=h.code)


# --- the request gate: size, depth, syntax and media type, on every route that takes a body ---------


def _bearer_for(w: World, route: RouteSpec) -> dict[str, str]:
    if route.public:
        return {}
    return w.auth(STAFF, admin=True) if route.path.startswith("/admin/") else w.auth(ALICE)


def _deep(depth: int) -> str:
    return '{"name": ' + '{"a": ' * depth + "1" + "}" * depth + "}"


GATE = {
    "a body one byte over 64 KiB": (_dog_body_of_size(64 * 1024 + 1), "application/json", 413, "too-large"),
    "a body of 1 MiB": ("[" + "0," * (512 * 1024) + "0]", "application/json", 413, "too-large"),
    "plain text": ('{"name": "Rex"}', "text/plain", 415, "unsupported-media-type"),
    "a form": ("name=Rex&size=small", "application/x-www-form-urlencoded", 415, "unsupported-media-type"),
    "XML": ("<dog><name>Rex</name></dog>", "application/xml", 415, "unsupported-media-type"),
    "no content type": ('{"name": "Rex"}', "", 415, "unsupported-media-type"),
}
JSON_GATE = {
    "nested 64 deep (objects)": (_deep(64), 400, "too-deep"),
    "nested 10,000 deep (arrays)": ("[" * 10_000 + "]" * 10_000, 400, "too-deep"),
    "unterminated": ('{"name": ', 400, "malformed-json"),
    "trailing garbage": ('{"name": "Rex"} x', 400, "malformed-json"),
    "single quotes": ("{'name': 'Rex'}", 400, "malformed-json"),
}


def _route_path(w: World, route: RouteSpec) -> str:
    return valid_request(w, route)[0]


@pytest.mark.parametrize("case", GATE)
@pytest.mark.parametrize("route", BODY_ROUTES, ids=route_id)
def test_the_gate_refuses_oversized_and_non_json_bodies(world: World, route: RouteSpec, case: str) -> None:
    raw, content_type, status, kind = GATE[case]
    headers = {**_bearer_for(world, route), "Content-Type": content_type}
    with unchanged(world):
        response = world.send(route.method, _route_path(world, route), headers=headers, raw=raw)
    assert_problem(response, status, kind)


@pytest.mark.parametrize("case", JSON_GATE)
@pytest.mark.parametrize("route", [r for r in BODY_ROUTES if not r.public], ids=route_id)
def test_the_gate_refuses_malformed_and_deeply_nested_json(world: World, route: RouteSpec, case: str) -> None:
    raw, status, kind = JSON_GATE[case]
    with unchanged(world):
        response = world.send(route.method, _route_path(world, route), headers=_bearer_for(world, route), raw=raw)
    assert_problem(response, status, kind)


# --- limits on what one caller can hold or send ------------------------------------------------


# --- encodings, signed envelopes and HTTP framing: every route ------------------------------------

ENCODINGS = {
    "latin-1 bytes": '{"name": "Zo\xeb"}'.encode("latin-1"),
    "an invalid UTF-8 sequence": b'{"name": "\xc3\x28"}',
    "UTF-16 with a BOM": '{"name": "Rex"}'.encode("utf-16"),
    "UTF-32": '{"name": "Rex"}'.encode("utf-32"),
}


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_a_body_that_is_not_utf8_is_refused_on_every_route(world: World, route: RouteSpec, encoding: str) -> None:
    headers = {**_bearer_for(world, route), "Stripe-Signature": f"t={NOW},v1={'0' * 64}"}
    path, raw = _route_path(world, route), ENCODINGS[encoding]
    with unchanged(world):
        response = world.send(route.method, path, headers=headers, raw=raw)
    assert_problem(response, 400, "malformed-json")


def _stripe_signed(w: World, payload: bytes, timestamp: int) -> dict[str, str]:
    secret = json.loads((w.server.home / "stripe.json").read_text())["webhook_secret"]
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={timestamp},v1={mac}"}


def _event(w: World) -> bytes:
    event = {
        "id": f"evt_{uuid.uuid4().hex}",
        "type": "payment_intent.succeeded",
        "created": NOW,
        "data": {"object": {"id": "pi_forged", "object": "payment_intent", "amount": 4500, "currency": "usd",
                            "metadata": {"booking_id": w.bookings[ALICE][1]}}},
    }  # fmt: skip
    return json.dumps(event).encode()


@pytest.mark.parametrize("ahead", [301, 86400, 3 * 86400], ids=lambda s: f"{s} s ahead")
def test_a_correctly_signed_webhook_from_the_future_is_refused(world: World, ahead: int) -> None:
    payload = _event(world)
    with unchanged(world):
        headers = _stripe_signed(world, payload, int(time.time()) + ahead)
        response = world.send("POST", "/payments/webhook", headers=headers, raw=payload)
    assert_problem(response, 400, "invalid-webhook")


@pytest.mark.parametrize("depth", [25, 2000, 30_000])  # 30,000 pairs: 60 KB, under the 64 KiB limit
def test_a_correctly_signed_deeply_nested_webhook_is_refused(world: World, depth: int) -> None:
    payload = ('{"id": "evt_deep", "type": "x", "data": ' + "[" * depth + "]" * depth + "}").encode()
    with unchanged(world):
        headers = _stripe_signed(world, payload, int(time.time()))
        response = world.send("POST", "/payments/webhook", headers=headers, raw=payload)
    assert_problem(response, 400, "too-deep")


FRAMING = {
    "Content-Length: abc": ["Content-Length: abc"],
    "Content-Length: -1": ["Content-Length: -1"],
    "two Content-Lengths": ["Content-Length: 2", "Content-Length: 3"],
    "chunked": ["Transfer-Encoding: chunked"],
    "two Authorization headers": ["Authorization: Bearer {token}", "Authorization: Bearer {other}"],
}


@pytest.mark.parametrize("framing", FRAMING)
@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_malformed_http_framing_is_400_on_every_route(world: World, route: RouteSpec, framing: str) -> None:
    """Over a raw socket, as no HTTP client library would send it: a problem document, at once
    (no thread left waiting for a body), and nothing written."""
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(world.server.url)
    token, other = world.token(ALICE), world.token(BOB)
    lines = [
        f"{route.method} {_route_path(world, route)} HTTP/1.1",
        f"Host: {url.netloc}",
        "Content-Type: application/json",
    ]
    lines += [line.format(token=token, other=other) for line in FRAMING[framing]]
    if "Content-Length" not in framing:
        lines.append("Content-Length: 2")
    request = ("\r\n".join(lines) + "\r\n\r\n{}").encode()
    with unchanged(world), socket.create_connection((url.hostname, url.port), timeout=5) as conn:
        conn.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            assert chunk, "the connection was dropped without an answer"
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"Content-Length: (\d+)", head, re.IGNORECASE).group(1))  # type: ignore[union-attr]
        while len(body) < length:
            body += conn.recv(65536)
    status = int(head.split()[1])
    assert status == 400, (head, body)
    assert b"application/problem+json" in head
    document = json.loads(body)
    assert document["status"] == 400 and document["type"].startswith("/problems/") and document["detail"]


def test_an_owner_cannot_hoard_capacity_with_unpaid_bookings(world: World) -> None:
    hoarder, cap = "sec-hoarder", Settings().max_pending_bookings
    world.known = None  # the set-up below writes outside a checked block
    id_token = {"X-Id-Token": world.issuer.mint_id_token(hoarder, "hoarder@example.com")}
    assert world.as_(hoarder, "POST", "/owners/register", body={"name": "Hoarder"}, headers=id_token).status_code == 201
    dog = _created(
        world.as_(hoarder, "POST", "/dogs", body={"name": "Max", "size": "small", "vaccinations": VACCINATIONS})
    )
    first = world.day + timedelta(days=30)
    for n in range(cap):
        _created(world.as_(hoarder, "POST", "/bookings", body=world.booking_body(dog, first + timedelta(days=n))))
    with unchanged(world):
        response = world.as_(hoarder, "POST", "/bookings", body=world.booking_body(dog, first + timedelta(days=cap)))
    assert_problem(response, 409, "limit-reached")


RATE_LIMIT = 5


def test_the_rate_limit_answers_429_with_retry_after(tmp_path_factory: pytest.TempPathFactory) -> None:
    srv = serve(tmp_path_factory, "rate-limited", DOGCARE_RATE_LIMIT_PER_MINUTE=str(RATE_LIMIT))
    try:
        hasty = srv.headers("sec-hasty")
        assert (
            requests.post(
                f"{srv.url}/owners/register",
                headers={**hasty, "X-Id-Token": srv.id_token("sec-hasty")},
                timeout=30,
                json={"name": "Hasty"},
            ).status_code
            == 201
        )
        limited = None
        # A sliding window over two one-minute counters: limit + 1 requests in a row exceed it
        # (2 * limit leaves room for a minute boundary passing meanwhile).
        for n in range(2 * RATE_LIMIT):
            before = srv.snapshot()
            response = requests.post(
                f"{srv.url}/dogs", headers=hasty, json={"name": f"Dog {n}", "size": "small"}, timeout=30
            )
            if response.status_code == 429:
                limited = response
                assert srv.snapshot() == before, "a rate-limited request wrote"
                break
            assert response.status_code == 201, response.text
        assert limited is not None, f"no 429 after {2 * RATE_LIMIT + 1} requests with a limit of {RATE_LIMIT}"
        problem = limited.json()
        assert limited.headers["Content-Type"] == PROBLEM_JSON
        assert problem["type"] == "/problems/rate-limited"
        assert problem["status"] == 429
        assert problem["title"]
        assert problem["detail"]
        # The minute just counted still weighs on the next one: at most two minutes.
        assert 1 <= int(limited.headers["Retry-After"]) <= 120
        # The limit is per caller: somebody else is served meanwhile.
        other = requests.get(f"{srv.url}/dogs", headers=srv.headers("sec-patient"), timeout=30)
        assert other.status_code == 200, other.text
    finally:
        srv.stop()
