"""The floor plus Pydantic: the path parameter and the item validated, the model's JSON answered."""

from __future__ import annotations

from typing import Any

from floor_dynamodb import get_item, response
from floor_models import Dog, DogId
from pydantic import TypeAdapter

_dog_id = TypeAdapter(DogId)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    _dog_id.validate_python(event["pathParameters"]["id"])
    return response(Dog.model_validate(get_item()).model_dump_json())
