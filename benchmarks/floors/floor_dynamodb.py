"""A botocore DynamoDB client and the one GetItem (its parameters recorded from the dogs function)."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any

import botocore.session


@lru_cache(maxsize=1)
def _client() -> Any:
    return botocore.session.get_session().create_client(
        "dynamodb", endpoint_url=os.environ["DOGCARE_DYNAMODB_ENDPOINT"], region_name=os.environ["AWS_REGION"]
    )


def get_item_params() -> dict[str, Any]:
    params: dict[str, Any] = json.loads(os.environ["FLOOR_GET_ITEM"])
    return params


def get_item() -> dict[str, Any]:
    """The item as plain values (what a repository would hand a model)."""
    item: dict[str, Any] = _client().get_item(**get_item_params())["Item"]
    return {name: plain(value) for name, value in item.items()}


def plain(value: dict[str, Any]) -> Any:
    ((kind, data),) = value.items()
    if kind == "N":
        return int(data) if data.lstrip("-").isdigit() else float(data)
    if kind == "L":
        return [plain(v) for v in data]
    if kind == "M":
        return {k: plain(v) for k, v in data.items()}
    return data


def response(body: str) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": body}
