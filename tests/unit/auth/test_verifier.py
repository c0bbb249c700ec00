"""TokenVerifier, bearer_token, Identity and build_verifier: the accepting paths and the edges."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dogcare.auth import (
    DEV_CLIENT_ID,
    DEV_ISSUER,
    DevIssuer,
    FileJwksSource,
    Identity,
    JwksCache,
    TokenVerifier,
    Unauthenticated,
    UrlJwksSource,
    bearer_token,
    build_verifier,
    identity_from_authorizer_context,
    reset_verifier_cache,
)
from dogcare.auth.identity import groups_to_context
from dogcare.settings import Settings


@pytest.fixture(autouse=True)
def _fresh_verifier_cache() -> Any:
    reset_verifier_cache()
    yield
    reset_verifier_cache()


# --- accepting ----------------------------------------------------------------------


def test_a_valid_access_token_gives_its_identity(dev_issuer: DevIssuer, verifier: TokenVerifier) -> None:
    identity = verifier.verify(dev_issuer.mint("owner-1", groups=["staff"]))
    assert identity == Identity("owner-1", frozenset({"staff"}), DEV_CLIENT_ID)
    assert not identity.actor.is_staff


def test_admin_is_membership_of_the_admin_group(dev_issuer: DevIssuer, verifier: TokenVerifier) -> None:
    assert verifier.verify(dev_issuer.mint("a", admin=True)).actor.is_staff
    assert not verifier.verify(dev_issuer.mint("a", groups=["Admin", "admins", "administrator"])).actor.is_staff


def test_a_token_without_groups_has_none(dev_issuer: DevIssuer, verifier: TokenVerifier) -> None:
    token = jwt.encode(
        {
            "iss": DEV_ISSUER,
            "sub": "u",
            "client_id": DEV_CLIENT_ID,
            "token_use": "access",
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
        },
        dev_issuer.private_key,
        algorithm="RS256",
        headers={"kid": dev_issuer.kid},
    )
    assert verifier.verify(token).groups == frozenset()


def test_group_names_that_would_not_survive_the_context_are_dropped(
    dev_issuer: DevIssuer, verifier: TokenVerifier
) -> None:
    token = dev_issuer.mint("u", groups=["staff", "x,admin", " admin", "", "ok"])
    identity = verifier.verify(token)
    assert identity.groups == frozenset({"staff", "ok"})
    assert not identity.actor.is_staff
    round_trip = identity_from_authorizer_context({"sub": "u", "groups": groups_to_context(identity.groups)})
    assert round_trip is not None
    assert round_trip.groups == identity.groups


def test_groups_claim_must_be_a_list(dev_issuer: DevIssuer, verifier: TokenVerifier) -> None:
    with pytest.raises(Unauthenticated):
        verifier.verify(dev_issuer.mint("u", extra_claims={"cognito:groups": "admin"}))


@pytest.mark.parametrize("offset", [-20, 20])
def test_clock_skew_within_leeway_is_tolerated(dev_issuer: DevIssuer, verifier: TokenVerifier, offset: int) -> None:
    now = int(time.time())
    # Negative: expired 20 s ago. Positive: issued 20 s in the future. Leeway is 30 s.
    claims = {"exp": now + offset} if offset < 0 else {"iat": now + offset, "nbf": now + offset}
    assert verifier.verify(dev_issuer.mint("u", extra_claims=claims)).subject == "u"


@pytest.mark.parametrize("claims", [{"exp": -45}, {"iat": 45}, {"nbf": 45}])
def test_clock_skew_beyond_leeway_is_refused(
    dev_issuer: DevIssuer, verifier: TokenVerifier, claims: dict[str, int]
) -> None:
    now = int(time.time())
    with pytest.raises(Unauthenticated, match=r"^token (expired|not yet valid)$"):
        verifier.verify(dev_issuer.mint("u", extra_claims={k: now + v for k, v in claims.items()}))


@pytest.mark.parametrize("sub", ["has space", "tab\there", "x" * 257, "\u00e9t\u00e9", "nul\x00"])
def test_odd_subjects_are_refused(dev_issuer: DevIssuer, verifier: TokenVerifier, sub: str) -> None:
    with pytest.raises(Unauthenticated):
        verifier.verify(dev_issuer.mint(sub))


def test_cognito_uuid_and_federated_subjects_are_accepted(dev_issuer: DevIssuer, verifier: TokenVerifier) -> None:
    for sub in ["8f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b", "Google_1234567890", "auth0|abc"]:
        assert verifier.verify(dev_issuer.mint(sub)).subject == sub


def test_an_access_token_with_a_matching_aud_is_accepted(dev_issuer: DevIssuer, verifier: TokenVerifier) -> None:
    token = dev_issuer.mint("u", extra_claims={"aud": DEV_CLIENT_ID})
    assert verifier.verify(token).client_id == DEV_CLIENT_ID


def test_an_aud_present_takes_precedence_over_client_id(dev_issuer: DevIssuer, verifier: TokenVerifier) -> None:
    token = dev_issuer.mint("u", extra_claims={"aud": "another-app"})  # client_id still matches
    with pytest.raises(Unauthenticated):
        verifier.verify(token)


def test_an_id_token_verifier_reports_the_audience_as_client(dev_issuer: DevIssuer) -> None:
    id_verifier = TokenVerifier(
        JwksCache(FileJwksSource(dev_issuer.jwks_path)), DEV_ISSUER, DEV_CLIENT_ID, token_use="id"
    )
    token = dev_issuer.mint("u", extra_claims={"token_use": "id", "aud": DEV_CLIENT_ID, "client_id": None})
    assert id_verifier.verify(token) == Identity("u", frozenset(), DEV_CLIENT_ID)


def test_failure_details_are_short_and_do_not_echo(dev_issuer: DevIssuer, verifier: TokenVerifier) -> None:
    token = dev_issuer.mint("u", extra_claims={"iss": "https://evil.example/secret-marker"})
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    detail = caught.value.detail
    assert detail == "invalid token"
    assert "evil" not in str(caught.value)
    assert DEV_ISSUER not in detail


# --- constructor ------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"algorithms": ("HS256",)},
        {"algorithms": ("RS256", "HS256")},
        {"algorithms": ("none",)},
        {"algorithms": ()},
        {"issuer": ""},
        {"audience": ""},
        {"token_use": "refresh"},
        {"leeway": -1},
        {"leeway": 3600},
    ],
)
def test_unsafe_configuration_is_refused(dev_issuer: DevIssuer, kwargs: dict[str, Any]) -> None:
    args: dict[str, Any] = {"issuer": DEV_ISSUER, "audience": DEV_CLIENT_ID, **kwargs}
    with pytest.raises(ValueError, match=r"algorithms|issuer|token_use|leeway"):
        TokenVerifier(JwksCache(FileJwksSource(dev_issuer.jwks_path)), **args)


# --- bearer_token -----------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer abc.def.ghi"},
        {"authorization": "Bearer abc.def.ghi"},
        {"AUTHORIZATION": "bearer abc.def.ghi"},
        {"Authorization": "  BEARER   abc.def.ghi  "},
        {"Authorization": "Bearer abc.def.ghi", "Accept": "application/json"},
    ],
)
def test_bearer_token_is_found_case_insensitively(headers: dict[str, str]) -> None:
    assert bearer_token(headers) == "abc.def.ghi"


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        (None, "missing bearer token"),
        ({}, "missing bearer token"),
        ({"Accept": "*/*"}, "missing bearer token"),
        ({"Authorization": ""}, "missing bearer token"),
        ({"Authorization": "   "}, "missing bearer token"),
        ({"Authorization": None}, "missing bearer token"),
        ({"Authorization": "Bearer"}, "invalid authorization header"),
        ({"Authorization": "Bearer a b"}, "invalid authorization header"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "invalid authorization header"),
        ({"Authorization": "Token abc"}, "invalid authorization header"),
        ({"Authorization": "abc.def.ghi"}, "invalid authorization header"),
        ({"Authorization": "Bearer a", "authorization": "Bearer b"}, "invalid authorization header"),
        ({"Authorization": 42}, "invalid authorization header"),
        ({"Authorization": "Bearer " + "a" * 9000}, "token too large"),
    ],
)
def test_bearer_token_refuses_bad_headers(headers: Any, detail: str) -> None:
    with pytest.raises(Unauthenticated) as caught:
        bearer_token(headers)
    assert caught.value.detail == detail


# --- identity from the authorizer context -----------------------------------------


def test_identity_from_authorizer_context() -> None:
    ctx = {
        "sub": "u-1",
        "groups": "admin,staff",
        "client_id": "app",
        "principalId": "u-1",
        "integrationLatency": 12,
    }
    assert identity_from_authorizer_context(ctx) == Identity("u-1", frozenset({"admin", "staff"}), "app")
    assert identity_from_authorizer_context({"sub": "u", "groups": ""}) == Identity("u", frozenset(), None)
    assert identity_from_authorizer_context({"sub": "u"}) == Identity("u", frozenset(), None)
    assert identity_from_authorizer_context({"sub": "u", "groups": ["a", "b,c"]}) == Identity(
        "u", frozenset({"a"}), None
    )
    # The same rule as for token claims: a name with surrounding spaces is dropped, never
    # repaired, so " admin" can not become admin on one path and not on another.
    assert identity_from_authorizer_context({"sub": "u", "groups": " a , ,b,c"}) == Identity(
        "u", frozenset({"b", "c"}), None
    )


@pytest.mark.parametrize("ctx", [None, {}, {"groups": "admin"}, {"sub": ""}, {"sub": "  "}, {"sub": 7}])
def test_no_identity_without_a_subject(ctx: Any) -> None:
    assert identity_from_authorizer_context(ctx) is None


def test_groups_context_encoding_is_sorted_and_clean() -> None:
    assert groups_to_context({"staff", "admin"}) == "admin,staff"
    assert groups_to_context(["x,admin", "b"]) == "b"
    assert groups_to_context([]) == ""


# --- build_verifier ---------------------------------------------------------------


def test_build_verifier_uses_the_dev_issuer_without_a_jwks_url(tmp_path: Path) -> None:
    verifier = build_verifier(Settings(home=tmp_path))
    assert (verifier.issuer, verifier.audience, verifier.token_use) == (DEV_ISSUER, DEV_CLIENT_ID, "access")
    assert (tmp_path / "dev-issuer" / "private.pem").exists()
    assert verifier.verify(DevIssuer(tmp_path).mint("owner-1")).subject == "owner-1"


def test_build_verifier_is_cached_per_process(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    first = build_verifier(settings)
    assert build_verifier(settings) is first
    assert build_verifier(settings.with_changes(currency="EUR")) is first
    assert build_verifier(Settings(home=tmp_path / "other")) is not first


def test_build_verifier_with_a_jwks_url_uses_the_configured_issuer_lazily() -> None:
    issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
    settings = Settings(
        auth_jwks_url=f"{issuer}/.well-known/jwks.json",
        auth_issuer=issuer,
        auth_audience="app-client",
        auth_token_use="id",
    )
    verifier = build_verifier(settings)
    assert (verifier.issuer, verifier.audience, verifier.token_use) == (issuer, "app-client", "id")
    assert isinstance(verifier.jwks.source, UrlJwksSource)
    assert verifier.jwks.source.url == f"{issuer}/.well-known/jwks.json"
    assert verifier.jwks.fetch_count == 0  # nothing fetched until a token needs a key


@pytest.mark.parametrize(
    "changes",
    [
        {"auth_jwks_url": "https://idp.example/jwks.json"},
        {"auth_jwks_url": "https://idp.example/jwks.json", "auth_issuer": "https://idp.example"},
        {"auth_jwks_url": "http://idp.example/jwks.json", "auth_issuer": "x", "auth_audience": "y"},
    ],
)
def test_build_verifier_refuses_incomplete_or_insecure_configuration(changes: dict[str, str]) -> None:
    with pytest.raises(ValueError, match=r"DOGCARE_AUTH_ISSUER|JWKS URL"):
        build_verifier(Settings().with_changes(**changes))


def test_build_verifier_refuses_the_dev_issuer_inside_lambda(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "dogcare-api")
    monkeypatch.delenv("AWS_SAM_LOCAL", raising=False)
    with pytest.raises(RuntimeError, match="JWKS_URL"):
        build_verifier(Settings(home=tmp_path))
    assert not (tmp_path / "dev-issuer").exists()


# --- robustness -------------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200) | st.from_regex(r"[A-Za-z0-9_-]{1,60}\.[A-Za-z0-9_-]{1,60}\.[A-Za-z0-9_-]{0,60}"))
def test_arbitrary_input_only_ever_raises_unauthenticated(verifier: TokenVerifier, token: str) -> None:
    with pytest.raises(Unauthenticated):
        verifier.verify(token)


def _sign_raw(header: dict[str, Any], claims: dict[str, Any], issuer: DevIssuer) -> str:
    """RS256-sign arbitrary JSON (PyJWT's encoder refuses some odd claims on purpose)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    def part(value: dict[str, Any]) -> str:
        return jwt.utils.base64url_encode(json.dumps(value).encode()).decode()

    signing_input = f"{part(header)}.{part(claims)}"
    signature = issuer.private_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{jwt.utils.base64url_encode(signature).decode()}"


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(
        st.sampled_from(["sub", "iss", "exp", "iat", "nbf", "client_id", "aud", "token_use", "cognito:groups", "jti"]),
        _json,
        max_size=10,
    )
)
def test_signed_but_odd_claims_never_crash(
    dev_issuer: DevIssuer, verifier: TokenVerifier, overrides: dict[str, Any]
) -> None:
    now = int(time.time())
    claims = {
        "iss": DEV_ISSUER,
        "sub": "u",
        "client_id": DEV_CLIENT_ID,
        "token_use": "access",
        "iat": now,
        "exp": now + 60,
        **overrides,
    }
    token = _sign_raw({"alg": "RS256", "kid": dev_issuer.kid}, claims, dev_issuer)
    try:
        identity = verifier.verify(token)
    except Unauthenticated:
        return
    assert isinstance(identity.subject, str)
    assert all(isinstance(group, str) and "," not in group for group in identity.groups)
