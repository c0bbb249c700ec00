"""The owner's email is the verified one of the ID token in ``X-Id-Token``, and its answers
reveal nothing about other customers' addresses."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from dogcare.auth.dev_issuer import DEV_CLIENT_ID, DevIssuer
from tests.integration.api.events import Result
from tests.integration.api.support import Api, assert_problem

REGISTER = "/owners/register"
PROFILE = "/owners/profile"


def register(api: Api, sub: str, token: str | None, name: str = "Ana") -> Result:
    headers = {"X-Id-Token": token} if token is not None else {}
    return api.call("POST", REGISTER, sub=sub, body={"name": name}, headers=headers)


@contextmanager
def dynamodb_requests() -> Iterator[list[str]]:
    """The DynamoDB operations the functions send inside the block (rate limiting included)."""
    from handlers.common import runtime

    seen: list[str] = []
    undo = runtime.dogcare().store.on_request(lambda model, **_: seen.append(model.name))
    try:
        yield seen
    finally:
        undo()


def test_register_takes_the_verified_email_of_the_id_token(api: Api) -> None:
    created = register(api, "ana", api.id_token("ana", "Ana.Silva@Example.com"))
    assert created.status == 201, created.body
    assert created.body["email"] == "Ana.Silva@Example.com"
    assert api.call("GET", PROFILE, sub="ana").body["email"] == "Ana.Silva@Example.com"


def test_register_without_an_id_token_is_a_422_naming_the_header(api: Api) -> None:
    with api.unchanged():
        for headers in ({}, {"X-Id-Token": ""}, {"X-Id-Token": "   "}):
            result = api.call("POST", REGISTER, sub="ana", body={"name": "Ana"}, headers=headers)
            problem = assert_problem(result, 422, "validation", field="header.X-Id-Token")
            assert "X-Id-Token" in problem["detail"]


def _other_key_token(sub: str, home: Path) -> str:
    """Signed by an attacker's key, with the development issuer's ``kid``."""
    real = DevIssuer(home)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {
        "iss": real.issuer,
        "sub": sub,
        "aud": DEV_CLIENT_ID,
        "token_use": "id",
        "email": "ana@example.com",
        "email_verified": True,
        "iat": now,
        "exp": now + 600,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": real.kid})


BAD_ID_TOKENS: dict[str, Callable[[Api, Path], str]] = {
    "garbage": lambda api, home: "not-a-jwt",
    "an access token": lambda api, home: DevIssuer(home).mint("ana"),
    "another user's ID token": lambda api, home: api.id_token("bob", "ana@example.com"),
    "expired": lambda api, home: api.id_token("ana", expires_in=-120),
    "unverified email": lambda api, home: api.id_token("ana", email_verified=False),
    "email_verified as a string": lambda api, home: api.id_token("ana", extra_claims={"email_verified": "true"}),
    "no email": lambda api, home: api.id_token("ana", extra_claims={"email": None}),
    "email not a string": lambda api, home: api.id_token("ana", extra_claims={"email": ["ana@example.com"]}),
    "another audience": lambda api, home: api.id_token("ana", extra_claims={"aud": "some-other-app"}),
    "no audience": lambda api, home: api.id_token("ana", extra_claims={"aud": None}),
    "token_use access": lambda api, home: api.id_token("ana", extra_claims={"token_use": "access"}),
    "no token_use": lambda api, home: api.id_token("ana", extra_claims={"token_use": None}),
    "another issuer": lambda api, home: api.id_token("ana", extra_claims={"iss": "https://evil.example/oidc"}),
    "exp as a string": lambda api, home: api.id_token("ana", extra_claims={"exp": str(int(time.time()) + 600)}),
    "iat as a string": lambda api, home: api.id_token("ana", extra_claims={"iat": str(int(time.time()))}),
    "signed by another key": lambda api, home: _other_key_token("ana", home),
    "tampered payload": lambda api, home: _tampered(api.id_token("ana"), api.id_token("ana", "evil@example.com")),
}


def _tampered(token: str, other: str) -> str:
    header, _, signature = token.split(".")
    return f"{header}.{other.split('.')[1]}.{signature}"


@pytest.mark.parametrize("kind", list(BAD_ID_TOKENS))
def test_register_with_an_invalid_id_token_is_a_401_and_writes_nothing(api: Api, handler_home: Path, kind: str) -> None:
    token = BAD_ID_TOKENS[kind](api, handler_home)
    with api.unchanged():
        result = register(api, "ana", token)
    problem = assert_problem(result, 401, "invalid-id-token")
    assert result.headers["www-authenticate"] == 'Bearer realm="dogcare"'
    assert "ana@example.com" not in problem["detail"] and "evil" not in problem["detail"]
    # ...and a profile update with it is refused the same way, leaving the email as it is.
    assert register(api, "ana", api.id_token("ana")).status == 201
    with api.unchanged():
        updated = api.call("PUT", PROFILE, sub="ana", body={"name": "X"}, headers={"X-Id-Token": token})
    assert_problem(updated, 401, "invalid-id-token")


def test_an_email_in_the_body_is_an_unknown_field(api: Api) -> None:
    with api.unchanged():
        for method, path in (("POST", REGISTER), ("PUT", PROFILE)):
            result = api.call(
                method,
                path,
                sub="ana",
                body={"name": "Ana", "email": "ana@example.com"},
                headers={"X-Id-Token": api.id_token("ana")},
            )
            problem = assert_problem(result, 422, "validation", field="body.email")
            assert [e["code"] for e in problem["errors"]] == ["extra_forbidden"]


def test_a_profile_update_without_an_id_token_keeps_the_email_and_a_new_one_changes_it(api: Api) -> None:
    api.register("ana", "ana@example.com")
    renamed = api.call("PUT", PROFILE, sub="ana", body={"name": "Ana B"})
    assert (renamed.status, renamed.body["email"], renamed.body["name"]) == (200, "ana@example.com", "Ana B")
    moved = api.call("PUT", PROFILE, sub="ana", body={}, headers={"X-Id-Token": api.id_token("ana", "ana@new.example")})
    assert (moved.status, moved.body["email"], moved.body["version"]) == (200, "ana@new.example", 3)
    # The old address is free for whoever verifies it next; the new one is taken.
    assert register(api, "bob", api.id_token("bob", "ana@example.com")).status == 201
    assert_problem(register(api, "eve", api.id_token("eve", "ANA@new.example")), 409, "registration-conflict")


def test_a_look_alike_of_a_registered_address_is_refused(api: Api) -> None:
    api.register("emma", "emma@example.com")
    with api.unchanged():
        cyrillic = register(api, "eve", api.id_token("eve", "\u0435mma@example.com"))
    assert_problem(cyrillic, 409, "registration-conflict")


def _answer(result: Result) -> tuple[int, Any, dict[str, str]]:
    return result.status, result.body, result.headers


def test_taken_by_another_and_already_registered_are_indistinguishable(api: Api) -> None:
    """Status, body, headers and the DynamoDB requests made (the timing class) are the same
    for "that address is another customer's" and "you are registered already"."""
    # The rate limiter reads a caller's previous minute once per container and minute: the
    # calls below must all fall in one minute, or the later one pays a read the earlier did not.
    seconds = time.time() % 60
    if seconds > 50:
        time.sleep(60.5 - seconds)
    api.register("victim", "victim@example.com")
    api.register("attacker", "attacker@example.com")
    # Give the newcomer a first request too, so both measured calls see the same limiter requests.
    api.call("GET", PROFILE, sub="newcomer")
    with api.unchanged(), dynamodb_requests() as taken_requests:
        taken = register(api, "newcomer", api.id_token("newcomer", "victim@example.com"))
    with api.unchanged(), dynamodb_requests() as again_requests:
        again = register(api, "attacker", api.id_token("attacker", "attacker2@example.com"))
    assert_problem(taken, 409, "registration-conflict")
    assert _answer(taken) == _answer(again)
    assert taken_requests == again_requests
    assert taken_requests.count("TransactWriteItems") == 1

    # A profile update to a taken address answers exactly like a registration conflict too.
    with api.unchanged(), dynamodb_requests():
        moved = api.call(
            "PUT",
            PROFILE,
            sub="attacker",
            body={},
            headers={"X-Id-Token": api.id_token("attacker", "Victim@example.com")},
        )
    assert _answer(moved) == _answer(taken)
