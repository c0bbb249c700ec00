"""The one way every API function is put together.

``build_app(router)`` makes a Powertools REST resolver with CORS from the settings, the
request gate and validation as Event Handler middlewares, and every exception mapped to a
problem document.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, CORSConfig, Response, Router
from aws_lambda_powertools.event_handler.middlewares import BaseMiddlewareHandler, NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from dogcare.auth.identity import Identity, identity_from_authorizer_context
from dogcare.errors import DogcareError, StorageUnavailable, Unauthenticated
from dogcare.settings import get_settings
from dogcare.storage.store import is_transient
from handlers.common import problems
from handlers.common.gate import request_gate
from handlers.common.powertools_adapter import Resolver

logger = Logger(child=True)  # logs through the functions' logger (handlers.common.observability)

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


class PreflightOrigins(BaseMiddlewareHandler[APIGatewayRestResolver]):
    """A preflight from an origin that is not allowed gets no ``Access-Control-*`` header at all.

    Powertools answers a preflight with ``Access-Control-Allow-Methods`` whatever its origin
    (its resolver adds the other CORS headers only for allowed origins), which would tell
    such an origin what the API accepts.
    """

    def __init__(self, cors: CORSConfig) -> None:
        super().__init__()
        self.cors = cors

    def handler(self, app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
        response = next_middleware(app)
        event = app.current_event
        origin = event.headers.get("Origin")
        if event.http_method.upper() == "OPTIONS" and not (origin and self.cors.allowed_origin(origin)):
            for name in [n for n in response.headers if n.lower().startswith("access-control-")]:
                del response.headers[name]
        return response


def build_app(router: Router) -> APIGatewayRestResolver:
    # Imported when the first request builds the resolver (as Powertools itself would), not
    # with this module: the sweeper imports it too, through the functions' logger.
    from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
        OpenAPIRequestValidationMiddleware,
        OpenAPIResponseValidationMiddleware,
    )

    cors = cors_config()
    # Powertools 3.37 runs its own request validation (``enable_validation=True``) ahead of every
    # middleware (Route._build_middleware_stack; resolve()'s docstring, case 4), so a gate
    # installed with ``use`` would answer only after a 422. The resolver is built without it, and
    # the same two documented validation middlewares are installed in the order the API needs:
    # the gate, then request validation, then (around the route itself) response validation.
    # Every request passes them, unknown routes and preflights too (Powertools runs its 404 and
    # preflight answers through the middlewares): the gate lets preflights by.
    app = Resolver(cors=cors)
    app.use(
        middlewares=[
            PreflightOrigins(cors),
            request_gate,
            OpenAPIRequestValidationMiddleware(),  # type: ignore[no-untyped-call]  # unannotated upstream
            OpenAPIResponseValidationMiddleware(),
        ]
    )
    app.include_router(router)

    @app.exception_handler(DogcareError)  # type: ignore[untyped-decorator]  # unannotated upstream
    def _domain_error(error: DogcareError) -> Response[Any]:
        return problems.from_error(error)

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]  # unannotated upstream
    def _validation_error(error: RequestValidationError) -> Response[Any]:
        return problems.from_validation(error.errors())

    @app.exception_handler(RequestUnsupportedContentType)  # type: ignore[untyped-decorator]  # unannotated upstream
    def _unsupported_content_type(_: RequestUnsupportedContentType) -> Response[Any]:
        # The gate refuses these first; this keeps a 415 a 415 should a request reach the validator.
        return problems.problem(415, "unsupported-media-type", "Unsupported media type", "send application/json")

    @app.not_found
    def _not_found(_: Exception) -> Response[Any]:
        return problems.problem(404, "no-route", "Not found", "no such resource or method")

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]  # unannotated upstream
    def _unexpected(error: Exception) -> Response[Any]:
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
