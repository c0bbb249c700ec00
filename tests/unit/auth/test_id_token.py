"""ID-token verification: every check of an access token, plus audience, token_use, NumericDates,
the same subject as the access token and a verified email."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from dogcare.auth import DEV_CLIENT_ID, DEV_ISSUER, DevIssuer, TokenVerifier, reset_verifier_cache
from dogcare.auth.dev_issuer import issuer_for, local_issuer
from dogcare.auth.id_token import (
    EXPIRED_ID_TOKEN,
    INVALID_ID_TOKEN,
    MISSING_ID_TOKEN,
    OTHER_SUBJECT,
    UNVERIFIED,
    IdTokenVerifier,
    build_id_token_verifier,
)
from dogcare.errors import InvalidIdToken, ValidationFailed
from dogcare.settings import Settings


@pytest.fixture
def id_verifier(verifier: TokenVerifier) -> IdTokenVerifier:
    return IdTokenVerifier(verifier, DEV_CLIENT_ID)


def test_a_valid_id_token_gives_its_verified_email(dev_issuer: DevIssuer, id_verifier: IdTokenVerifier) -> None:
    token = dev_issuer.mint_id_token("ana", "Ana@Example.com", nonce="n-1")
    assert id_verifier.verified_email(token, "ana") == "Ana@Example.com"
    assert id_verifier.verified_email(f"  {token} ", "ana") == "Ana@Example.com"


def test_it_shares_the_access_verifiers_key_set(verifier: TokenVerifier, id_verifier: IdTokenVerifier) -> None:
    assert id_verifier.jwks is verifier.jwks
    assert (id_verifier.issuer, id_verifier.audience, id_verifier.token_use) == (DEV_ISSUER, DEV_CLIENT_ID, "id")


@pytest.mark.parametrize("token", [None, "", "  "])
def test_a_missing_id_token_is_a_validation_error_naming_the_header(
    id_verifier: IdTokenVerifier, token: str | None
) -> None:
    with pytest.raises(ValidationFailed) as error:
        id_verifier.verified_email(token, "ana")
    assert error.value.errors[0].field == "header.X-Id-Token"
    assert error.value.detail == MISSING_ID_TOKEN


@pytest.mark.parametrize(
    ("claims", "detail"),
    [
        ({"email_verified": False}, UNVERIFIED),
        ({"email_verified": "true"}, UNVERIFIED),
        ({"email_verified": 1}, UNVERIFIED),
        ({"email_verified": None}, UNVERIFIED),
        ({"aud": "other-client"}, INVALID_ID_TOKEN),
        ({"aud": None}, INVALID_ID_TOKEN),
        ({"aud": [DEV_CLIENT_ID, "other"]}, INVALID_ID_TOKEN),
        ({"token_use": "access"}, INVALID_ID_TOKEN),
        ({"token_use": None}, INVALID_ID_TOKEN),
        ({"iss": DEV_ISSUER + "/"}, INVALID_ID_TOKEN),
        ({"exp": "9999999999"}, INVALID_ID_TOKEN),
        ({"iat": "1700000000"}, INVALID_ID_TOKEN),
        ({"iat": True}, INVALID_ID_TOKEN),
        ({"iat": None}, INVALID_ID_TOKEN),
        ({"sub": "bob"}, OTHER_SUBJECT),
    ],
)
def test_id_tokens_failing_a_check_are_refused(
    dev_issuer: DevIssuer, id_verifier: IdTokenVerifier, claims: dict[str, object], detail: str
) -> None:
    token = dev_issuer.mint_id_token("ana", "ana@example.com", extra_claims=claims)
    with pytest.raises(InvalidIdToken) as error:
        id_verifier.verified_email(token, "ana")
    assert error.value.detail == detail


def test_no_email_is_refused(dev_issuer: DevIssuer, id_verifier: IdTokenVerifier) -> None:
    for email in ({"email": None}, {"email": 42}, {"email": "  "}):
        with pytest.raises(InvalidIdToken):
            id_verifier.verified_email(dev_issuer.mint_id_token("ana", "x", extra_claims=email), "ana")


def test_expiry_has_its_own_detail(dev_issuer: DevIssuer, id_verifier: IdTokenVerifier) -> None:
    with pytest.raises(InvalidIdToken) as error:
        id_verifier.verified_email(dev_issuer.mint_id_token("ana", "a@example.com", expires_in=-120), "ana")
    assert error.value.detail == EXPIRED_ID_TOKEN


def test_an_access_token_is_no_id_token_and_the_other_way_round(
    dev_issuer: DevIssuer, verifier: TokenVerifier, id_verifier: IdTokenVerifier
) -> None:
    with pytest.raises(InvalidIdToken):
        id_verifier.verified_email(dev_issuer.mint("ana"), "ana")
    from dogcare.errors import Unauthenticated

    with pytest.raises(Unauthenticated):
        verifier.verify(dev_issuer.mint_id_token("ana", "ana@example.com"))


def test_details_echo_nothing_of_the_token(dev_issuer: DevIssuer, id_verifier: IdTokenVerifier) -> None:
    token = dev_issuer.mint_id_token("ana", "secret-address@example.com", extra_claims={"aud": "x"})
    with pytest.raises(InvalidIdToken) as error:
        id_verifier.verified_email(token, "ana")
    assert "secret-address" not in error.value.detail and token not in error.value.detail


def test_mint_id_token_has_the_cognito_shape(dev_issuer: DevIssuer) -> None:
    import jwt

    token = dev_issuer.mint_id_token("ana", "ana@example.com", nonce="abc", auth_time=1234, admin=True)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["aud"] == DEV_CLIENT_ID and claims["token_use"] == "id" and claims["email_verified"] is True
    assert (claims["nonce"], claims["auth_time"], claims["cognito:groups"]) == ("abc", 1234, ["admin"])
    assert isinstance(claims["exp"], int) and claims["exp"] > time.time()


def test_the_issuer_follows_the_running_server(tmp_path: Path) -> None:
    assert local_issuer(tmp_path) == DEV_ISSUER
    (tmp_path / "serve.json").write_text(json.dumps({"api_url": "http://127.0.0.1:4567"}))
    assert local_issuer(tmp_path) == "http://127.0.0.1:4567/oidc" == issuer_for("http://127.0.0.1:4567/")
    assert DevIssuer(tmp_path).issuer == "http://127.0.0.1:4567/oidc"
    assert DevIssuer(tmp_path, issuer="https://x.example/oidc").issuer == "https://x.example/oidc"
    (tmp_path / "serve.json").write_text("not json")
    assert local_issuer(tmp_path) == DEV_ISSUER


def test_build_id_token_verifier_uses_the_settings_client_id(tmp_path: Path) -> None:
    reset_verifier_cache()
    try:
        issuer = "http://127.0.0.1:4567/oidc"
        settings = Settings(home=tmp_path, auth_issuer=issuer, auth_client_id="dogcare-web")
        verifier = build_id_token_verifier(settings)
        assert build_id_token_verifier(settings) is verifier
        assert (verifier.issuer, verifier.audience) == (issuer, "dogcare-web")
        token = DevIssuer(tmp_path, issuer=issuer).mint_id_token("ana", "ana@example.com")
        assert verifier.verified_email(token, "ana") == "ana@example.com"
        other = build_id_token_verifier(Settings(home=tmp_path, auth_issuer=issuer, auth_client_id="another-app"))
        with pytest.raises(InvalidIdToken):
            other.verified_email(token, "ana")
    finally:
        reset_verifier_cache()
