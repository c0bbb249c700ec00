"""The floor with a PynamoDB model and its ``get`` instead of the raw botocore request."""

from __future__ import annotations

import json
import os
from typing import Any

from floor_dynamodb import get_item_params, response
from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

_params = get_item_params()


class Item(Model):
    class Meta:
        table_name = _params["TableName"]
        host = os.environ["DOGCARE_DYNAMODB_ENDPOINT"]
        region = os.environ["AWS_REGION"]

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    key = _params["Key"]
    item = Item.get(key["pk"]["S"], key["sk"]["S"], consistent_read=True)
    return response(json.dumps(item.attribute_values))
