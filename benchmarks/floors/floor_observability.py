"""Powertools Logger and Metrics as the functions use them (handlers/common/observability.py):
the Lambda context and API Gateway's request id on every line, one ``request handled`` line,
the metrics flushed with a cold-start metric."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths

logger = Logger()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Dogcare"))

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def observed(handler: Handler) -> Handler:
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
    @metrics.log_metrics(capture_cold_start_metric=True)
    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        started = time.perf_counter()
        result = handler(event, context)
        logger.info(
            "request handled",
            extra={
                "http_method": event.get("httpMethod"),
                "resource": event.get("resource"),
                "status_code": result.get("statusCode"),
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return result

    return lambda_handler
