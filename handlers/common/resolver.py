"""The one way every API function is put together.

``build_app(router)`` makes a Powertools REST resolver with validation, CORS from the
settings, and every exception mapped to a problem document. ``handle`` runs the request
gate first — identity, rate limit, body size, content type, JSON syntax — because those
must answer before body validation does (an anonymous or oversized request never gets as
far as a 422).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.api_gateway import ResponseBuilder, Router
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from dogcare.auth.identity import Identity, identity_from_authorizer_context
from dogcare.errors import DogcareError, StorageUnavailable, Unauthenticated
from dogcare.settings import get_settings
from dogcare.storage.store import is_transient
from handlers.common import idempotency, problems, runtime
from handlers.registry import PUBLIC

logger = Logger(child=True)  # logs through the functions' logger (handlers.common.observability)

MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 20
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# X-Id-Token: the web app proves the owner's verified email with its ID token (handlers/owners.py).
ALLOWED_HEADERS = ["Authorization", "Content-Type", "If-Match", "Idempotency-Key", "Stripe-Signature", "X-Id-Token"]
EXPOSED_HEADERS = ["ETag", "Retry-After", "Location"]


def cors_config() -> CORSConfig:
    origins = list(get_settings().cors_origins)
    # Never "*" together with credentials: origins are listed, and credentials stay off
    # (the API uses bearer tokens, not cookies).
    return CORSConfig(
        allow_origin=origins[0] if origins else "https://invalid.localhost",
        extra_origins=origins[1:],
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        max_age=600,
        allow_credentials=False,
    )


class Resolver(APIGatewayRestResolver):
    """Powertools' REST resolver, with the event being handled kept per thread.

    Powertools keeps the current event and Lambda context in class attributes, shared by every
    resolver of the process. A Lambda process handles one event at a time, but the local
    gateway runs several functions' containers on threads of one process: there, a request in
    flight could read another request's event, and act as that request's caller.
    """

    _request = threading.local()

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        self._request.event = self._to_proxy_event(dict(event))
        self._request.context = context
        result: dict[str, Any] = super().resolve(event, context)
        return result

    @property
    def current_event(self) -> Any:
        return self._request.event

    @current_event.setter
    def current_event(self, value: Any) -> None:
        self._request.event = value

    @property
    def lambda_context(self) -> Any:
        return self._request.context

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        self._request.context = value


def build_app(router: Router) -> APIGatewayRestResolver:
    app = Resolver(enable_validation=True, cors=cors_config())
    app.include_router(router)

    @app.exception_handler(DogcareError)
    def _domain_error(error: DogcareError) -> Response:
        return problems.from_error(error)

    @app.exception_handler(RequestValidationError)
    def _validation_error(error: RequestValidationError) -> Response:
        return problems.from_validation(error.errors())

    @app.not_found
    def _not_found(_: Exception) -> Response:
        return problems.problem(404, "no-route", "Not found", "no such resource or method")

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response:
        if is_transient(error):
            # DynamoDB throttled, failed or did not answer (after botocore's retries) somewhere
            # no repository translated it, e.g. in the idempotency layer: the caller may retry.
            logger.warning("storage unavailable", extra={"error_type": type(error).__name__})
            return problems.from_error(StorageUnavailable("the database is busy or did not answer; please retry"))
        logger.exception("unhandled error", extra={"error_type": type(error).__name__})
        return problems.internal_error()

    return app


def identity(router: Router) -> Identity:
    """The caller, as the authorizer established it. Routes that need one call this."""
    ctx = (router.current_event.raw_event.get("requestContext") or {}).get("authorizer")
    found = identity_from_authorizer_context(ctx)
    if found is None:
        raise Unauthenticated("a valid bearer token is required")
    return found


def _json_depth(value: Any, depth: int = 0) -> int:
    if depth > MAX_JSON_DEPTH:
        return depth
    if isinstance(value, dict):
        return max([_json_depth(v, depth + 1) for v in value.values()] or [depth + 1])
    if isinstance(value, list):
        return max([_json_depth(v, depth + 1) for v in value] or [depth + 1])
    return depth


def _body_bytes(event: dict[str, Any]) -> bytes:
    body = event.get("body")
    if body is None:
        return b""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return body.encode() if isinstance(body, str) else bytes(body)


def _header(event: dict[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _set_header(event: dict[str, Any], name: str, value: str) -> None:
    for field in ("headers", "multiValueHeaders"):
        headers = event.get(field)
        if isinstance(headers, dict):
            for key in [k for k in headers if k.lower() == name.lower()]:
                headers[key] = value if field == "headers" else [value]


def gate(event: dict[str, Any]) -> Response | None:
    """Checks that must answer before validation; ``None`` lets the request through."""
    method = str(event.get("httpMethod", "")).upper()
    if method == "OPTIONS":
        return None
    public = (method, event.get("resource") or event.get("path")) in PUBLIC
    try:
        ctx = (event.get("requestContext") or {}).get("authorizer")
        caller = identity_from_authorizer_context(ctx)
        if caller is None and not public:
            raise Unauthenticated("a valid bearer token is required")
        subject = (
            caller.subject
            if caller
            else "ip:" + str(((event.get("requestContext") or {}).get("identity") or {}).get("sourceIp", "unknown"))
        )
        runtime.rate_limiter().hit(subject)
    except DogcareError as error:
        return problems.from_error(error)
    if method not in BODY_METHODS:
        return None
    raw = _body_bytes(event)
    if len(raw) > MAX_BODY_BYTES:
        return problems.problem(413, "too-large", "Body too large", f"the body is over {MAX_BODY_BYTES} bytes")
    if not raw:
        return None  # validation answers for a missing body
    content_type = (_header(event, "Content-Type") or "").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        return problems.problem(415, "unsupported-media-type", "Unsupported media type", "send application/json")
    _set_header(event, "Content-Type", "application/json")  # the validator parses only this spelling
    if public:
        return None  # signed payloads are verified byte-for-byte by their route
    too_deep = problems.problem(400, "too-deep", "Body too deeply nested", "the JSON body is nested too deeply")
    try:
        parsed = json.loads(raw)
    except RecursionError:  # nested deeper than the parser itself goes
        return too_deep
    except ValueError:
        return problems.problem(400, "malformed-json", "Malformed JSON", "the request body is not valid JSON")
    if _json_depth(parsed) > MAX_JSON_DEPTH:
        return too_deep
    if not isinstance(parsed, dict):
        return problems.problem(
            422,
            "validation",
            "Validation failed",
            "the body must be a JSON object",
            field_errors=[{"field": "body", "message": "must be an object", "code": "type"}],
        )
    return None


def handle(app_factory: Callable[[], APIGatewayRestResolver], event: dict[str, Any], context: Any) -> dict[str, Any]:
    idempotency.lambda_context.set(context)
    blocked = gate(event)
    app = app_factory()
    if blocked is not None:
        origin = _header(event, "Origin")
        cors = app._cors
        allowed = cors.allowed_origin(origin) if cors and origin else None
        if cors and allowed:
            blocked.headers.update(cors.to_dict(allowed))
        return ResponseBuilder[APIGatewayProxyEvent](blocked).build(APIGatewayProxyEvent(event), None)
    result = app.resolve(event, context)
    if str(event.get("httpMethod", "")).upper() == "OPTIONS":
        _drop_cors_unless_allowed(app, event, result)
    return result


def _drop_cors_unless_allowed(app: APIGatewayRestResolver, event: dict[str, Any], result: dict[str, Any]) -> None:
    """A preflight from an origin that is not allowed gets no ``Access-Control-*`` header at all
    (Powertools still sends ``Access-Control-Allow-Methods``, which tells such an origin what the
    API accepts)."""
    origin = _header(event, "Origin")
    if app._cors and origin and app._cors.allowed_origin(origin):
        return
    for field in ("headers", "multiValueHeaders"):
        headers = result.get(field)
        if isinstance(headers, dict):
            for name in [n for n in headers if n.lower().startswith("access-control-")]:
                del headers[name]
