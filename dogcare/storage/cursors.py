"""Opaque, signed pagination cursors, bound to the query and the caller.

A cursor is ``base64url(json) . base64url(hmac)``. The JSON holds DynamoDB's
LastEvaluatedKey and a binding: the access pattern, the caller's scope and the query's
parameters. A cursor that was tampered with, or made for another query or caller, is
rejected with ``InvalidCursor`` (a 400), never silently ignored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from dogcare.errors import InvalidCursor

MAX_CURSOR_LENGTH = 2048


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def binding(pattern: str, scope: str, params: Mapping[str, Any]) -> str:
    canonical = json.dumps({"p": pattern, "s": scope, "q": params}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


class CursorCodec:
    """``secret`` may be a callable, read on the first cursor made or checked: a function that
    never pages (and so holds no key in its environment) never needs one."""

    def __init__(self, secret: bytes | Callable[[], bytes]) -> None:
        self._source = secret
        self._secret: bytes | None = None
        if isinstance(secret, bytes):
            self._secret = self._checked(secret)

    @staticmethod
    def _checked(secret: bytes) -> bytes:
        if len(secret) < 16:
            raise ValueError("the cursor secret must be at least 16 bytes")
        return secret

    def _mac(self, body: bytes) -> bytes:
        if self._secret is None:
            source = self._source
            self._secret = self._checked(source() if callable(source) else source)
        return hmac.new(self._secret, body, hashlib.sha256).digest()[:16]

    def encode(self, last_key: Mapping[str, Any], bound_to: str) -> str:
        body = json.dumps({"k": last_key, "b": bound_to}, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(body)}.{_b64(self._mac(body))}"

    def decode(self, cursor: str, bound_to: str) -> dict[str, Any]:
        if len(cursor) > MAX_CURSOR_LENGTH or cursor.count(".") != 1:
            raise InvalidCursor("the cursor is not valid")
        body_text, mac_text = cursor.split(".")
        try:
            body, mac = _unb64(body_text), _unb64(mac_text)
        except (binascii.Error, ValueError) as exc:
            raise InvalidCursor("the cursor is not valid") from exc
        if not hmac.compare_digest(mac, self._mac(body)):
            raise InvalidCursor("the cursor is not valid")
        payload = json.loads(body)
        if payload.get("b") != bound_to:
            raise InvalidCursor("the cursor belongs to another query")
        key = payload.get("k")
        if not isinstance(key, dict):
            raise InvalidCursor("the cursor is not valid")
        return key


def local_secret(home: Path) -> bytes:
    """A per-installation secret kept in the state folder (created on first use)."""
    path = home / "cursor.key"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()
