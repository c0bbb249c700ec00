"""The one way every API function is put together.

``build_app(router)`` makes a Powertools REST resolver with validation, CORS from the
settings, and every exception mapped to a problem document. ``handle`` runs the request
gate first — identity, rate limit, body size, content type, JSON syntax — because those
must answer before body validation does (an anonymous or oversized request never gets as
far as a 422).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.api_gateway import (
    APIGatewayRestResolver,
    CORSConfig,
    Response,
    ResponseBuilder,
    Router,
)
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from dogcare.auth.identity import Identity, identity_from_authorizer_context
from dogcare.errors import DogcareError, StorageUnavailable, Unauthenticated
from dogcare.settings import get_settings
from dogcare.storage.store import is_transient
from handlers.common import problems, runtime
from handlers.common.powertools_adapter import Resolver
from handlers.registry import PUBLIC

logger = Logger(child=True)  # logs through the functions' logger (handlers.common.observability)

MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 20
EXP_LEEWAY_SECONDS = 30  # the verifier's own leeway for exp
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# X-Id-Token: the web app proves the owner's verified email with its ID token (handlers/owners.py).
ALLOWED_HEADERS = ["Authorization", "Content-Type", "If-Match", "Idempotency-Key", "Stripe-Signature", "X-Id-Token"]
EXPOSED_HEADERS = ["ETag", "Retry-After", "Location"]


PREFLIGHT_MAX_AGE = 600


def preflight_headers(methods: Collection[str]) -> dict[str, str]:
    """The answer to a CORS preflight (OPTIONS) on a path serving ``methods``.

    In AWS, API Gateway answers preflights itself (the template's ``Cors``, a mock integration
    on every path), so they cost no invocation; `dogcare serve` answers them with these same
    headers. A mock answer is static: it names one origin, the first configured (a browser on
    another origin sees a mismatch and stops). The functions still check ``Origin`` on the
    actual requests.
    """
    origins = get_settings().cors_origins
    return {
        "Access-Control-Allow-Origin": origins[0] if origins else "https://invalid.localhost",
        "Access-Control-Allow-Methods": ",".join(sorted({m.upper() for m in methods} | {"OPTIONS"})),
        "Access-Control-Allow-Headers": ",".join(ALLOWED_HEADERS),
        "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE),
    }


def cors_config() -> CORSConfig:
    origins = list(get_settings().cors_origins)
    # Never "*" together with credentials: origins are listed, and credentials stay off
    # (the API uses bearer tokens, not cookies).
    return CORSConfig(
        allow_origin=origins[0] if origins else "https://invalid.localhost",
        extra_origins=origins[1:],
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        max_age=PREFLIGHT_MAX_AGE,
        allow_credentials=False,
    )


def build_app(router: Router) -> APIGatewayRestResolver:
    app = Resolver(enable_validation=True, cors=cors_config())
    app.include_router(router)

    @app.exception_handler(DogcareError)
    def _domain_error(error: DogcareError) -> Response:
        return problems.from_error(error)

    @app.exception_handler(RequestValidationError)
    def _validation_error(error: RequestValidationError) -> Response:
        return problems.from_validation(error.errors())

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported_content_type(_: RequestUnsupportedContentType) -> Response:
        # The gate refuses these first; this keeps a 415 a 415 should a request reach the validator.
        return problems.problem(415, "unsupported-media-type", "Unsupported media type", "send application/json")

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


class _UndecodableBody(ValueError):
    """The event's body is flagged base64 but is not valid base64."""


def _body_bytes(event: dict[str, Any]) -> bytes:
    body = event.get("body")
    if body is None:
        return b""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise _UndecodableBody from None
    if isinstance(body, str):
        # A str body came from API Gateway as text; lone surrogates cannot be re-encoded.
        try:
            return body.encode()
        except UnicodeEncodeError:
            raise _UndecodableBody from None
    return bytes(body)


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


def _expired(ctx: Any, now: float) -> bool:
    """Whether the token the authorizer accepted has expired since.

    API Gateway caches the authorizer's answer (up to 300 s) per token: without this check a
    token that expired a minute after its first use would still be let in until the cache
    entry ages out. The authorizer passes the token's ``exp`` on in its context.
    """
    if not isinstance(ctx, Mapping) or "exp" not in ctx:
        return False
    try:
        exp = float(str(ctx["exp"]))
    except ValueError:
        return True  # a context this authorizer never produces: fail closed
    return not math.isfinite(exp) or now >= exp + EXP_LEEWAY_SECONDS


def _rate_limit(event: dict[str, Any], caller: Identity | None) -> None:
    limiter = runtime.rate_limiter()
    if caller is not None:
        limiter.hit_subject(caller.subject)
    else:
        source = ((event.get("requestContext") or {}).get("identity") or {}).get("sourceIp", "unknown")
        limiter.hit_ip(str(source))


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
        if caller is not None and _expired(ctx, time.time()):
            raise Unauthenticated("token expired")
        _rate_limit(event, caller)
    except DogcareError as error:
        return problems.from_error(error)
    try:
        raw = _body_bytes(event)
    except _UndecodableBody:
        return _not_utf8()
    if len(raw) > MAX_BODY_BYTES:
        return problems.problem(413, "too-large", "Body too large", f"the body is over {MAX_BODY_BYTES} bytes")
    if not raw:
        if method in BODY_METHODS:
            # Whatever it names, an empty body is no form or multipart upload: the validator
            # would otherwise try to parse one (or fail on an unknown type) instead of
            # answering that the body is missing.
            _set_header(event, "Content-Type", "application/json")
        return None  # validation answers for a missing body
    try:
        # RFC 8259: JSON between systems is UTF-8. Python's json.loads(bytes) would also take
        # UTF-16 and UTF-32, and code after the gate reads the body as UTF-8 text, so refuse
        # anything else here, on every route (the public webhook included, before its signature).
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _not_utf8()
    if method not in BODY_METHODS:
        return None
    content_type = (_header(event, "Content-Type") or "").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        return problems.problem(415, "unsupported-media-type", "Unsupported media type", "send application/json")
    _set_header(event, "Content-Type", "application/json")  # the validator parses only this spelling
    if event.get("isBase64Encoded"):
        # Powertools decodes a base64 body as UTF-8 itself; hand it the text we just checked.
        event["body"], event["isBase64Encoded"] = text, False
    too_deep = problems.problem(400, "too-deep", "Body too deeply nested", "the JSON body is nested too deeply")
    if public:
        # Signed payloads are verified byte-for-byte by their route; only the nesting is
        # checked here (a deeply nested payload would exhaust the parser's stack there).
        return too_deep if _nesting(text) > MAX_JSON_DEPTH else None
    try:
        parsed = json.loads(text)
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


def _not_utf8() -> Response:
    return problems.problem(400, "malformed-json", "Malformed JSON", "the request body is not UTF-8 encoded JSON")


def _nesting(text: str) -> int:
    """The deepest bracket nesting of a JSON text, without parsing it (brackets inside strings
    are skipped), so an arbitrarily deep payload costs one linear scan and no recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def handle(app_factory: Callable[[], APIGatewayRestResolver], event: dict[str, Any], context: Any) -> dict[str, Any]:
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
