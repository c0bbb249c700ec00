"""Authentication: bearer JWT verification against a JWKS, and the local development issuer.

Authorization decisions are not made here: the services decide from the
:class:`Identity` this package establishes. Nothing here imports boto3 or Powertools.
"""

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
