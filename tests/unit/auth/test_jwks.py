"""JWKS sources and the key cache: a real HTTP endpoint on 127.0.0.1, fetch counting, rotation."""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from dogcare.auth import (
    DEV_CLIENT_ID,
    DEV_ISSUER,
    DevIssuer,
    FileJwksSource,
    JwksCache,
    JwksError,
    TokenVerifier,
    Unauthenticated,
    UnknownKeyId,
    UrlJwksSource,
)
from dogcare.auth.dev_issuer import public_jwk
from dogcare.auth.jwks import MAX_JWKS_BYTES, parse_jwks

from .conftest import FakeClock, JwksServer


def _jwk(key: rsa.RSAPrivateKey | rsa.RSAPublicKey, kid: str, **extra: Any) -> dict[str, Any]:
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    return {**public_jwk(public), "kid": kid, "use": "sig", "alg": "RS256", **extra}


def _token(key: rsa.RSAPrivateKey, kid: str, sub: str = "owner-1") -> str:
    now = int(time.time())
    claims = {
        "iss": DEV_ISSUER,
        "sub": sub,
        "client_id": DEV_CLIENT_ID,
        "token_use": "access",
        "iat": now,
        "exp": now + 300,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


# --- UrlJwksSource ----------------------------------------------------------------


def test_url_source_fetches_the_document(jwks_server: JwksServer, dev_issuer: DevIssuer) -> None:
    jwks_server.state.document = dev_issuer.jwks()
    assert UrlJwksSource(jwks_server.url).fetch() == dev_issuer.jwks()
    assert jwks_server.state.paths == ["/.well-known/jwks.json"]


@pytest.mark.parametrize(
    "url",
    [
        "http://cognito-idp.us-east-1.amazonaws.com/pool/.well-known/jwks.json",
        "ftp://127.0.0.1/jwks.json",
        "file:///etc/passwd",
        "https:///no-host",
        "jwks.json",
    ],
)
def test_url_source_refuses_insecure_or_odd_urls(url: str) -> None:
    with pytest.raises(ValueError, match="JWKS URL"):
        UrlJwksSource(url)


def test_url_source_accepts_https_and_loopback_http() -> None:
    UrlJwksSource("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_x/.well-known/jwks.json")
    UrlJwksSource("http://localhost:9000/jwks.json")
    UrlJwksSource("http://[::1]:9000/jwks.json")


@pytest.mark.parametrize("status", [404, 500, 503])
def test_url_source_error_statuses_are_jwks_errors(jwks_server: JwksServer, status: int) -> None:
    jwks_server.state.status = status
    with pytest.raises(JwksError, match=str(status)):
        UrlJwksSource(jwks_server.url).fetch()


def test_url_source_does_not_follow_redirects(jwks_server: JwksServer) -> None:
    jwks_server.state.status = 302
    jwks_server.state.headers = {"Location": f"{jwks_server.base_url}/elsewhere"}
    with pytest.raises(JwksError):
        UrlJwksSource(jwks_server.url).fetch()
    assert jwks_server.state.paths == ["/.well-known/jwks.json"]


def test_url_source_refuses_oversized_and_non_json_bodies(jwks_server: JwksServer) -> None:
    jwks_server.state.body = b" " * (MAX_JWKS_BYTES + 10)
    with pytest.raises(JwksError, match="too large"):
        UrlJwksSource(jwks_server.url).fetch()
    jwks_server.state.body = b"<html>not json</html>"
    with pytest.raises(JwksError, match="not JSON"):
        UrlJwksSource(jwks_server.url).fetch()


def test_url_source_times_out(jwks_server: JwksServer) -> None:
    jwks_server.state.delay = 2.0
    started = time.monotonic()
    with pytest.raises(JwksError):
        UrlJwksSource(jwks_server.url, timeout=0.3).fetch()
    assert time.monotonic() - started < 1.5


def test_url_source_unreachable_endpoint_is_a_jwks_error(jwks_server: JwksServer) -> None:
    url = jwks_server.url
    jwks_server.state.status = 200
    dead = url.replace(url.split(":")[2].split("/")[0], "1")  # port 1: nothing listens
    with pytest.raises(JwksError, match="unreachable"):
        UrlJwksSource(dead, timeout=1).fetch()


# --- FileJwksSource ---------------------------------------------------------------


def test_file_source_reads_and_rereads(tmp_path: Path, dev_issuer: DevIssuer) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(dev_issuer.jwks()))
    source = FileJwksSource(path)
    assert source.fetch() == dev_issuer.jwks()
    path.write_text('{"keys": []}')
    assert source.fetch() == {"keys": []}


def test_file_source_errors_are_jwks_errors(tmp_path: Path) -> None:
    with pytest.raises(JwksError):
        FileJwksSource(tmp_path / "missing.json").fetch()
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(JwksError):
        FileJwksSource(tmp_path / "bad.json").fetch()


# --- parse_jwks -------------------------------------------------------------------


def test_parse_keeps_only_usable_rsa_signature_keys(second_key: rsa.RSAPrivateKey) -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - too small on purpose
    ec_key = ec.generate_private_key(ec.SECP256R1())
    numbers = ec_key.public_key().public_numbers()
    document = {
        "keys": [
            _jwk(second_key, "good"),
            _jwk(second_key, "no-alg-no-use", alg=None, use=None),
            _jwk(second_key, "enc", use="enc"),
            _jwk(second_key, "hs", alg="HS256"),
            _jwk(second_key, "ps", alg="PS256"),
            _jwk(second_key, "wrap-only", key_ops=["wrapKey"]),
            _jwk(small, "small"),
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": str(numbers.x), "y": str(numbers.y)},
            {"kty": "oct", "kid": "oct", "k": "c2VjcmV0"},
            {**_jwk(second_key, "bad-n"), "n": "not base64!"},
            {**_jwk(second_key, "even-e"), "e": "AQAA"},
            {**_jwk(second_key, "no-kid"), "kid": ""},
            {**_jwk(second_key, "long-kid"), "kid": "k" * 300},
            "not an object",
        ]
    }
    for key in document["keys"]:
        if isinstance(key, dict):
            for name in [name for name, value in key.items() if value is None]:
                del key[name]
    keys = parse_jwks(document)
    assert set(keys) == {"good", "no-alg-no-use"}
    assert keys["good"].public_numbers() == second_key.public_key().public_numbers()


def test_parse_never_keeps_private_material(second_key: rsa.RSAPrivateKey) -> None:
    private = jwt.algorithms.RSAAlgorithm.to_jwk(second_key, as_dict=True)
    private.pop("key_ops", None)
    assert "d" in private
    keys = parse_jwks({"keys": [{**private, "kid": "leaked", "use": "sig"}]})
    assert isinstance(keys["leaked"], rsa.RSAPublicKey)
    assert not isinstance(keys["leaked"], rsa.RSAPrivateKey)


def test_parse_drops_a_kid_that_names_two_different_keys(second_key: rsa.RSAPrivateKey, dev_issuer: DevIssuer) -> None:
    document = {
        "keys": [
            _jwk(second_key, "dup"),
            _jwk(dev_issuer.private_key, "dup"),
            _jwk(second_key, "same"),
            _jwk(second_key, "same"),
        ]
    }
    assert set(parse_jwks(document)) == {"same"}


@pytest.mark.parametrize("document", [None, [], {}, {"keys": {}}, {"keys": "x"}, {"keys": [{}] * 101}])
def test_parse_refuses_documents_that_are_not_key_sets(document: Any) -> None:
    with pytest.raises(JwksError):
        parse_jwks(document)


# --- JwksCache over HTTP ----------------------------------------------------------


def test_cache_is_lazy_and_fetches_once(jwks_server: JwksServer, dev_issuer: DevIssuer) -> None:
    jwks_server.state.document = dev_issuer.jwks()
    cache = JwksCache(UrlJwksSource(jwks_server.url))
    verifier = TokenVerifier(cache, DEV_ISSUER, DEV_CLIENT_ID)
    assert jwks_server.state.hits == 0

    for n in range(25):
        assert verifier.verify(dev_issuer.mint(f"owner-{n}")).subject == f"owner-{n}"

    assert jwks_server.state.hits == 1
    assert cache.fetch_count == 1
    assert cache.kids() == {dev_issuer.kid}


def test_rotation_new_kid_is_accepted_after_one_refetch(
    jwks_server: JwksServer, dev_issuer: DevIssuer, second_key: rsa.RSAPrivateKey, mono_clock: FakeClock
) -> None:
    jwks_server.state.document = {"keys": [_jwk(dev_issuer.private_key, "key-1")]}
    cache = JwksCache(UrlJwksSource(jwks_server.url), clock=mono_clock)
    verifier = TokenVerifier(cache, DEV_ISSUER, DEV_CLIENT_ID)
    assert verifier.verify(_token(dev_issuer.private_key, "key-1")).subject == "owner-1"
    assert jwks_server.state.hits == 1

    # The issuer publishes a new key next to the old one and starts signing with it.
    jwks_server.state.document = {"keys": [_jwk(dev_issuer.private_key, "key-1"), _jwk(second_key, "key-2")]}
    mono_clock.advance(61)
    assert verifier.verify(_token(second_key, "key-2", sub="owner-2")).subject == "owner-2"
    assert jwks_server.state.hits == 2
    # Both keys are now trusted without further fetches.
    assert verifier.verify(_token(dev_issuer.private_key, "key-1")).subject == "owner-1"
    assert verifier.verify(_token(second_key, "key-2")).subject == "owner-1"
    assert jwks_server.state.hits == 2


def test_rotation_within_the_interval_waits_for_the_rate_limit(
    jwks_server: JwksServer, dev_issuer: DevIssuer, second_key: rsa.RSAPrivateKey, mono_clock: FakeClock
) -> None:
    jwks_server.state.document = {"keys": [_jwk(dev_issuer.private_key, "key-1")]}
    cache = JwksCache(UrlJwksSource(jwks_server.url), clock=mono_clock)
    verifier = TokenVerifier(cache, DEV_ISSUER, DEV_CLIENT_ID)
    verifier.verify(_token(dev_issuer.private_key, "key-1"))
    jwks_server.state.document = {"keys": [_jwk(second_key, "key-2")]}

    mono_clock.advance(10)
    with pytest.raises(Unauthenticated):
        verifier.verify(_token(second_key, "key-2"))
    assert jwks_server.state.hits == 1

    mono_clock.advance(50)
    assert verifier.verify(_token(second_key, "key-2")).subject == "owner-1"
    assert jwks_server.state.hits == 2


def test_junk_kids_cause_at_most_one_refetch_per_interval(
    jwks_server: JwksServer, dev_issuer: DevIssuer, mono_clock: FakeClock
) -> None:
    jwks_server.state.document = dev_issuer.jwks()
    cache = JwksCache(UrlJwksSource(jwks_server.url), clock=mono_clock)
    verifier = TokenVerifier(cache, DEV_ISSUER, DEV_CLIENT_ID)
    verifier.verify(dev_issuer.mint("owner-1"))
    assert jwks_server.state.hits == 1

    for interval in range(1, 4):
        for _ in range(40):
            junk = _token(dev_issuer.private_key, uuid.uuid4().hex)
            with pytest.raises(Unauthenticated):
                verifier.verify(junk)
            mono_clock.advance(1)
        # 40 junk tokens over 40 s: at most one refetch in any 60 s window.
        assert jwks_server.state.hits <= 1 + interval
        mono_clock.advance(21)
    assert jwks_server.state.hits == 1 + 2  # refetches at t=60 and t=120 only
    assert verifier.verify(dev_issuer.mint("owner-2")).subject == "owner-2"


def test_concurrent_unknown_kids_fetch_once(jwks_server: JwksServer, dev_issuer: DevIssuer) -> None:
    jwks_server.state.document = dev_issuer.jwks()
    jwks_server.state.delay = 0.1
    cache = JwksCache(UrlJwksSource(jwks_server.url))
    barrier = threading.Barrier(16)
    outcomes: list[str] = []

    def lookup(kid: str) -> None:
        barrier.wait()
        try:
            cache.get_key(kid)
            outcomes.append("found")
        except UnknownKeyId:
            outcomes.append("unknown")

    threads = [threading.Thread(target=lookup, args=(dev_issuer.kid if n % 2 else f"junk-{n}",)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert jwks_server.state.hits == 1
    assert sorted(outcomes) == ["found"] * 8 + ["unknown"] * 8


def test_a_failed_first_fetch_is_retried_after_a_short_pause(
    jwks_server: JwksServer, dev_issuer: DevIssuer, mono_clock: FakeClock
) -> None:
    jwks_server.state.status = 503
    cache = JwksCache(UrlJwksSource(jwks_server.url), clock=mono_clock)
    verifier = TokenVerifier(cache, DEV_ISSUER, DEV_CLIENT_ID)
    token = dev_issuer.mint("owner-1")

    with pytest.raises(Unauthenticated, match=r"^token could not be verified$"):
        verifier.verify(token)
    with pytest.raises(Unauthenticated):
        verifier.verify(token)
    assert jwks_server.state.hits == 1

    jwks_server.state.status = 200
    jwks_server.state.document = dev_issuer.jwks()
    mono_clock.advance(5)
    assert verifier.verify(token).subject == "owner-1"
    assert jwks_server.state.hits == 2


def test_an_empty_refetch_keeps_the_previous_keys(
    jwks_server: JwksServer, dev_issuer: DevIssuer, mono_clock: FakeClock
) -> None:
    jwks_server.state.document = dev_issuer.jwks()
    cache = JwksCache(UrlJwksSource(jwks_server.url), clock=mono_clock)
    cache.get_key(dev_issuer.kid)
    jwks_server.state.document = {"keys": []}
    mono_clock.advance(61)
    with pytest.raises(JwksError):
        cache.get_key("rotated?")
    assert cache.get_key(dev_issuer.kid) is not None
    assert cache.kids() == {dev_issuer.kid}


def test_stale_keys_are_refreshed_and_withdrawn_keys_stop_working(
    jwks_server: JwksServer, dev_issuer: DevIssuer, second_key: rsa.RSAPrivateKey, mono_clock: FakeClock
) -> None:
    jwks_server.state.document = {"keys": [_jwk(dev_issuer.private_key, "old"), _jwk(second_key, "new")]}
    cache = JwksCache(UrlJwksSource(jwks_server.url), clock=mono_clock, max_age=600)
    verifier = TokenVerifier(cache, DEV_ISSUER, DEV_CLIENT_ID)
    old_token = _token(dev_issuer.private_key, "old")
    verifier.verify(old_token)

    # The endpoint is down when the copy goes stale: keep using it.
    jwks_server.state.status = 500
    mono_clock.advance(601)
    assert verifier.verify(old_token).subject == "owner-1"
    assert jwks_server.state.hits == 2

    # Back up, and the old key was withdrawn: after the next refresh it is no longer trusted.
    jwks_server.state.status = 200
    jwks_server.state.document = {"keys": [_jwk(second_key, "new")]}
    mono_clock.advance(5)
    with pytest.raises(Unauthenticated):
        verifier.verify(old_token)
    assert jwks_server.state.hits == 3
    assert verifier.verify(_token(second_key, "new")).subject == "owner-1"


def test_explicit_refresh_ignores_the_rate_limit(
    jwks_server: JwksServer, dev_issuer: DevIssuer, mono_clock: FakeClock
) -> None:
    jwks_server.state.document = dev_issuer.jwks()
    cache = JwksCache(UrlJwksSource(jwks_server.url), clock=mono_clock)
    cache.refresh()
    cache.refresh()
    assert jwks_server.state.hits == 2
    assert cache.kids() == {dev_issuer.kid}


def test_cache_over_a_file_source_picks_up_a_rewritten_file(
    tmp_path: Path, dev_issuer: DevIssuer, second_key: rsa.RSAPrivateKey, mono_clock: FakeClock
) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [_jwk(dev_issuer.private_key, "a")]}))
    cache = JwksCache(FileJwksSource(path), min_refresh_interval=1.0, clock=mono_clock)
    assert cache.kids() == frozenset()
    cache.get_key("a")
    path.write_text(json.dumps({"keys": [_jwk(second_key, "b")]}))
    mono_clock.advance(1)
    assert cache.get_key("b").public_numbers() == second_key.public_key().public_numbers()


def test_a_misbehaving_source_surfaces_as_a_jwks_error(mono_clock: FakeClock) -> None:
    class Broken:
        def fetch(self) -> Any:
            raise RuntimeError("boom")

    with pytest.raises(JwksError, match="RuntimeError"):
        JwksCache(Broken(), clock=mono_clock).get_key("any")
