"""The local development issuer: key files, stable kid, Cognito-shaped access tokens."""

from __future__ import annotations

import json
import stat
import threading
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers

from dogcare.auth import DEV_CLIENT_ID, DEV_ISSUER, DevIssuer, FileJwksSource, JwksCache, TokenVerifier
from dogcare.auth.dev_issuer import jwk_thumbprint, public_jwk
from dogcare.auth.jwks import parse_jwks


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_use_creates_a_private_key_0600_and_a_public_jwks(tmp_path: Path) -> None:
    issuer = DevIssuer(tmp_path)
    assert not (tmp_path / "dev-issuer").exists()

    issuer.ensure_keys()

    private = tmp_path / "dev-issuer" / "private.pem"
    jwks_file = tmp_path / "dev-issuer" / "jwks.json"
    assert private.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert _mode(private) == 0o600
    assert _mode(tmp_path / "dev-issuer") & 0o077 == 0
    assert json.loads(jwks_file.read_text()) == issuer.jwks()
    assert issuer.private_key.key_size == 2048
    assert [p.name for p in (tmp_path / "dev-issuer").iterdir() if p.name.startswith(".")] == []


def test_kid_is_the_rfc7638_thumbprint() -> None:
    # RFC 7638, section 3.1: the example key and its SHA-256 thumbprint.
    n = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
        "JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FD"
        "W2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4v"
        "MQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    )
    key = next(iter(parse_jwks({"keys": [{"kty": "RSA", "kid": "x", "n": n, "e": "AQAB"}]}).values()))
    assert public_jwk(key) == {"kty": "RSA", "n": n, "e": "AQAB"}
    assert jwk_thumbprint(key) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_kid_and_key_are_stable_across_instances(dev_issuer: DevIssuer, dev_home: Path) -> None:
    again = DevIssuer(dev_home)
    assert again.kid == dev_issuer.kid
    assert again.kid == jwk_thumbprint(dev_issuer.private_key.public_key())
    assert again.jwks() == dev_issuer.jwks()


def test_jwks_publishes_only_public_members(dev_issuer: DevIssuer) -> None:
    (jwk,) = dev_issuer.jwks()["keys"]
    assert set(jwk) == {"kty", "kid", "use", "alg", "n", "e"}
    assert (jwk["kty"], jwk["use"], jwk["alg"], jwk["kid"]) == ("RSA", "sig", "RS256", dev_issuer.kid)
    numbers = dev_issuer.private_key.public_key().public_numbers()
    assert numbers == RSAPublicNumbers(numbers.e, int.from_bytes(jwt.utils.base64url_decode(jwk["n"]), "big"))


def test_mint_produces_a_cognito_shaped_access_token(dev_issuer: DevIssuer) -> None:
    before = int(time.time())
    token = dev_issuer.mint("owner-1", groups=["staff"])

    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256"
    assert header["kid"] == dev_issuer.kid
    claims = jwt.decode(token, dev_issuer.private_key.public_key(), algorithms=["RS256"], issuer=DEV_ISSUER)
    assert claims["sub"] == "owner-1"
    assert claims["client_id"] == DEV_CLIENT_ID
    assert claims["token_use"] == "access"
    assert claims["cognito:groups"] == ["staff"]
    assert "aud" not in claims
    assert before <= claims["iat"] == claims["nbf"] <= int(time.time())
    assert claims["exp"] == claims["iat"] + 3600
    assert isinstance(claims["jti"], str)
    assert claims["jti"] != jwt.decode(dev_issuer.mint("owner-1"), options={"verify_signature": False})["jti"]


def test_mint_admin_groups_expiry_and_extra_claims(dev_issuer: DevIssuer) -> None:
    token = dev_issuer.mint("a-1", admin=True, groups=["staff", "admin"], expires_in=60, extra_claims={"custom": 1})
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["cognito:groups"] == ["admin", "staff"]
    assert claims["exp"] - claims["iat"] == 60
    assert claims["custom"] == 1
    override = jwt.decode(
        dev_issuer.mint("a-1", extra_claims={"iss": "https://elsewhere"}), options={"verify_signature": False}
    )
    assert override["iss"] == "https://elsewhere"


def test_minted_tokens_verify_against_the_published_jwks(dev_issuer: DevIssuer) -> None:
    verifier = TokenVerifier(JwksCache(FileJwksSource(dev_issuer.jwks_path)), DEV_ISSUER, DEV_CLIENT_ID)
    identity = verifier.verify(dev_issuer.mint("owner-7", admin=True))
    assert identity.subject == "owner-7"
    assert identity.actor.is_staff
    assert identity.client_id == DEV_CLIENT_ID


def test_mint_refuses_an_empty_subject(dev_issuer: DevIssuer) -> None:
    with pytest.raises(ValueError, match="sub"):
        dev_issuer.mint("")


def test_widened_private_key_permissions_are_tightened(tmp_path: Path) -> None:
    DevIssuer(tmp_path).ensure_keys()
    private = tmp_path / "dev-issuer" / "private.pem"
    private.chmod(0o644)
    DevIssuer(tmp_path).ensure_keys()
    assert _mode(private) == 0o600


def test_deleted_or_edited_jwks_file_is_rewritten_from_the_key(tmp_path: Path) -> None:
    first = DevIssuer(tmp_path)
    first.ensure_keys()
    expected = first.jwks_path.read_text()

    first.jwks_path.write_text('{"keys": []}')
    DevIssuer(tmp_path).ensure_keys()
    assert first.jwks_path.read_text() == expected

    first.jwks_path.unlink()
    DevIssuer(tmp_path).ensure_keys()
    assert first.jwks_path.read_text() == expected


def test_a_non_rsa_private_key_is_refused(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    (tmp_path / "dev-issuer").mkdir()
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "dev-issuer" / "private.pem").write_bytes(pem)
    with pytest.raises(ValueError, match="RSA"):
        DevIssuer(tmp_path).ensure_keys()


def test_concurrent_first_use_agrees_on_one_key(tmp_path: Path) -> None:
    issuers = [DevIssuer(tmp_path) for _ in range(4)]
    barrier = threading.Barrier(len(issuers))
    kids: list[str] = []

    def start(issuer: DevIssuer) -> None:
        barrier.wait()
        kids.append(issuer.kid)

    threads = [threading.Thread(target=start, args=(issuer,)) for issuer in issuers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(kids)) == 1
    assert DevIssuer(tmp_path).kid == kids[0]
    assert json.loads((tmp_path / "dev-issuer" / "jwks.json").read_text())["keys"][0]["kid"] == kids[0]
