"""Adversarial bearer tokens: every one is a real signed (or deliberately unsigned) JWT,
checked by the real verifier against a real key set. None of them may get through."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from dogcare.auth import (
    DEV_CLIENT_ID,
    DEV_ISSUER,
    MAX_TOKEN_LENGTH,
    DevIssuer,
    FileJwksSource,
    Identity,
    JwksCache,
    TokenVerifier,
    Unauthenticated,
    bearer_token,
)
from dogcare.auth.dev_issuer import public_jwk
from dogcare.auth.identity import groups_to_context, identity_from_authorizer_context

COGNITO_ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Sec4Test"
CLIENT_ID = "3n4b5urk1ft4fl3mg5e62d9ado"
ALLOWED_DETAILS = {
    "missing bearer token",
    "invalid authorization header",
    "token too large",
    "malformed token",
    "token expired",
    "token not yet valid",
    "invalid token",
    "token could not be verified",
}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value: Any) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


@dataclass
class Keys:
    """The issuer's real key (trusted via its JWKS) and an attacker's key (not trusted)."""

    issuer: DevIssuer
    attacker: rsa.RSAPrivateKey

    @property
    def kid(self) -> str:
        return self.issuer.kid

    @property
    def private(self) -> rsa.RSAPrivateKey:
        return self.issuer.private_key

    @property
    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def claims(self, **changes: Any) -> dict[str, Any]:
        """Valid Cognito-shaped access-token claims for the dev issuer."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": "owner-1",
            "cognito:groups": [],
            "iss": DEV_ISSUER,
            "client_id": DEV_CLIENT_ID,
            "token_use": "access",
            "scope": "aws.cognito.signin.user.admin",
            "auth_time": now,
            "iat": now,
            "exp": now + 600,
            "jti": str(uuid.uuid4()),
        }
        claims.update(changes)
        return {name: value for name, value in claims.items() if value is not _DROP}

    def header(self, **changes: Any) -> dict[str, Any]:
        header = {"alg": "RS256", "kid": self.kid, "typ": "JWT", **changes}
        return {name: value for name, value in header.items() if value is not _DROP}

    def rs(
        self,
        header: dict[str, Any] | None = None,
        claims: dict[str, Any] | None = None,
        key: rsa.RSAPrivateKey | None = None,
        hash_alg: hashes.HashAlgorithm | None = None,
        pad: padding.AsymmetricPadding | None = None,
    ) -> str:
        """Sign arbitrary header/claims with RSA (by default: the trusted key, RS256)."""
        signing_input = f"{segment(header or self.header())}.{segment(claims or self.claims())}"
        signature = (key or self.private).sign(
            signing_input.encode(), pad or padding.PKCS1v15(), hash_alg or hashes.SHA256()
        )
        return f"{signing_input}.{b64(signature)}"

    def hs(self, secret: bytes, header: dict[str, Any] | None = None, claims: dict[str, Any] | None = None) -> str:
        """Sign with HMAC-SHA256 (built by hand: PyJWT rightly refuses PEM keys as secrets)."""
        signing_input = f"{segment(header or self.header(alg='HS256'))}.{segment(claims or self.claims())}"
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{b64(mac)}"


_DROP = object()


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    issuer = DevIssuer(tmp_path_factory.mktemp("attack-home"))
    issuer.ensure_keys()
    return Keys(issuer, rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture
def verifier(keys: Keys) -> TokenVerifier:
    return TokenVerifier(JwksCache(FileJwksSource(keys.issuer.jwks_path)), DEV_ISSUER, DEV_CLIENT_ID)


def _tampered(keys: Keys, **changes: Any) -> str:
    header, _, signature = keys.rs().split(".")
    return f"{header}.{segment(keys.claims(**changes))}.{signature}"


def _signature_from_another_token(keys: Keys) -> str:
    victim = keys.rs(claims=keys.claims(sub="victim"))
    mine = keys.rs(claims=keys.claims(sub="attacker", **{"cognito:groups": ["admin"]}))
    return ".".join([*mine.split(".")[:2], victim.split(".")[2]])


def _unsigned(keys: Keys, alg: str, signature: str = "") -> str:
    return f"{segment(keys.header(alg=alg))}.{segment(keys.claims(**{'cognito:groups': ['admin']}))}.{signature}"


def _es256(keys: Keys) -> str:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    return jwt.encode(keys.claims(), ec_key, algorithm="ES256", headers={"kid": keys.kid})


def _embedded_jwk(keys: Keys) -> str:
    jwk = {**public_jwk(keys.attacker.public_key()), "kid": "attacker"}
    return keys.rs(header=keys.header(jwk=jwk, kid=keys.kid), key=keys.attacker)


def _oversized(keys: Keys) -> str:
    return keys.rs(claims=keys.claims(padding="x" * MAX_TOKEN_LENGTH))


def _now(offset: int) -> int:
    return int(time.time()) + offset


ATTACKS: dict[str, Callable[[Keys], str]] = {
    # --- lifetime
    "expired": lambda k: k.rs(claims=k.claims(exp=_now(-120), iat=_now(-720))),
    "expired-just-beyond-leeway": lambda k: k.rs(claims=k.claims(exp=_now(-31))),
    "nbf-in-the-future": lambda k: k.rs(claims=k.claims(nbf=_now(600))),
    "iat-in-the-future": lambda k: k.rs(claims=k.claims(iat=_now(600), exp=_now(1200))),
    "missing-exp": lambda k: k.rs(claims=k.claims(exp=_DROP)),
    "missing-iat": lambda k: k.rs(claims=k.claims(iat=_DROP)),
    "exp-not-a-number": lambda k: k.rs(claims=k.claims(exp="tomorrow")),
    # RFC 7519 NumericDate is a JSON number: PyJWT alone would accept these strings
    "exp-numeric-string": lambda k: k.rs(claims=k.claims(exp="9999999999")),
    "iat-numeric-string": lambda k: k.rs(claims=k.claims(iat=str(_now(0)))),
    "nbf-numeric-string": lambda k: k.rs(claims=k.claims(nbf=str(_now(-10)))),
    "exp-boolean": lambda k: k.rs(claims=k.claims(exp=True)),
    "exp-huge-number": lambda k: k.rs(claims=k.claims(exp=10**400)),
    # --- who issued it, for whom, for what
    "wrong-issuer": lambda k: k.rs(claims=k.claims(iss="https://evil.example/dev-issuer")),
    "issuer-with-trailing-slash": lambda k: k.rs(claims=k.claims(iss=DEV_ISSUER + "/")),
    "issuer-case-changed": lambda k: k.rs(claims=k.claims(iss=DEV_ISSUER.upper())),
    "missing-issuer": lambda k: k.rs(claims=k.claims(iss=_DROP)),
    "issuer-as-list": lambda k: k.rs(claims=k.claims(iss=[DEV_ISSUER])),
    "wrong-client-id": lambda k: k.rs(claims=k.claims(client_id="some-other-app")),
    "missing-client-id-and-aud": lambda k: k.rs(claims=k.claims(client_id=_DROP)),
    "wrong-aud-with-right-client-id": lambda k: k.rs(claims=k.claims(aud="some-other-app")),
    "aud-list-with-extra-audiences": lambda k: k.rs(claims=k.claims(aud=[DEV_CLIENT_ID, "other"])),
    "id-token-to-access-verifier": lambda k: k.rs(claims=k.claims(token_use="id", client_id=_DROP, aud=DEV_CLIENT_ID)),
    "missing-token-use": lambda k: k.rs(claims=k.claims(token_use=_DROP)),
    "refresh-token-use": lambda k: k.rs(claims=k.claims(token_use="refresh")),
    # --- subject
    "missing-sub": lambda k: k.rs(claims=k.claims(sub=_DROP)),
    "empty-sub": lambda k: k.rs(claims=k.claims(sub="")),
    "null-sub": lambda k: k.rs(claims=k.claims(sub=None)),
    "numeric-sub": lambda k: k.rs(claims=k.claims(sub=12345)),
    "sub-as-object": lambda k: k.rs(claims=k.claims(sub={"id": "owner-1"})),
    # --- algorithm
    "alg-none-empty-signature": lambda k: _unsigned(k, "none"),
    "alg-None-empty-signature": lambda k: _unsigned(k, "None"),
    "alg-NONE-with-signature": lambda k: _unsigned(k, "NONE", b64(b"x" * 32)),
    "alg-none-with-real-signature": lambda k: _unsigned(k, "none", k.rs().split(".")[2]),
    "alg-missing": lambda k: k.rs(header=k.header(alg=_DROP)),
    "alg-rs256-lowercase": lambda k: k.rs(header=k.header(alg="rs256")),
    "hs256-public-key-pem-as-secret": lambda k: k.hs(k.public_pem),
    "hs256-public-key-pem-stripped-as-secret": lambda k: k.hs(k.public_pem.strip()),
    "hs256-public-key-der-as-secret": lambda k: k.hs(
        k.private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    ),
    "hs256-jwks-json-as-secret": lambda k: k.hs(json.dumps(k.issuer.jwks()).encode()),
    "hs256-random-secret": lambda k: jwt.encode(
        k.claims(), "an-attacker-chosen-secret-of-32-bytes!", algorithm="HS256", headers={"kid": k.kid}
    ),
    "hs256-empty-secret": lambda k: k.hs(b""),
    "rs512-signed-by-the-trusted-key": lambda k: k.rs(header=k.header(alg="RS512"), hash_alg=hashes.SHA512()),
    "ps256-signed-by-the-trusted-key": lambda k: jwt.encode(
        k.claims(), k.private, algorithm="PS256", headers={"kid": k.kid}
    ),
    "es256-with-trusted-kid": _es256,
    "rs256-header-with-rs512-signature": lambda k: k.rs(hash_alg=hashes.SHA512()),
    # --- signature
    "tampered-payload-escalates-to-admin": lambda k: _tampered(k, **{"cognito:groups": ["admin"]}),
    "tampered-payload-other-subject": lambda k: _tampered(k, sub="owner-2"),
    "tampered-payload-extends-expiry": lambda k: _tampered(k, exp=_now(10**7)),
    "signature-from-another-token": _signature_from_another_token,
    "signature-stripped": lambda k: k.rs().rsplit(".", 1)[0] + ".",
    "signature-truncated": lambda k: k.rs()[:-10],
    "signature-bit-flipped": lambda k: (lambda t: t[:-2] + ("A" if t[-2] != "A" else "B") + t[-1])(k.rs()),
    "signed-by-attacker-with-trusted-kid": lambda k: k.rs(key=k.attacker),
    # --- key selection
    "unknown-kid-signed-by-attacker": lambda k: k.rs(header=k.header(kid="attacker-key"), key=k.attacker),
    "unknown-kid-signed-by-trusted-key": lambda k: k.rs(header=k.header(kid="not-in-the-jwks")),
    "missing-kid": lambda k: k.rs(header=k.header(kid=_DROP)),
    "empty-kid": lambda k: k.rs(header=k.header(kid="")),
    "kid-not-a-string": lambda k: k.rs(header=k.header(kid=["x"])),
    "kid-path-traversal": lambda k: k.rs(header=k.header(kid="../../dev-issuer/private.pem")),
    "kid-oversized": lambda k: k.rs(header=k.header(kid="k" * 2000)),
    "jku-header-to-attacker-jwks": lambda k: k.rs(
        header=k.header(jku="https://evil.example/jwks.json", kid="attacker"), key=k.attacker
    ),
    "jku-header-even-with-trusted-key": lambda k: k.rs(header=k.header(jku="https://evil.example/jwks.json")),
    "x5u-header": lambda k: k.rs(header=k.header(x5u="https://evil.example/cert.pem")),
    "jwk-header-embedding-attacker-key": _embedded_jwk,
    "x5c-header": lambda k: k.rs(header=k.header(x5c=[b64(b"not really a certificate")])),
    "crit-header": lambda k: k.rs(header=k.header(crit=["exp"], exp=0)),
    "b64-false-header": lambda k: k.rs(header=k.header(b64=False, crit=["b64"])),
    # --- shape
    "oversized-token": _oversized,
    "garbage-base64": lambda k: "!!!!.@@@@.####",
    "garbage-three-segments": lambda k: "aGVsbG8.d29ybGQ.c2ln",
    "header-not-json": lambda k: f"{b64(b'not json')}.{segment(k.claims())}.{b64(b'sig')}",
    "header-json-array": lambda k: f"{segment(['alg', 'RS256'])}.{segment(k.claims())}.{b64(b'sig')}",
    "payload-json-array-signed": lambda k: (
        lambda si: f"{si}.{b64(k.private.sign(si.encode(), padding.PKCS1v15(), hashes.SHA256()))}"
    )(f"{segment(k.header())}.{segment(['sub', 'owner-1'])}"),
    "padded-base64": lambda k: ".".join(part + "==" for part in k.rs().split(".")),
    "standard-base64-alphabet": lambda k: k.rs().replace("-", "+").replace("_", "/") + "+/",
    "two-segments": lambda k: ".".join(k.rs().split(".")[:2]),
    "four-segments": lambda k: k.rs() + ".AAAA",
    "jwe-five-segments": lambda k: "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d",
    "whitespace-inside": lambda k: k.rs().replace(".", ". ", 1),
    "non-ascii": lambda k: k.rs() + "\u00e9",
    "empty": lambda k: "",
    "just-dots": lambda k: "..",
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_is_refused(attack: str, keys: Keys, verifier: TokenVerifier) -> None:
    token = ATTACKS[attack](keys)
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    detail = caught.value.detail
    assert detail in ALLOWED_DETAILS
    for secret in (DEV_ISSUER, DEV_CLIENT_ID, keys.kid):
        assert secret not in detail


def test_the_baseline_is_accepted(keys: Keys, verifier: TokenVerifier) -> None:
    """Guards the table above: the untouched token the attacks start from is valid."""
    assert verifier.verify(keys.rs()) == Identity("owner-1", frozenset(), DEV_CLIENT_ID)
    assert verifier.verify(keys.issuer.mint("owner-1")).subject == "owner-1"


@pytest.mark.parametrize(
    ("attack", "detail"),
    [
        ("expired", "token expired"),
        ("nbf-in-the-future", "token not yet valid"),
        ("iat-in-the-future", "token not yet valid"),
        ("oversized-token", "token too large"),
        ("garbage-base64", "malformed token"),
        ("alg-none-empty-signature", "malformed token"),
        ("alg-none-with-real-signature", "invalid token"),
        ("hs256-public-key-pem-as-secret", "invalid token"),
        ("unknown-kid-signed-by-attacker", "invalid token"),
    ],
)
def test_details_stay_coarse(attack: str, detail: str, keys: Keys, verifier: TokenVerifier) -> None:
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(ATTACKS[attack](keys))
    assert caught.value.detail == detail


def test_oversized_tokens_are_refused_before_any_key_lookup(keys: Keys) -> None:
    cache = JwksCache(FileJwksSource(keys.issuer.jwks_path))
    verifier = TokenVerifier(cache, DEV_ISSUER, DEV_CLIENT_ID)
    with pytest.raises(Unauthenticated, match=r"^token too large$"):
        verifier.verify(_oversized(keys))
    with pytest.raises(Unauthenticated, match=r"^token too large$"):
        verifier.verify("A" * (MAX_TOKEN_LENGTH + 1))
    assert cache.fetch_count == 0


def test_refused_header_parameters_are_refused_before_any_key_lookup(keys: Keys) -> None:
    cache = JwksCache(FileJwksSource(keys.issuer.jwks_path))
    verifier = TokenVerifier(cache, DEV_ISSUER, DEV_CLIENT_ID)
    for attack in [
        "jku-header-to-attacker-jwks",
        "x5u-header",
        "jwk-header-embedding-attacker-key",
        "x5c-header",
        "hs256-public-key-pem-as-secret",
        "alg-none-with-real-signature",
    ]:
        with pytest.raises(Unauthenticated):
            verifier.verify(ATTACKS[attack](keys))
    assert cache.fetch_count == 0


def test_comma_in_a_group_name_cannot_smuggle_admin_through_the_authorizer(keys: Keys, verifier: TokenVerifier) -> None:
    token = keys.rs(claims=keys.claims(**{"cognito:groups": ["staff,admin", "admin ", "staff"]}))
    identity = verifier.verify(token)
    assert not identity.actor.is_staff
    forwarded = identity_from_authorizer_context(
        {"sub": identity.subject, "groups": groups_to_context(identity.groups)}
    )
    assert forwarded == Identity("owner-1", frozenset({"staff"}), None)
    assert not forwarded.actor.is_staff


# --- the Authorization header -----------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        None,
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer a b"},
        {"Authorization": "Basic b3duZXI6cGFzc3dvcmQ="},
        {"Authorization": "Digest username=owner"},
        {"Authorization": "JWT x.y.z"},
        {"Authorization": "x.y.z"},
        {"Authorization": "Bearer x.y.z", "AUTHORIZATION": "Bearer x.y.z"},
        {"X-Authorization": "Bearer x.y.z"},
        {"Cookie": "token=x.y.z"},
    ],
)
def test_no_token_or_a_malformed_header_is_refused(headers: Any) -> None:
    with pytest.raises(Unauthenticated) as caught:
        bearer_token(headers)
    assert caught.value.detail in {"missing bearer token", "invalid authorization header"}


def test_a_valid_token_behind_a_non_bearer_scheme_is_refused(keys: Keys) -> None:
    for scheme in ["Basic", "Token", "MAC", "Bearer:"]:
        with pytest.raises(Unauthenticated):
            bearer_token({"Authorization": f"{scheme} {keys.rs()}"})


# --- Cognito-shaped tokens behind a Cognito-style configuration ----------------------------


@pytest.fixture(scope="module")
def cognito_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def cognito_jwks(cognito_key: rsa.RSAPrivateKey, tmp_path: Path) -> JwksCache:
    path = tmp_path / "jwks.json"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_text(
        json.dumps(
            {
                "keys": [
                    {**public_jwk(other.public_key()), "kid": "cognito-kid-0", "alg": "RS256", "use": "sig"},
                    {
                        **public_jwk(cognito_key.public_key()),
                        "kid": "cognito-kid-1",
                        "alg": "RS256",
                        "use": "sig",
                    },
                ]
            }
        )
    )
    return JwksCache(FileJwksSource(path))


def _cognito_id_token(key: rsa.RSAPrivateKey, **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "cognito:groups": ["admin"],
        "email_verified": True,
        "iss": COGNITO_ISSUER,
        "cognito:username": "jane",
        "origin_jti": str(uuid.uuid4()),
        "aud": CLIENT_ID,
        "event_id": str(uuid.uuid4()),
        "token_use": "id",
        "auth_time": now,
        "exp": now + 3600,
        "iat": now,
        "jti": str(uuid.uuid4()),
        "email": "jane@example.com",
        **changes,
    }
    claims = {name: value for name, value in claims.items() if value is not _DROP}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "cognito-kid-1", "typ": None})


def _cognito_access_token(key: rsa.RSAPrivateKey, **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "cognito:groups": ["staff"],
        "iss": COGNITO_ISSUER,
        "version": 2,
        "client_id": CLIENT_ID,
        "origin_jti": str(uuid.uuid4()),
        "event_id": str(uuid.uuid4()),
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "auth_time": now,
        "exp": now + 3600,
        "iat": now,
        "jti": str(uuid.uuid4()),
        "username": "jane",
        **changes,
    }
    claims = {name: value for name, value in claims.items() if value is not _DROP}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "cognito-kid-1", "typ": None})


def test_cognito_id_token_is_accepted_by_an_id_token_verifier(
    cognito_jwks: JwksCache, cognito_key: rsa.RSAPrivateKey
) -> None:
    verifier = TokenVerifier(cognito_jwks, COGNITO_ISSUER, CLIENT_ID, token_use="id")
    identity = verifier.verify(_cognito_id_token(cognito_key))
    assert identity == Identity("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", frozenset({"admin"}), CLIENT_ID)
    assert identity.actor.is_staff


def test_cognito_access_token_is_accepted_by_an_access_token_verifier(
    cognito_jwks: JwksCache, cognito_key: rsa.RSAPrivateKey
) -> None:
    verifier = TokenVerifier(cognito_jwks, COGNITO_ISSUER, CLIENT_ID)
    identity = verifier.verify(_cognito_access_token(cognito_key))
    assert identity == Identity("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", frozenset({"staff"}), CLIENT_ID)


@pytest.mark.parametrize(
    ("token_use", "build"),
    [
        ("id", lambda key: _cognito_access_token(key)),  # an access token where an ID token is required
        ("access", lambda key: _cognito_id_token(key)),  # an ID token where an access token is required
        ("id", lambda key: _cognito_id_token(key, aud="another-app-client")),
        ("id", lambda key: _cognito_id_token(key, aud=_DROP)),
        (
            "id",
            lambda key: _cognito_id_token(key, iss="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other"),
        ),
        ("access", lambda key: _cognito_access_token(key, client_id="another-app-client")),
        ("access", lambda key: _cognito_access_token(key, exp=int(time.time()) - 3600)),
    ],
)
def test_cognito_tokens_for_something_else_are_refused(
    cognito_jwks: JwksCache,
    cognito_key: rsa.RSAPrivateKey,
    token_use: str,
    build: Callable[[rsa.RSAPrivateKey], str],
) -> None:
    verifier = TokenVerifier(cognito_jwks, COGNITO_ISSUER, CLIENT_ID, token_use=token_use)
    with pytest.raises(Unauthenticated):
        verifier.verify(build(cognito_key))


def test_the_dev_issuer_is_not_trusted_by_a_cognito_verifier(keys: Keys, cognito_jwks: JwksCache) -> None:
    verifier = TokenVerifier(cognito_jwks, COGNITO_ISSUER, CLIENT_ID)
    with pytest.raises(Unauthenticated):
        verifier.verify(
            keys.issuer.mint("owner-1", admin=True, extra_claims={"iss": COGNITO_ISSUER, "client_id": CLIENT_ID})
        )
