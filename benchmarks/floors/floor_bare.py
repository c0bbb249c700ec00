"""The floor as a handler: a botocore client and the GetItem, answered as the item's JSON."""

from __future__ import annotations

import json
from typing import Any

from floor_dynamodb import get_item, response


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return response(json.dumps(get_item()))
