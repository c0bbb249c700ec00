"""Bearer token verification.

:class:`TokenVerifier` accepts a JWT only if all of this holds:

* it is at most ``max_token_length`` characters of compact JWS (three non-empty
  base64url segments) — checked before anything is parsed;
* its header names an algorithm from the configured list (never taken from the
  token: ``none`` and every HMAC algorithm are refused), a ``kid`` the JWKS knows, and
  none of the header parameters that point at other keys or change processing
  (``jku``, ``x5u``, ``jwk``, ``x5c``, ``crit``, ``b64``);
* the RSA signature verifies with that key;
* ``exp`` is in the future and ``iat`` (and ``nbf`` when present) are not, within
  ``leeway`` seconds, each a JSON number (RFC 7519 NumericDate, not a numeric string);
* ``iss`` is the configured issuer, ``token_use`` the configured one, and the audience
  matches: ``aud`` when the token has one (Cognito ID tokens), otherwise ``client_id``
  (Cognito access tokens);
* ``sub`` is a non-empty printable string.

Every failure raises :class:`~dogcare.errors.Unauthenticated` with a short detail that
echoes nothing from the token and nothing of the configuration.
"""

from __future__ import annotations

import math
import os
import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt

from dogcare.auth.identity import Identity, clean_groups
from dogcare.auth.jwks import FileJwksSource, JwksCache, JwksError, UnknownKeyId, UrlJwksSource
from dogcare.errors import Unauthenticated

if TYPE_CHECKING:
    from dogcare.settings import Settings

MAX_TOKEN_LENGTH = 8 * 1024
MAX_KID_LENGTH = 256
SUPPORTED_ALGORITHMS = frozenset({"RS256", "RS384", "RS512"})
ACCESS_TOKEN = "access"  # noqa: S105 - a token_use value, not a secret
TOKEN_USES = frozenset({ACCESS_TOKEN, "id"})
FORBIDDEN_HEADERS = frozenset({"jku", "x5u", "jwk", "x5c", "crit", "b64"})
GROUPS_CLAIM = "cognito:groups"
NUMERIC_DATES = ("exp", "iat", "nbf")
MAX_NUMERIC_DATE = 253_402_300_799  # 9999-12-31T23:59:59Z

_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_SUBJECT = re.compile(r"[!-~]{1,256}")  # printable ASCII, no spaces

# The only details a caller ever sees.
MISSING = "missing bearer token"
BAD_HEADER = "invalid authorization header"
TOO_LARGE = "token too large"
MALFORMED = "malformed token"
EXPIRED = "token expired"
NOT_YET_VALID = "token not yet valid"
INVALID = "invalid token"
KEYS_UNAVAILABLE = "token could not be verified"


def _is_numeric_date(value: Any) -> bool:
    """RFC 7519 NumericDate: a JSON number. PyJWT would also take ``"9999999999"`` (a string)
    and ``true``; a token with either is not one this issuer made."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    # Within years 1970..9999: no genuine token dates outside, and huge integers would not even
    # convert to a float (OverflowError).
    return 0 <= value <= MAX_NUMERIC_DATE and (isinstance(value, int) or math.isfinite(value))


def bearer_token(headers: Mapping[str, str] | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header (name and scheme case-insensitive)."""
    if not headers:
        raise Unauthenticated(MISSING)
    values = [value for name, value in headers.items() if isinstance(name, str) and name.lower() == "authorization"]
    values = [value for value in values if value is not None]
    if not values:
        raise Unauthenticated(MISSING)
    if len(values) > 1:
        raise Unauthenticated(BAD_HEADER)
    value = values[0]
    if not isinstance(value, str):
        raise Unauthenticated(BAD_HEADER)
    if not value.strip():
        raise Unauthenticated(MISSING)
    if len(value) > MAX_TOKEN_LENGTH + 64:
        raise Unauthenticated(TOO_LARGE)
    parts = value.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        raise Unauthenticated(BAD_HEADER)
    return parts[1]


class TokenVerifier:
    """Verifies bearer JWTs against one issuer's JWKS and turns them into an :class:`Identity`."""

    def __init__(
        self,
        jwks: JwksCache,
        issuer: str,
        audience: str,
        token_use: str = ACCESS_TOKEN,
        algorithms: Sequence[str] = ("RS256",),
        leeway: int = 30,
        max_token_length: int = MAX_TOKEN_LENGTH,
    ) -> None:
        algorithms = tuple(algorithms)
        if not algorithms or not set(algorithms) <= SUPPORTED_ALGORITHMS:
            raise ValueError(f"algorithms must be a non-empty subset of {sorted(SUPPORTED_ALGORITHMS)}")
        if not issuer or not audience:
            raise ValueError("issuer and audience are required")
        if token_use not in TOKEN_USES:
            raise ValueError(f"token_use must be one of {sorted(TOKEN_USES)}")
        if not 0 <= leeway <= 300:
            raise ValueError("leeway must be between 0 and 300 seconds")
        self.jwks = jwks
        self.issuer = issuer
        self.audience = audience
        self.token_use = token_use
        self.algorithms = algorithms
        self.leeway = leeway
        self.max_token_length = max_token_length

    def verify(self, token: str) -> Identity:
        """The identity a valid token proves; raises :class:`Unauthenticated` otherwise."""
        if not isinstance(token, str) or not token:
            raise Unauthenticated(MISSING)
        if len(token) > self.max_token_length:
            raise Unauthenticated(TOO_LARGE)
        if not _COMPACT_JWS.fullmatch(token):
            raise Unauthenticated(MALFORMED)

        try:
            header = jwt.get_unverified_header(token)
        except (jwt.PyJWTError, ValueError, TypeError, RecursionError):
            raise Unauthenticated(MALFORMED) from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise Unauthenticated(INVALID)
        if FORBIDDEN_HEADERS.intersection(header):
            raise Unauthenticated(INVALID)
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid or len(kid) > MAX_KID_LENGTH:
            raise Unauthenticated(INVALID)

        try:
            key = self.jwks.get_key(kid)
        except UnknownKeyId:
            raise Unauthenticated(INVALID) from None
        except JwksError:
            raise Unauthenticated(KEYS_UNAVAILABLE) from None

        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=list(self.algorithms),
                issuer=self.issuer,
                leeway=self.leeway,
                options={
                    "require": ["exp", "iat", "iss", "sub"],
                    "verify_aud": False,  # checked below: ``aud`` or ``client_id``
                    "enforce_minimum_key_length": True,
                },
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated(EXPIRED) from None
        except jwt.ImmatureSignatureError:
            raise Unauthenticated(NOT_YET_VALID) from None
        except (jwt.PyJWTError, ValueError, TypeError, RecursionError, OverflowError):
            raise Unauthenticated(INVALID) from None
        if not all(_is_numeric_date(claims[name]) for name in NUMERIC_DATES if name in claims):
            raise Unauthenticated(INVALID)

        return self._identity(claims)

    def _identity(self, claims: Mapping[str, Any]) -> Identity:
        if claims.get("token_use") != self.token_use:
            raise Unauthenticated(INVALID)
        if not self._audience_matches(claims):
            raise Unauthenticated(INVALID)
        subject = claims.get("sub")
        if not isinstance(subject, str) or not _SUBJECT.fullmatch(subject):
            raise Unauthenticated(INVALID)
        groups = claims.get(GROUPS_CLAIM, [])
        if not isinstance(groups, list):
            raise Unauthenticated(INVALID)
        client_id = claims.get("client_id")
        if not isinstance(client_id, str):
            aud = claims.get("aud")
            client_id = self.audience if aud is not None else None
        return Identity(subject=subject, groups=clean_groups(groups), client_id=client_id)

    def _audience_matches(self, claims: Mapping[str, Any]) -> bool:
        if "aud" in claims:
            aud = claims["aud"]
            return bool(aud == self.audience or aud == [self.audience])
        return claims.get("client_id") == self.audience

    def __repr__(self) -> str:
        return f"TokenVerifier(issuer={self.issuer!r}, audience={self.audience!r}, token_use={self.token_use!r})"


# --- one verifier per process ----------------------------------------------------------

_cache_lock = threading.Lock()
_verifiers: dict[tuple[Any, ...], TokenVerifier] = {}


def build_verifier(settings: Settings) -> TokenVerifier:
    """The process-wide verifier for ``settings`` (built once, then reused).

    With ``auth_jwks_url`` set (AWS: Cognito's ``{issuer}/.well-known/jwks.json``) it
    trusts that key set for ``auth_issuer``/``auth_audience``/``auth_token_use``.
    Otherwise it trusts the local development issuer's key set in ``settings.home``,
    creating the key pair if needed — which is refused inside a deployed Lambda.
    """
    key = (
        settings.auth_jwks_url,
        settings.auth_issuer,
        settings.auth_audience,
        settings.auth_token_use,
        Path(settings.home).absolute(),
    )
    verifier = _verifiers.get(key)
    if verifier is not None:
        return verifier
    with _cache_lock:
        verifier = _verifiers.get(key)
        if verifier is None:
            verifier = _verifiers[key] = _new_verifier(*key)
        return verifier


def reset_verifier_cache() -> None:
    """Forget the process-wide verifiers (tests, or after changing settings)."""
    with _cache_lock:
        _verifiers.clear()


def _new_verifier(
    jwks_url: str | None, issuer: str | None, audience: str | None, token_use: str, home: Path
) -> TokenVerifier:
    if jwks_url:
        if not issuer or not audience:
            raise ValueError("DOGCARE_AUTH_ISSUER and DOGCARE_AUTH_AUDIENCE must be set with DOGCARE_AUTH_JWKS_URL")
        cache = JwksCache(UrlJwksSource(jwks_url))
        return TokenVerifier(cache, issuer=issuer, audience=audience, token_use=token_use)

    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") and os.environ.get("AWS_SAM_LOCAL") != "true":
        raise RuntimeError("DOGCARE_AUTH_JWKS_URL must be set in AWS; the development issuer is local only")
    from dogcare.auth.dev_issuer import DEV_CLIENT_ID, DEV_ISSUER, DevIssuer

    dev = DevIssuer(home)
    dev.ensure_keys()
    cache = JwksCache(FileJwksSource(dev.jwks_path), min_refresh_interval=1.0)
    # `dogcare serve` names its own issuer ({api_url}/oidc, DOGCARE_AUTH_ISSUER); still only this key set.
    return TokenVerifier(cache, issuer=issuer or DEV_ISSUER, audience=audience or DEV_CLIENT_ID, token_use=ACCESS_TOKEN)
