"""Local mode's embedded DynamoDB (moto's server, one request at a time, item-level rollback)
keeps DynamoDB's atomicity where plain moto does not: a cancelled transaction changes nothing,
and concurrent writers lose nothing."""

from __future__ import annotations

import contextlib
import threading
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.server


@pytest.fixture
def table(dynamodb_endpoint: str) -> tuple[Any, str]:
    client = boto3.client(
        "dynamodb",
        endpoint_url=dynamodb_endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    name = f"embedded-{uuid.uuid4().hex[:10]}"
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return client, name


def _key(pk: str, sk: str = "#") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _items(client: Any, name: str) -> list[dict[str, Any]]:
    items = client.scan(TableName=name, ConsistentRead=True)["Items"]
    return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def test_a_cancelled_transaction_leaves_every_item_as_it_was(table: tuple[Any, str]) -> None:
    client, name = table
    client.put_item(TableName=name, Item={**_key("counter"), "n": {"N": "1"}})
    client.put_item(TableName=name, Item={**_key("doomed"), "v": {"S": "kept"}})
    client.put_item(TableName=name, Item={**_key("guard"), "v": {"S": "taken"}})
    before = _items(client, name)

    with pytest.raises(ClientError) as failure:
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": name, "Item": {**_key("new"), "v": {"S": "x"}}}},
                {
                    "Update": {
                        "TableName": name,
                        "Key": _key("counter"),
                        "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {
                    "Update": {
                        "TableName": name,
                        "Key": _key("absent"),
                        "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": {":v": {"S": "y"}},
                    }
                },
                {"Delete": {"TableName": name, "Key": _key("doomed")}},
                {
                    "Put": {
                        "TableName": name,
                        "Item": {**_key("guard"), "v": {"S": "mine"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    assert failure.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert _items(client, name) == before


def test_a_transaction_that_holds_applies_every_action(table: tuple[Any, str]) -> None:
    client, name = table
    client.put_item(TableName=name, Item={**_key("counter"), "n": {"N": "1"}})
    client.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": name,
                    "Item": {**_key("new"), "v": {"S": "x"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": name,
                    "Key": _key("counter"),
                    "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
        ]
    )
    assert [(i["pk"]["S"], i.get("n", {}).get("N")) for i in _items(client, name)] == [("counter", "2"), ("new", None)]


def test_concurrent_writers_and_cancelled_transactions_lose_no_write(table: tuple[Any, str]) -> None:
    """With plain moto, a cancelled transaction restores a copy of the whole table taken before
    it ran, dropping what other requests wrote meanwhile (about 1 write in 14 here)."""
    client, name = table
    client.put_item(TableName=name, Item=_key("taken"))
    for i in range(100):
        client.put_item(TableName=name, Item={**_key(f"seed-{i}"), "pad": {"S": "x" * 200}})

    def write(n: int) -> None:
        for i in range(40):
            client.put_item(TableName=name, Item=_key(f"w-{n}-{i}"))

    def cancel() -> None:
        for _ in range(40):
            with contextlib.suppress(ClientError):
                client.transact_write_items(
                    TransactItems=[
                        {
                            "Put": {
                                "TableName": name,
                                "Item": _key("taken"),
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        }
                    ]
                )

    threads = [threading.Thread(target=write, args=(n,)) for n in range(3)] + [
        threading.Thread(target=cancel) for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    written = [i for i in _items(client, name) if i["pk"]["S"].startswith("w-")]
    assert len(written) == 3 * 40
