"""A prototype, not the product: the stack floor with validation by hand. The resolver runs
without ``enable_validation`` (no OpenAPI middleware, no dependant analysis at the first
request); the path parameter is parsed with a Pydantic TypeAdapter and the response model
dumped directly. The OpenAPI document would then be generated at build time from the same
route declarations."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response
from floor_dynamodb import get_item
from floor_models import Dog, DogId
from floor_observability import observed
from pydantic import TypeAdapter, ValidationError

app = APIGatewayRestResolver()
_dog_id = TypeAdapter(DogId)


@app.get("/dogs/<id>")
def get_dog(id: str) -> Response[str]:
    try:
        _dog_id.validate_python(id)
    except ValidationError as error:
        return Response(422, "application/json", error.json())
    return Response(200, "application/json", Dog.model_validate(get_item()).model_dump_json())


@observed
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
