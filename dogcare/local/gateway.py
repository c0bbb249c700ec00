"""The local API Gateway: HTTP requests in, REST proxy events through the same authorizer
and handler code that runs in Lambda, HTTP responses out.

Each function runs in a small pool of "containers" (separate copies of its handler module),
so concurrent requests behave like concurrent Lambda invocations: no shared resolver state.
The route table comes from ``handlers.registry`` — the same one the template is checked
against — so there is no second routing table to drift.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import queue
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from dogcare.auth.identity import groups_to_context
from dogcare.errors import DogcareError
from dogcare.settings import get_settings

STAGE = "local"
ACCOUNT = "000000000000"
MAX_REQUEST_BYTES = 10 * 1024 * 1024  # API Gateway's own payload limit
CONTAINERS_PER_FUNCTION = 4


@dataclass
class LambdaContext:
    """The parts of Lambda's context object that handlers and Powertools read."""

    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    timeout_seconds: float = 29.0
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000))


@dataclass
class GatewayResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def _problem(status: int, kind: str, title: str, detail: str, headers: dict[str, str] | None = None) -> GatewayResponse:
    body = json.dumps({"type": f"/problems/{kind}", "title": title, "status": status, "detail": detail}).encode()
    return GatewayResponse(status, {"Content-Type": "application/problem+json", **(headers or {})}, body)


_DIGITS = re.compile(r"[0-9]{1,12}")


def _refuse_framing(headers: Message) -> GatewayResponse | None:
    """What API Gateway refuses before any function runs: a body length that is not one plain
    non-negative number (``abc``, ``-1``, two different values), a chunked or otherwise encoded
    body (this server reads only ``Content-Length`` bodies), a body over the payload limit, and
    more than one ``Authorization`` header (which one would be the caller? the Lambda
    authorizer refuses them too)."""
    lengths = headers.get_all("Content-Length") or []
    if len({value.strip() for value in lengths}) > 1 or not all(_DIGITS.fullmatch(v.strip()) for v in lengths):
        return _problem(400, "bad-request", "Bad request", "Content-Length must be one non-negative number")
    if headers.get_all("Transfer-Encoding"):
        return _problem(400, "bad-request", "Bad request", "send the body with a Content-Length, not chunked")
    if lengths and int(lengths[0]) > MAX_REQUEST_BYTES:
        return _problem(413, "too-large", "Body too large", "the request is too large")
    if len(headers.get_all("Authorization") or []) > 1:
        return _problem(400, "bad-request", "Bad request", "send at most one Authorization header")
    return None


class FunctionPool:
    """Copies of one handler module; each copy serves one request at a time, like a container."""

    def __init__(self, module_name: str, size: int) -> None:
        self.module_name = module_name
        self._free: queue.Queue[Any] = queue.Queue()
        self._size = size
        self._made = 0
        self._lock = threading.Lock()

    def _new_container(self) -> Any:
        spec = importlib.util.find_spec(self.module_name)
        if spec is None or spec.origin is None:
            raise ImportError(self.module_name)
        copy = importlib.util.spec_from_file_location(f"{self.module_name}__container{self._made}", spec.origin)
        if copy is None or copy.loader is None:
            raise ImportError(self.module_name)
        module = importlib.util.module_from_spec(copy)
        copy.loader.exec_module(module)
        return module

    def invoke(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            module = self._free.get_nowait()
        except queue.Empty:
            with self._lock:
                if self._made < self._size:
                    module = self._new_container()
                    self._made += 1
                else:
                    module = None
            if module is None:
                module = self._free.get()
        try:
            result: dict[str, Any] = module.lambda_handler(event, context)
            return result
        finally:
            self._free.put(module)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The standard backlog of 5 refuses connections when many clients arrive at once.
    request_queue_size = 128


class LocalGateway:
    def __init__(self, containers_per_function: int = CONTAINERS_PER_FUNCTION) -> None:
        from handlers.registry import FUNCTIONS

        self.pools = {name: FunctionPool(module, containers_per_function) for name, module in FUNCTIONS.items()}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""
        self._oidc: Any = None
        self._oidc_lock = threading.Lock()
        # The web app: where its build is (None: DOGCARE_WEB_DIST or web/dist) and its config.json.
        self.web_dist: Path | None = None
        self.web_config: Callable[[], dict[str, Any]] | None = None

    # --- one request ---------------------------------------------------------------------

    def authorize(self, headers: dict[str, str]) -> dict[str, str]:
        """Run the authorizer's shared code path; returns the context API Gateway would pass."""
        from dogcare.auth.verifier import build_verifier
        from handlers.authorizer import authorize_request, token_expiry

        caller = authorize_request(headers, build_verifier(get_settings()))
        context = {"principalId": caller.subject, "sub": caller.subject, "groups": groups_to_context(caller.groups)}
        if caller.client_id:
            context["client_id"] = caller.client_id
        expires = token_expiry(headers)
        if expires is not None:
            context["exp"] = str(expires)
        return context

    def event(
        self,
        method: str,
        raw_path: str,
        headers: dict[str, str],
        body: bytes,
        source_ip: str,
        resource: str,
        path_params: dict[str, str],
        authorizer: dict[str, str] | None,
    ) -> dict[str, Any]:
        split = urlsplit(raw_path)
        pairs = parse_qsl(split.query, keep_blank_values=True)
        multi_query: dict[str, list[str]] = {}
        for key, value in pairs:
            multi_query.setdefault(key, []).append(value)
        try:
            text: str | None = body.decode("utf-8") if body else None
            is_b64 = False
        except UnicodeDecodeError:
            text, is_b64 = base64.b64encode(body).decode(), True
        request_id = str(uuid.uuid4())
        context: dict[str, Any] = {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/{STAGE}{split.path}",
            "stage": STAGE,
            "requestId": request_id,
            "extendedRequestId": request_id,
            "accountId": ACCOUNT,
            "apiId": "local",
            "protocol": "HTTP/1.1",
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": source_ip, "userAgent": headers.get("User-Agent", "")},
        }
        if authorizer is not None:
            context["authorizer"] = authorizer
        return {
            "resource": resource,
            "path": split.path,
            "httpMethod": method,
            "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": path_params or None,
            "stageVariables": None,
            "requestContext": context,
            "body": text,
            "isBase64Encoded": is_b64,
        }

    def invoke(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes = b"", source_ip: str = "127.0.0.1"
    ) -> GatewayResponse:
        from handlers.registry import match, routes

        provider = self.openid(method, raw_path, headers, body)  # /oidc/...: local sign-in, not the API
        if provider is not None:
            return provider
        method = method.upper()
        path = urlsplit(raw_path).path
        if method == "OPTIONS":
            return self.preflight(path)
        found = match("GET" if method == "HEAD" else method, path)
        if found is None:
            allowed = sorted({r.method for r in routes() if r.pattern.match(path)})
            if allowed:
                return _problem(
                    405,
                    "method-not-allowed",
                    "Method not allowed",
                    f"use {', '.join(allowed)}",
                    {"Allow": ", ".join(allowed)},
                )
            return _problem(404, "no-route", "Not found", "no such resource")
        route, params = found
        authorizer = None
        if not route.public:
            try:
                authorizer = self.authorize(headers)
            except DogcareError:
                return _problem(
                    401,
                    "unauthenticated",
                    "Unauthenticated",
                    "a valid bearer token is required",
                    {"WWW-Authenticate": 'Bearer realm="dogcare"'},
                )
        # HEAD runs the path's GET; the HTTP server sends its headers without the body.
        event_method = "GET" if method == "HEAD" else method
        event = self.event(event_method, raw_path, headers, body, source_ip, route.path, params, authorizer)
        result = self.pools[route.function].invoke(event, LambdaContext(function_name=route.function))
        return self._response(result)

    @staticmethod
    def preflight(path: str) -> GatewayResponse:
        """A CORS preflight, answered here as API Gateway's mock integration answers it in AWS
        (the template's ``Cors``): the same headers, no function invoked, no token asked for."""
        from handlers.common.resolver import preflight_headers
        from handlers.registry import routes

        served = [r for r in routes() if r.pattern.match(path)]
        if not served:
            return _problem(404, "no-route", "Not found", "no such resource")
        # API Gateway picks a static resource over a parameterised one (/bookings/quote over
        # /bookings/{id}); the preflight lists the methods of the resource it picked.
        resource = min(served, key=lambda r: "{" in r.path).path
        methods = {r.method for r in served if r.path == resource}
        headers = {"Content-Type": "application/json", **preflight_headers(methods)}
        return GatewayResponse(200, headers, b"{}\n")

    @staticmethod
    def _response(result: dict[str, Any]) -> GatewayResponse:
        headers: dict[str, str] = {}
        for key, values in (result.get("multiValueHeaders") or {}).items():
            headers[key] = ", ".join(str(v) for v in values)
        for key, value in (result.get("headers") or {}).items():
            headers[key] = str(value)
        raw = result.get("body") or ""
        body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
        return GatewayResponse(int(result.get("statusCode", 502)), headers, body)

    # --- HTTP server -------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 3000) -> str:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle's algorithm on, the body waits
            # for the client's delayed ACK of the headers (~40 ms per response on keep-alive).
            disable_nagle_algorithm = True
            server_version = "dogcare-local"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in separate writes: without TCP_NODELAY a kept-alive
                # connection waits ~40 ms on each response (Nagle against delayed ACKs).
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, fmt: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                refused = _refuse_framing(self.headers)
                if refused is not None:
                    # The body's extent is unknown: nothing more can be read from this connection.
                    response = refused
                    self.close_connection = True
                else:
                    length = int(self.headers.get("Content-Length") or 0)
                    body = self.rfile.read(length) if length else b""
                    headers = dict(self.headers.items())
                    response = gateway.static(self.path) or gateway.invoke(
                        self.command, self.path, headers, body, self.client_address[0]
                    )
                self.send_response(response.status)
                for key, value in response.headers.items():
                    if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(response.body)))
                if self.close_connection:
                    self.send_header("Connection", "close")  # tells the client not to reuse it
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(response.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _serve

        self._server = _Server((host, port), Handler)
        actual_port = self._server.server_address[1]
        self.base_url = f"http://{host}:{actual_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="dogcare-gateway", daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # --- the local OpenID provider (sign-in for the web app) ------------------------------------

    def openid(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> GatewayResponse | None:
        """``/oidc/...``: the local OpenID provider (``dogcare.local.oidc``); ``None`` for other paths."""
        if not urlsplit(raw_path).path.startswith("/oidc"):
            return None
        with self._oidc_lock:
            if self._oidc is None:
                from dogcare.local.oidc import OidcProvider

                self._oidc = OidcProvider(get_settings().home, self.base_url)
        response: GatewayResponse | None = self._oidc.handle(method, raw_path, headers, body)
        return response

    # --- the docs page -----------------------------------------------------------------------

    def static(self, raw_path: str) -> GatewayResponse | None:
        from dogcare.local import docs

        split = urlsplit(raw_path)
        # The web app (/, /app/...): same origin as the API, so the browser needs no CORS for it.
        from dogcare.local import webapp

        app = webapp.serve(split.path, self.web_dist or webapp.default_dist(), self.web_config)
        if app is not None:
            return app
        return docs.serve(split.path, split.query)


__all__ = ["GatewayResponse", "LambdaContext", "LocalGateway", "Path"]
