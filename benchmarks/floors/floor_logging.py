"""The floor plus Powertools Logger and Metrics."""

from __future__ import annotations

import json
from typing import Any

from floor_dynamodb import get_item, response
from floor_observability import observed


@observed
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return response(json.dumps(get_item()))
