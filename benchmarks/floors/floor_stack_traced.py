"""The stack floor as prod runs it: plus the X-Ray Tracer (botocore patched)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Tracer
from floor_observability import observed
from floor_resolver_validation import app

tracer = Tracer(patch_modules=("botocore",))


@observed
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
