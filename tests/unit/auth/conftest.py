"""Shared fixtures for the authentication tests: a dev issuer, a verifier, a JWKS server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from dogcare.auth import DEV_CLIENT_ID, DEV_ISSUER, DevIssuer, FileJwksSource, JwksCache, TokenVerifier


@pytest.fixture(scope="session")
def dev_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dogcare-home")


@pytest.fixture(scope="session")
def dev_issuer(dev_home: Path) -> DevIssuer:
    issuer = DevIssuer(dev_home)
    issuer.ensure_keys()
    return issuer


@pytest.fixture
def verifier(dev_issuer: DevIssuer) -> TokenVerifier:
    cache = JwksCache(FileJwksSource(dev_issuer.jwks_path))
    return TokenVerifier(cache, issuer=DEV_ISSUER, audience=DEV_CLIENT_ID)


@pytest.fixture(scope="session")
def second_key() -> rsa.RSAPrivateKey:
    """Another RSA-2048 key, for rotation and forgery tests."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class JwksServerState:
    """What the local JWKS endpoint answers, and how often it was asked."""

    document: Any = field(default_factory=lambda: {"keys": []})
    status: int = 200
    body: bytes | None = None  # raw body instead of ``document``
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hits: int = 0
    paths: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class JwksServer:
    state: JwksServerState
    base_url: str

    @property
    def url(self) -> str:
        return f"{self.base_url}/.well-known/jwks.json"


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    """A real HTTP server on 127.0.0.1 serving ``state.document`` as JSON."""
    state = JwksServerState()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with state.lock:
                state.hits += 1
                state.paths.append(self.path)
            if state.delay:
                threading.Event().wait(state.delay)
            body = state.body if state.body is not None else json.dumps(state.document).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in state.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield JwksServer(state, f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def mono_clock() -> FakeClock:
    """A fake ``time.monotonic`` for :class:`JwksCache` (named apart from the date clock)."""
    return FakeClock()
