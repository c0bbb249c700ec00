"""The request gate: the checks that must answer before body validation does.

It runs among the resolver's middlewares (``handlers.common.resolver.build_app``), ahead of
Powertools' request validation: the caller's identity (and whether its token has
expired since the authorizer accepted it), the rate limit, then the body's size, encoding,
media type and JSON syntax. So an anonymous, oversized, wrongly typed or malformed request is
answered 401/413/415/400 and never 422, and a refused caller costs no DynamoDB request beyond
the rate limiter's own. Its answers go out through the resolver like a route's, CORS included.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import time
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from dogcare.auth.identity import Identity, identity_from_authorizer_context
from dogcare.errors import DogcareError, Unauthenticated
from handlers.common import problems, runtime
from handlers.registry import PUBLIC

MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 20
EXP_LEEWAY_SECONDS = 30  # the verifier's own leeway for exp
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def request_gate(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Event Handler middleware: answer for the request if the gate refuses it, else go on."""
    refused = gate(app.current_event.raw_event)
    if refused is not None:
        return refused
    return next_middleware(app)


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


def gate(event: dict[str, Any]) -> Response[Any] | None:
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


def _not_utf8() -> Response[Any]:
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
