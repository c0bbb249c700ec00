"""The floor plus Powertools' REST resolver, without validation (the item's JSON answered)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver
from floor_dynamodb import get_item

app = APIGatewayRestResolver()


@app.get("/dogs/<id>")
def get_dog(id: str) -> dict[str, Any]:
    return get_item()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
