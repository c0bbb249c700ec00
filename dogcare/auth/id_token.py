"""ID tokens: the proof of an owner's verified email address.

The web app sends the OpenID Connect ID token of the sign-in in ``X-Id-Token`` when it
registers an owner or updates the profile. The email that counts as the owner's (and is
kept unique) is taken from it, never from a request body. :class:`IdTokenVerifier`
accepts one only if all of the access-token checks of :class:`TokenVerifier` hold for it
(size, compact form, algorithm, header parameters, ``kid`` in the same key set, signature,
``exp``/``iat``/``nbf``, ``iss``) and also:

* ``aud`` is the app client id (``DOGCARE_AUTH_CLIENT_ID``, else ``DOGCARE_AUTH_AUDIENCE``)
  and ``token_use`` is ``id`` (Cognito sets it; an access token is refused here);
* ``exp`` and ``iat`` are JSON numbers (not strings that happen to parse);
* ``sub`` is the access token's subject: one user's ID token cannot name another's email;
* ``email_verified`` is ``true`` (the JSON boolean) and ``email`` is a string.

The key set is the access-token verifier's own (:func:`build_verifier`): one cache, one
fetch policy. Imported only by the owner routes that need it, so no other function pays
for PyJWT on its cold start.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dogcare.auth.identity import Identity
from dogcare.auth.verifier import EXPIRED, NOT_YET_VALID, TokenVerifier, build_verifier
from dogcare.errors import InvalidIdToken, Unauthenticated, ValidationFailed

if TYPE_CHECKING:
    from dogcare.settings import Settings

ID_TOKEN = "id"  # noqa: S105 - a token_use value, not a secret
HEADER = "X-Id-Token"
HEADER_FIELD = f"header.{HEADER}"

# The only details a caller ever sees.
MISSING_ID_TOKEN = f"an ID token from the sign-in is required in the {HEADER} header"
INVALID_ID_TOKEN = "invalid ID token"  # noqa: S105 - a message, not a secret
EXPIRED_ID_TOKEN = "ID token expired"  # noqa: S105 - a message, not a secret
OTHER_SUBJECT = "the ID token belongs to another user than the access token"
UNVERIFIED = "the ID token's email address is not verified"
NO_EMAIL = "the ID token carries no email address"


@dataclass(frozen=True)
class IdTokenIdentity(Identity):
    """What a valid ID token proves: the subject and the address the IdP verified."""

    email: str = ""


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class IdTokenVerifier(TokenVerifier):
    """A :class:`TokenVerifier` for ID tokens that also returns the verified email."""

    def __init__(self, access: TokenVerifier, client_id: str) -> None:
        super().__init__(
            access.jwks,
            issuer=access.issuer,
            audience=client_id,
            token_use=ID_TOKEN,
            algorithms=access.algorithms,
            leeway=access.leeway,
            max_token_length=access.max_token_length,
        )

    def _identity(self, claims: Mapping[str, Any]) -> Identity:
        if not (_numeric(claims.get("exp")) and _numeric(claims.get("iat"))):
            raise Unauthenticated(INVALID_ID_TOKEN)
        if claims.get("token_use") != ID_TOKEN or "aud" not in claims:
            raise Unauthenticated(INVALID_ID_TOKEN)
        base = super()._identity(claims)
        if claims.get("email_verified") is not True:
            raise InvalidIdToken(UNVERIFIED)
        email = claims.get("email")
        if not isinstance(email, str) or not email.strip():
            raise InvalidIdToken(NO_EMAIL)
        return IdTokenIdentity(subject=base.subject, groups=base.groups, client_id=base.client_id, email=email)

    def verified_email(self, token: str | None, subject: str) -> str:
        """The verified email of ``token`` if it is a valid ID token of ``subject``.

        Raises :class:`InvalidIdToken` (a 401 problem) with a short fixed detail otherwise, and
        a 422 naming the header when there is none (the request is incomplete, and the access
        token is fine: a client must not take this for an expired sign-in).
        """
        if token is None or not token.strip():
            raise ValidationFailed.field(HEADER_FIELD, MISSING_ID_TOKEN, "missing")
        try:
            proven = self.verify(token.strip())
        except InvalidIdToken:
            raise
        except Unauthenticated as exc:
            detail = EXPIRED_ID_TOKEN if exc.detail in (EXPIRED, NOT_YET_VALID) else INVALID_ID_TOKEN
            raise InvalidIdToken(detail) from None
        assert isinstance(proven, IdTokenIdentity)
        if proven.subject != subject:
            raise InvalidIdToken(OTHER_SUBJECT)
        return proven.email


_lock = threading.Lock()
_verifiers: dict[tuple[int, str], IdTokenVerifier] = {}


def build_id_token_verifier(settings: Settings) -> IdTokenVerifier:
    """The process-wide ID-token verifier for ``settings``, on the access verifier's key set."""
    access = build_verifier(settings)
    audience = settings.id_token_audience or access.audience
    key = (id(access), audience)
    verifier = _verifiers.get(key)
    if verifier is None or verifier.jwks is not access.jwks:  # a reset verifier cache: rebuild
        with _lock:
            verifier = _verifiers[key] = IdTokenVerifier(access, audience)
    return verifier
