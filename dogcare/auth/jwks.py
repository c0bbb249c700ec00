"""JSON Web Key Sets: where the public signing keys come from, and a cache in front of them.

* :class:`UrlJwksSource` fetches a JWKS over HTTPS (Cognito publishes it at
  ``{issuer}/.well-known/jwks.json``) with the standard library only.
* :class:`FileJwksSource` reads one from disk (the local development issuer).
* :class:`JwksCache` holds the usable keys by ``kid``. It fetches lazily on first use,
  refetches when a token names a ``kid`` it does not know (key rotation), and refetches
  when its copy is older than ``max_age`` (so a withdrawn key stops being trusted).
  Refetches are rate limited: at most one per ``min_refresh_interval`` seconds, so a
  stream of tokens with made-up ``kid`` values cannot hammer the JWKS endpoint.

Only RSA signature keys of at least 2048 bits are kept; anything else in the set is
ignored. Private key material in a published set is never used: a key is rebuilt from
its public modulus and exponent alone.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey, RSAPublicNumbers

MAX_JWKS_BYTES = 512 * 1024
MAX_KEYS = 100
MAX_KID_LENGTH = 256
MIN_RSA_BITS = 2048
MAX_RSA_BITS = 8192
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class JwksError(Exception):
    """The key set could not be fetched or holds no usable key."""


class UnknownKeyId(LookupError):
    """No trusted key has the requested ``kid`` (and a refetch was not allowed or did not help)."""


class JwksSource(Protocol):
    def fetch(self) -> Any:
        """The JWKS document (a JSON object with a ``keys`` list); raises on failure."""
        ...


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: the configured JWKS location is the only trusted one."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class UrlJwksSource:
    """Fetch a JWKS over HTTPS (plain HTTP only for a loopback host, for local testing)."""

    def __init__(self, url: str, timeout: float = 3) -> None:
        parts = urllib.parse.urlsplit(url)
        host = (parts.hostname or "").lower()
        secure = parts.scheme == "https" and bool(host)
        loopback = parts.scheme == "http" and host in _LOOPBACK_HOSTS
        if not (secure or loopback):
            raise ValueError("JWKS URL must be https:// (http:// only for a loopback host)")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.url = url
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirect)

    def fetch(self) -> Any:
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.url, headers={"Accept": "application/json", "User-Agent": "dogcare-jwks/1"}
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                if response.status != 200:
                    raise JwksError(f"JWKS endpoint answered HTTP {response.status}")
                body = response.read(MAX_JWKS_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise JwksError(f"JWKS endpoint answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise JwksError(f"JWKS endpoint unreachable: {type(exc).__name__}") from None
        if len(body) > MAX_JWKS_BYTES:
            raise JwksError("JWKS document too large")
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            raise JwksError("JWKS document is not JSON") from None

    def __repr__(self) -> str:
        return f"UrlJwksSource({self.url!r})"


class FileJwksSource:
    """Read a JWKS from a file (re-read on every fetch, so a rewritten file is picked up)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def fetch(self) -> Any:
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise JwksError(f"JWKS file unreadable: {type(exc).__name__}") from None
        if len(raw) > MAX_JWKS_BYTES:
            raise JwksError("JWKS document too large")
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            raise JwksError("JWKS document is not JSON") from None

    def __repr__(self) -> str:
        return f"FileJwksSource({str(self.path)!r})"


def _b64url_uint(value: Any) -> int | None:
    if not isinstance(value, str) or not _B64URL.fullmatch(value):
        return None
    raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    return int.from_bytes(raw, "big") if raw else None


def _public_key(jwk: Mapping[str, Any], algorithms: Collection[str]) -> RSAPublicKey | None:
    """The RSA public key a JWK describes, or ``None`` if it is not a usable signing key."""
    if jwk.get("kty") != "RSA":
        return None
    if jwk.get("use", "sig") != "sig":
        return None
    alg = jwk.get("alg")
    if alg is not None and alg not in algorithms:
        return None
    key_ops = jwk.get("key_ops")
    if key_ops is not None and (not isinstance(key_ops, list) or "verify" not in key_ops):
        return None
    n = _b64url_uint(jwk.get("n"))
    e = _b64url_uint(jwk.get("e"))
    if n is None or e is None or e < 3 or e % 2 == 0:
        return None
    if not MIN_RSA_BITS <= n.bit_length() <= MAX_RSA_BITS:
        return None
    try:
        return RSAPublicNumbers(e, n).public_key()
    except ValueError:
        return None


def parse_jwks(document: Any, algorithms: Collection[str] = ("RS256",)) -> dict[str, RSAPublicKey]:
    """The usable keys of a JWKS document by ``kid``.

    Unusable entries are skipped. A ``kid`` that names two different keys is ambiguous
    and dropped altogether.
    """
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise JwksError("JWKS document has no 'keys' list")
    entries = document["keys"]
    if len(entries) > MAX_KEYS:
        raise JwksError("JWKS document has too many keys")
    keys: dict[str, RSAPublicKey] = {}
    ambiguous: set[str] = set()
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid or len(kid) > MAX_KID_LENGTH:
            continue
        key = _public_key(entry, algorithms)
        if key is None:
            continue
        known = keys.get(kid)
        if known is not None and known.public_numbers() != key.public_numbers():
            ambiguous.add(kid)
        keys.setdefault(kid, key)
    for kid in ambiguous:
        del keys[kid]
    return keys


class JwksCache:
    """Trusted public keys by ``kid``, fetched lazily from a :class:`JwksSource`. Thread-safe."""

    def __init__(
        self,
        source: JwksSource,
        *,
        algorithms: Collection[str] = ("RS256",),
        min_refresh_interval: float = 60.0,
        retry_after_failure: float = 5.0,
        max_age: float | None = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if min_refresh_interval < 0 or retry_after_failure < 0:
            raise ValueError("intervals must not be negative")
        self.source = source
        self.algorithms = tuple(algorithms)
        self.min_refresh_interval = min_refresh_interval
        self.retry_after_failure = min(retry_after_failure, min_refresh_interval)
        self.max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, RSAPublicKey] = {}
        self._fetched_at: float | None = None
        self._last_attempt: float | None = None
        self._last_failed = False
        self.fetch_count = 0

    def get_key(self, kid: str) -> RSAPublicKey:
        """The key named ``kid``; raises :class:`UnknownKeyId` or :class:`JwksError`."""
        with self._lock:
            now = self._clock()
            key = self._keys.get(kid)
            stale = self.max_age is not None and self._fetched_at is not None and now - self._fetched_at >= self.max_age
            if key is not None and not stale:
                return key
            if self._may_fetch(now):
                try:
                    self._refresh(now)
                except JwksError:
                    if key is not None:
                        return key  # keep using a stale copy while the source is down
                    raise
                key = self._keys.get(kid)
            if key is None:
                raise UnknownKeyId(kid)
            return key

    def kids(self) -> frozenset[str]:
        """The ``kid`` values currently trusted (without fetching)."""
        with self._lock:
            return frozenset(self._keys)

    def refresh(self) -> None:
        """Fetch now, ignoring the rate limit (for start-up warming and operators)."""
        with self._lock:
            self._refresh(self._clock())

    def _may_fetch(self, now: float) -> bool:
        if self._last_attempt is None:
            return True
        wait = self.retry_after_failure if self._last_failed else self.min_refresh_interval
        return now - self._last_attempt >= wait

    def _refresh(self, now: float) -> None:
        self._last_attempt = now
        self._last_failed = True
        self.fetch_count += 1
        try:
            document = self.source.fetch()
        except JwksError:
            raise
        except Exception as exc:  # a source is outside code: never let it escape untyped
            raise JwksError(f"JWKS fetch failed: {type(exc).__name__}") from None
        keys = parse_jwks(document, self.algorithms)
        if not keys:
            raise JwksError("JWKS document holds no usable key")
        self._keys = keys
        self._fetched_at = now
        self._last_failed = False
