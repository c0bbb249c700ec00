"""The local development issuer: mints Cognito-shaped access and ID tokens for local mode and tests.

It keeps an RSA-2048 key pair in the state folder (``{home}/dev-issuer/private.pem``,
mode 0600, and the public ``jwks.json`` next to it), creates it on first use and names
the key by its RFC 7638 thumbprint so the ``kid`` is stable across restarts. The local
verifier trusts exactly this JWKS; nothing in AWS ever does.

Its issuer (``iss``) is the local OpenID provider's URL, ``{api_url}/oidc``
(``dogcare.local.oidc``): the running ``dogcare serve`` of the same state folder records its
``api_url`` in ``serve.json``, so a token minted here (``dogcare token``, tests) is one that
server accepts. Without a server, the default URL of ``dogcare serve`` is used.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from dogcare.auth.identity import ADMIN_GROUP

DEV_ISSUER = "http://127.0.0.1:3000/oidc"  # {api_url}/oidc of `dogcare serve` on its default port
DEV_CLIENT_ID = "dogcare-web"  # the web app, the local provider's one registered client
OIDC_PATH = "/oidc"
STATE_FILE = "serve.json"  # written by dogcare.local.stack (not imported: it is local-mode code)
DEV_ALGORITHM = "RS256"
KEY_BITS = 2048


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_uint(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def public_jwk(key: rsa.RSAPublicKey) -> dict[str, str]:
    """The public JWK members of ``key`` (``kty``, ``n``, ``e``)."""
    numbers = key.public_numbers()
    return {"kty": "RSA", "n": _b64url_uint(numbers.n), "e": _b64url_uint(numbers.e)}


def jwk_thumbprint(key: rsa.RSAPublicKey) -> str:
    """RFC 7638 SHA-256 thumbprint: the required members, sorted, no whitespace."""
    canonical = json.dumps(public_jwk(key), sort_keys=True, separators=(",", ":"))
    return _b64url(hashlib.sha256(canonical.encode("ascii")).digest())


def issuer_for(api_url: str) -> str:
    """The issuer of the local OpenID provider served at ``api_url``."""
    return api_url.rstrip("/") + OIDC_PATH


def local_issuer(home: Path) -> str:
    """The issuer of the ``dogcare serve`` running from ``home``, else :data:`DEV_ISSUER`."""
    try:
        state = json.loads((Path(home) / STATE_FILE).read_text())
    except (OSError, ValueError):
        return DEV_ISSUER
    api_url = state.get("api_url") if isinstance(state, dict) else None
    return issuer_for(api_url) if isinstance(api_url, str) and api_url else DEV_ISSUER


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class DevIssuer:
    """A key pair on disk, ``mint`` (access tokens) and ``mint_id_token`` signed with it.

    ``issuer`` is the ``iss`` of every token; by default the one of the ``dogcare serve``
    running from ``home`` (:func:`local_issuer`), read when first needed.
    """

    def __init__(self, home: Path, issuer: str | None = None, client_id: str = DEV_CLIENT_ID) -> None:
        self.home = Path(home)
        self._issuer = issuer
        self.client_id = client_id
        self.directory = self.home / "dev-issuer"
        self.private_key_path = self.directory / "private.pem"
        self.jwks_path = self.directory / "jwks.json"
        self._lock = threading.Lock()
        self._private_key: rsa.RSAPrivateKey | None = None
        self._kid: str | None = None

    # --- keys ----------------------------------------------------------------------

    def ensure_keys(self) -> None:
        """Load the key pair, creating it (and ``jwks.json``) on first use."""
        with self._lock:
            if self._private_key is not None:
                return
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.private_key_path.exists():
                self._create_private_key()
            key = self._load_private_key()
            self._private_key = key
            self._kid = jwk_thumbprint(key.public_key())
            document = json.dumps(self._jwks_document(), indent=2, sort_keys=True).encode() + b"\n"
            try:
                current = self.jwks_path.read_bytes()
            except FileNotFoundError:
                current = b""
            if current != document:
                _write_atomically(self.jwks_path, document, 0o644)

    def _create_private_key(self) -> None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Write a complete temporary file, then link it into place: ``link`` fails if
        # another process got there first, and then that process's key wins.
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".private.pem.")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(tmp, self.private_key_path)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def _load_private_key(self) -> rsa.RSAPrivateKey:
        if self.private_key_path.stat().st_mode & 0o077:
            os.chmod(self.private_key_path, 0o600)
        key = serialization.load_pem_private_key(self.private_key_path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < KEY_BITS:
            raise ValueError(f"{self.private_key_path.name} is not an RSA key of at least {KEY_BITS} bits")
        return key

    def _jwks_document(self) -> dict[str, Any]:
        assert self._private_key is not None
        assert self._kid is not None
        jwk: dict[str, Any] = public_jwk(self._private_key.public_key())
        jwk.update({"kid": self._kid, "use": "sig", "alg": DEV_ALGORITHM})
        return {"keys": [jwk]}

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        self.ensure_keys()
        assert self._private_key is not None
        return self._private_key

    @property
    def kid(self) -> str:
        self.ensure_keys()
        assert self._kid is not None
        return self._kid

    def jwks(self) -> dict[str, Any]:
        """The public key set (what ``jwks.json`` holds)."""
        self.ensure_keys()
        return self._jwks_document()

    @property
    def issuer(self) -> str:
        if self._issuer is None:
            self._issuer = local_issuer(self.home)
        return self._issuer

    # --- tokens --------------------------------------------------------------------

    def sign(self, claims: dict[str, Any]) -> str:
        """``claims`` signed with the issuer's key (``RS256``, with its ``kid``)."""
        return jwt.encode(claims, self.private_key, algorithm=DEV_ALGORITHM, headers={"kid": self.kid})

    def mint(
        self,
        sub: str,
        *,
        admin: bool = False,
        expires_in: int = 3600,
        extra_claims: dict[str, Any] | None = None,
        groups: list[str] | None = None,
    ) -> str:
        """A signed Cognito-shaped access token for ``sub``.

        ``admin`` adds the ``admin`` group; ``extra_claims`` are applied last and may
        override any standard claim (tests use this to build invalid tokens).
        """
        if not sub:
            raise ValueError("sub must not be empty")
        member_of = set(groups or ())
        if admin:
            member_of.add(ADMIN_GROUP)
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": sub,
            "client_id": self.client_id,
            "token_use": "access",
            "scope": "aws.cognito.signin.user.admin",
            "username": sub,
            "cognito:groups": sorted(member_of),
            "auth_time": now,
            "iat": now,
            "nbf": now,
            "exp": now + expires_in,
            "jti": str(uuid.uuid4()),
        }
        if extra_claims:
            claims.update(extra_claims)
        return self.sign(claims)

    def mint_id_token(
        self,
        sub: str,
        email: str,
        *,
        email_verified: bool = True,
        nonce: str | None = None,
        expires_in: int = 3600,
        auth_time: int | None = None,
        admin: bool = False,
        extra_claims: dict[str, Any] | None = None,
    ) -> str:
        """A signed Cognito-shaped ID token: ``aud`` is the client, ``token_use`` is ``id``.

        The one way tests and ``dogcare token --id`` make an ID token (what the API wants in
        ``X-Id-Token``). ``extra_claims`` are applied last; a value of ``None`` removes the claim.
        """
        if not sub:
            raise ValueError("sub must not be empty")
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": sub,
            "aud": self.client_id,
            "token_use": "id",
            "cognito:username": sub,
            "email": email,
            "email_verified": email_verified,
            "auth_time": now if auth_time is None else auth_time,
            "iat": now,
            "exp": now + expires_in,
            "jti": str(uuid.uuid4()),
        }
        if admin:
            claims["cognito:groups"] = [ADMIN_GROUP]
        if nonce is not None:
            claims["nonce"] = nonce
        for name, value in (extra_claims or {}).items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return self.sign(claims)
