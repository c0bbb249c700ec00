"""The web app of ``dogcare serve``: the built app (``web/dist``) at ``/app/``, its generated
``/app/config.json``, and ``/`` redirecting to ``/app/``.

The app is a single-page app with history routing: a path under ``/app/`` that is not a file
and does not look like one (no extension) is answered with ``index.html``, so a reload of
``/app/bookings/123`` works; a missing file with an extension (a stale hashed asset) is a 404,
never HTML under a script's name. Files are read only from inside the dist folder: ``..``
segments, encoded or not, and symbolic links leading out are refused.

Vite names built assets by content hash under ``assets/``: those may be cached for a year.
Everything else, ``index.html`` first, is ``no-cache`` so a new deployment is picked up at once.
The same rules are what CloudFront applies in AWS (template.yaml).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from dogcare.local.gateway import GatewayResponse

PREFIX = "/app/"
CONFIG_PATH = "/app/config.json"
LONG_CACHE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
# Content types by extension, fixed here rather than taken from the host's mime.types.
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".txt": "text/plain; charset=utf-8",
    ".wasm": "application/wasm",
}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def default_dist() -> Path:
    """``DOGCARE_WEB_DIST``, else the repository's ``web/dist``."""
    configured = os.environ.get("DOGCARE_WEB_DIST")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "web" / "dist"


def _response(status: int, body: bytes, content_type: str, cache: str, **extra: str) -> GatewayResponse:
    headers = {"Content-Type": content_type, "Cache-Control": cache, **SECURITY_HEADERS, **extra}
    return GatewayResponse(status, headers, body)


def _not_built(dist: Path) -> GatewayResponse:
    page = (
        "<!doctype html><html lang=en><meta charset=utf-8><title>dogcare: the web app is not built</title>"
        "<h1>The web app is not built yet</h1>"
        f"<p>There is no <code>index.html</code> in <code>{dist.name}/</code>. Run <code>make web</code> "
        "(or set <code>DOGCARE_WEB_DIST</code> to a built app), then reload this page.</p>"
        "<p>The API itself is up: see <a href=/docs>/docs</a>.</p></html>"
    )
    return _response(503, page.encode(), TYPES[".html"], "no-store", **{"Retry-After": "30"})


def _not_found() -> GatewayResponse:
    body = json.dumps(
        {"type": "/problems/no-route", "title": "Not found", "status": 404, "detail": "no such file in the web app"}
    ).encode()
    return _response(404, body, "application/problem+json", "no-store")


def _inside(dist: Path, relative: str) -> Path | None:
    """The file ``relative`` names inside ``dist``, or None if it would leave it."""
    if relative.startswith("/"):
        return None
    parts = PurePosixPath(relative).parts
    if any(part in ("..", ".") or "\\" in part or "\x00" in part for part in parts):
        return None
    root = dist.resolve()
    target = (root / Path(*parts)).resolve() if parts else root
    if target != root and root not in target.parents:
        return None  # a symbolic link out of the folder
    return target


def serve(path: str, dist: Path, config: Callable[[], dict[str, Any]] | None) -> GatewayResponse | None:
    """The answer for ``path`` if it is the web app's, else None (the API's or the docs')."""
    if path == "/":
        return GatewayResponse(302, {"Location": PREFIX, "Cache-Control": NO_CACHE}, b"")
    if path == "/app":
        return GatewayResponse(301, {"Location": PREFIX, "Cache-Control": NO_CACHE}, b"")
    if not path.startswith(PREFIX):
        return None
    if path == CONFIG_PATH and config is not None:
        return _response(200, json.dumps(config(), indent=2).encode(), TYPES[".json"], NO_CACHE)
    index = dist / "index.html"
    if not index.is_file():
        return _not_built(dist)
    relative = unquote(path[len(PREFIX) :])
    target = _inside(dist, relative)
    if target is None:
        return _not_found()
    if target.is_file():
        suffix = target.suffix.lower()
        hashed = relative.startswith("assets/") and target.name != "index.html"
        content_type = TYPES.get(suffix, "application/octet-stream")
        return _response(200, target.read_bytes(), content_type, LONG_CACHE if hashed else NO_CACHE)
    if PurePosixPath(relative).suffix:
        return _not_found()  # looks like a file: a missing asset is not the app
    return _response(200, index.read_bytes(), TYPES[".html"], NO_CACHE)
