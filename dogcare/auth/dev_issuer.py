"""The local development issuer: mints Cognito-shaped access tokens for local mode and tests.

It keeps an RSA-2048 key pair in the state folder (``{home}/dev-issuer/private.pem``,
mode 0600, and the public ``jwks.json`` next to it), creates it on first use and names
the key by its RFC 7638 thumbprint so the ``kid`` is stable across restarts. The local
verifier trusts exactly this JWKS; nothing in AWS ever does.
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

DEV_ISSUER = "https://dogcare.local/dev-issuer"
DEV_CLIENT_ID = "dogcare-local"
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
    """A key pair on disk and a ``mint`` that signs access tokens with it."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home)
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

    # --- tokens --------------------------------------------------------------------

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
            "iss": DEV_ISSUER,
            "sub": sub,
            "client_id": DEV_CLIENT_ID,
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
        return jwt.encode(claims, self.private_key, algorithm=DEV_ALGORITHM, headers={"kid": self.kid})
