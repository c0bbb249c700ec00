"""The floor plus Powertools' REST resolver with ``enable_validation=True``: a Pydantic path
parameter and response model, validated by the resolver."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Path
from floor_dynamodb import get_item
from floor_models import Dog

app = APIGatewayRestResolver(enable_validation=True)


@app.get("/dogs/<id>")
def get_dog(id: Annotated[str, Path(min_length=1, max_length=64)]) -> Dog:
    return Dog.model_validate(get_item())


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
