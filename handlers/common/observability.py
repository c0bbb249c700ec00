"""Logger, Metrics and Tracer, set up once, the documented Powertools way.

Service name, metrics namespace and log level come from the function's environment
(``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE``, ``POWERTOOLS_LOG_LEVEL``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from handlers.common.resolver import build_app, handle

logger = Logger()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Dogcare"))
# Patch only botocore: it is the one client library our functions use on the request path.
tracer = Tracer(patch_modules=("botocore",))


def count(name: str, value: float = 1) -> None:
    """A business metric (EMF), flushed at the end of the invocation."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def lambda_entrypoint(router: Any) -> tuple[Callable[[], APIGatewayRestResolver], Callable[[dict, Any], dict]]:
    """The resolver factory and the Lambda handler of one API function."""

    @lru_cache(maxsize=1)
    def get_app() -> APIGatewayRestResolver:
        return build_app(router)

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics(capture_cold_start_metric=True)
    def lambda_handler(event: dict, context: Any) -> dict:
        return handle(get_app, event, context)

    return get_app, lambda_handler
