"""Authentication: bearer JWT verification against a JWKS, and the local development issuer.

Authorization decisions are not made here: the services decide from the
:class:`~dogcare.domain.actor.Actor` that the :class:`Identity` this package establishes
becomes (``Identity.actor``). Nothing here imports boto3 or Powertools.

The names below are imported on first use: the API functions need only
``dogcare.auth.identity``, and importing this package must not put PyJWT and
cryptography (about 50 ms) on their cold start. Only the authorizer verifies tokens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dogcare.lazy import lazy_exports

if TYPE_CHECKING:
    from dogcare.auth.dev_issuer import DEV_CLIENT_ID, DEV_ISSUER, DevIssuer
    from dogcare.auth.identity import ADMIN_GROUP, Identity, identity_from_authorizer_context
    from dogcare.auth.jwks import FileJwksSource, JwksCache, JwksError, UnknownKeyId, UrlJwksSource
    from dogcare.auth.verifier import (
        MAX_TOKEN_LENGTH,
        TokenVerifier,
        bearer_token,
        build_verifier,
        reset_verifier_cache,
    )
    from dogcare.errors import Unauthenticated

_EXPORTS = {
    "ADMIN_GROUP": "dogcare.auth.identity",
    "DEV_CLIENT_ID": "dogcare.auth.dev_issuer",
    "DEV_ISSUER": "dogcare.auth.dev_issuer",
    "MAX_TOKEN_LENGTH": "dogcare.auth.verifier",
    "DevIssuer": "dogcare.auth.dev_issuer",
    "FileJwksSource": "dogcare.auth.jwks",
    "Identity": "dogcare.auth.identity",
    "JwksCache": "dogcare.auth.jwks",
    "JwksError": "dogcare.auth.jwks",
    "TokenVerifier": "dogcare.auth.verifier",
    "Unauthenticated": "dogcare.errors",
    "UnknownKeyId": "dogcare.auth.jwks",
    "UrlJwksSource": "dogcare.auth.jwks",
    "bearer_token": "dogcare.auth.verifier",
    "build_verifier": "dogcare.auth.verifier",
    "identity_from_authorizer_context": "dogcare.auth.identity",
    "reset_verifier_cache": "dogcare.auth.verifier",
}
__all__ = [
    "ADMIN_GROUP",
    "DEV_CLIENT_ID",
    "DEV_ISSUER",
    "MAX_TOKEN_LENGTH",
    "DevIssuer",
    "FileJwksSource",
    "Identity",
    "JwksCache",
    "JwksError",
    "TokenVerifier",
    "Unauthenticated",
    "UnknownKeyId",
    "UrlJwksSource",
    "bearer_token",
    "build_verifier",
    "identity_from_authorizer_context",
    "reset_verifier_cache",
]


__getattr__ = lazy_exports(__name__, _EXPORTS)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
