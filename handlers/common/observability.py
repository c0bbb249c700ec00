"""Logger, Metrics and Tracer, set up once, the documented Powertools way.

Service name, metrics namespace and log level come from the function's environment
(``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE``, ``POWERTOOLS_LOG_LEVEL``).

Every invocation writes one JSON line ``request handled`` (method, route, status, duration)
carrying ``correlation_id`` (API Gateway's request id, the ``requestId`` of the access log) and
flushes its metrics as one CloudWatch EMF document, both on standard output. The handlers'
other modules log through ``Logger(child=True)`` and the library through the standard
library's ``dogcare`` loggers: both go through this logger's handler and carry the same keys.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import time
import warnings
from collections.abc import Callable
from functools import lru_cache
from typing import IO, Any, cast

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice

from handlers.common import runtime
from handlers.common.resolver import build_app
from handlers.gc_pause import released_after_first_call


class _Stdout(io.TextIOBase):
    """Standard output as it is at each write (Lambda's never changes; a test's capture does)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


logger = Logger(stream=cast("IO[str]", _Stdout()))
# The library logs with the standard library (``logging.getLogger(__name__)``): its records go
# through the same handler, as JSON lines with the same keys (and a ``name``), not as plain text.
logging.getLogger("dogcare")
copy_config_to_registered_loggers(source_logger=logger, include={"dogcare"})
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Dogcare"))
# Most requests count no business metric: an empty flush is normal, not worth a warning each time.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)


def _tracing_disabled() -> bool:
    return resolve_truthy_env_var_choice(env=os.environ.get("POWERTOOLS_TRACE_DISABLED", "false"))


# Patch only botocore: it is the one client library our functions use on the request path.
# Building a Tracer imports the X-Ray SDK, whose recorder creates botocore clients as it is
# imported (about 0.1 s of a cold start); with tracing disabled it would only be switched off
# again, so then there is none.
tracer: Tracer | None = None if _tracing_disabled() else Tracer(patch_modules=("botocore",))


def count(name: str, value: float = 1) -> None:
    """A business metric (EMF), flushed at the end of the invocation."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def _traced(handler: Handler) -> Handler:
    """``handler`` in an X-Ray subsegment when tracing is enabled; as it is otherwise."""
    if tracer is None:
        return handler
    traced: Handler = tracer.capture_lambda_handler(handler, capture_response=False)
    return traced


def lambda_entrypoint(router: Any) -> tuple[Callable[[], APIGatewayRestResolver], Handler]:
    """The resolver factory and the Lambda handler of one API function."""

    @lru_cache(maxsize=1)
    def get_app() -> APIGatewayRestResolver:
        return build_app(router)

    @released_after_first_call
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
    @_traced
    @metrics.log_metrics(capture_cold_start_metric=True)
    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        started = time.perf_counter()
        response = get_app().resolve(event, context)
        logger.info(
            "request handled",
            extra={
                "http_method": event.get("httpMethod"),
                "resource": event.get("resource"),
                "status_code": response.get("statusCode"),
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return response

    runtime.app_caches.append(get_app)
    return get_app, lambda_handler
