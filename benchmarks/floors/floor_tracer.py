"""The floor plus the X-Ray SDK as prod runs it: Powertools Tracer patching botocore only."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Tracer
from floor_dynamodb import get_item, response

tracer = Tracer(patch_modules=("botocore",))


@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return response(json.dumps(get_item()))
