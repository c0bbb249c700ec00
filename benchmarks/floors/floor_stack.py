"""The stack floor: the resolver with validation (a Pydantic path parameter and response model),
Logger and Metrics as the functions use them, a botocore client and the one GetItem."""

from __future__ import annotations

from typing import Any

from floor_observability import observed
from floor_resolver_validation import app


@observed
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
