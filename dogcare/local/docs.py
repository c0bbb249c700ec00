"""The API docs page of ``dogcare serve``: Swagger UI with its assets served from the
installed Powertools package (no CDN: the page works offline)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from urllib.parse import parse_qs

from dogcare.local.gateway import GatewayResponse

ASSETS = {
    "/docs/assets/swagger-ui-bundle.min.js": ("swagger-ui-bundle.min.js", "application/javascript"),
    "/docs/assets/swagger-ui.min.css": ("swagger-ui.min.css", "text/css"),
}


@lru_cache(maxsize=1)
def _spec() -> str:
    from handlers.openapi import document

    return json.dumps(document())


@lru_cache(maxsize=4)
def _asset(name: str) -> bytes:
    package = resources.files("aws_lambda_powertools.event_handler.openapi.swagger_ui")
    return (package / name).read_bytes()


@lru_cache(maxsize=1)
def _page() -> bytes:
    from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html

    html = generate_swagger_html(
        spec=_spec(),
        swagger_js="/docs/assets/swagger-ui-bundle.min.js",
        swagger_css="/docs/assets/swagger-ui.min.css",
        swagger_base_url="/docs/assets",
        oauth2_config=None,
        persist_authorization=True,
    )
    return html.replace("<title>Swagger UI</title>", "<title>dogcare API</title>").encode()


def serve(path: str, query: str = "") -> GatewayResponse | None:
    if path in ("/docs", "/docs/") and parse_qs(query).get("format") == ["json"]:
        path = "/docs/openapi.json"  # the spec link Swagger UI shows on the page
    if path in ("/docs", "/docs/"):
        return GatewayResponse(200, {"Content-Type": "text/html; charset=utf-8"}, _page())
    if path == "/docs/openapi.json":
        return GatewayResponse(200, {"Content-Type": "application/json"}, _spec().encode())
    if path in ASSETS:
        name, media = ASSETS[path]
        return GatewayResponse(200, {"Content-Type": media, "Cache-Control": "max-age=3600"}, _asset(name))
    return None
