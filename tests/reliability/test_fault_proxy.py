"""The fault layer itself: every fault has DynamoDB's exact shape, and the ones that must not
write did not write (checked on moto directly, behind the proxy's back)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError

from tests.faults import CONFLICT, IN_PROGRESS, LOST, PARTIAL, THROTTLED, THROUGHPUT, FaultProxy
from tests.reliability.conftest import _shared_session

pytestmark = pytest.mark.server


def client(endpoint: str) -> Any:
    # One try: these tests look at single answers, not at botocore's retries.
    config = Config(retries={"total_max_attempts": 1, "mode": "standard"})
    return _shared_session().create_client("dynamodb", "us-east-1", endpoint_url=endpoint, config=config)


@pytest.fixture
def table(dynamodb_endpoint: str) -> Iterator[str]:
    name = f"proxy-{uuid.uuid4().hex[:10]}"
    direct = client(dynamodb_endpoint)
    direct.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "g")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    yield name
    direct.delete_table(TableName=name)


def key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "#"}}


def put(table: str, pk: str, **extra: Any) -> dict[str, Any]:
    return {"Put": {"TableName": table, "Item": {**key(pk), **extra}}}


def add_one(table: str, pk: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": table,
            "Key": key(pk),
            "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }


def stored(dynamodb_endpoint: str, table: str, pk: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = client(dynamodb_endpoint).get_item(TableName=table, Key=key(pk)).get("Item")
    return item


def test_a_conflict_is_dynamodbs_cancellation_and_writes_nothing(
    faults: FaultProxy, dynamodb_endpoint: str, table: str
) -> None:
    faults.configure(seed=1, rates={"TransactWriteItems": {CONFLICT: 1.0}})
    with pytest.raises(ClientError) as raised:
        client(faults.endpoint).transact_write_items(TransactItems=[put(table, "a"), put(table, "b"), put(table, "c")])
    error = raised.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    reasons = error["CancellationReasons"]
    assert len(reasons) == 3  # one per action, in order
    assert [r["Code"] for r in reasons].count("TransactionConflict") == 1
    assert [r["Code"] for r in reasons].count("None") == 2
    conflict = next(r for r in reasons if r["Code"] == "TransactionConflict")
    assert conflict["Message"] == "Transaction is ongoing for the item"
    listed = ", ".join(r["Code"] for r in reasons)
    assert error["Error"]["Message"].endswith(f"for specific reasons [{listed}]")
    assert all(stored(dynamodb_endpoint, table, pk) is None for pk in "abc")
    assert faults.injected == {"TransactWriteItems:conflict": 1}


def test_throttling_reasons_and_errors_write_nothing(faults: FaultProxy, dynamodb_endpoint: str, table: str) -> None:
    faults.configure(rates={"TransactWriteItems": {THROTTLED: 1.0}, "PutItem": {THROUGHPUT: 1.0}})
    with pytest.raises(ClientError) as raised:
        client(faults.endpoint).transact_write_items(TransactItems=[put(table, "a")])
    assert [r["Code"] for r in raised.value.response["CancellationReasons"]] == ["ThrottlingError"]
    with pytest.raises(ClientError) as raised:
        client(faults.endpoint).put_item(TableName=table, Item=key("b"))
    assert raised.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert stored(dynamodb_endpoint, table, "a") is None and stored(dynamodb_endpoint, table, "b") is None


def test_a_lost_response_was_applied_and_a_replay_of_its_token_is_not_applied_again(
    faults: FaultProxy, dynamodb_endpoint: str, table: str
) -> None:
    items, token = [add_one(table, "counter")], str(uuid.uuid4())
    faults.configure(rates={"TransactWriteItems": {LOST: 1.0}})
    with pytest.raises(ConnectionClosedError):
        client(faults.endpoint).transact_write_items(TransactItems=items, ClientRequestToken=token)
    assert stored(dynamodb_endpoint, table, "counter") == {**key("counter"), "n": {"N": "1"}}
    faults.configure()  # the network is back
    client(faults.endpoint).transact_write_items(TransactItems=items, ClientRequestToken=token)
    assert stored(dynamodb_endpoint, table, "counter") == {**key("counter"), "n": {"N": "1"}}
    assert faults.replayed == 1
    # The same token with other actions is refused, as DynamoDB does.
    with pytest.raises(ClientError) as raised:
        client(faults.endpoint).transact_write_items(TransactItems=[add_one(table, "other")], ClientRequestToken=token)
    assert raised.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
    # A new token is a new transaction.
    client(faults.endpoint).transact_write_items(TransactItems=items, ClientRequestToken=str(uuid.uuid4()))
    assert stored(dynamodb_endpoint, table, "counter") == {**key("counter"), "n": {"N": "2"}}


def test_in_progress_is_answered_for_an_applied_transaction(
    faults: FaultProxy, dynamodb_endpoint: str, table: str
) -> None:
    faults.configure(rates={"TransactWriteItems": {IN_PROGRESS: 1.0}})
    token = str(uuid.uuid4())
    with pytest.raises(ClientError) as raised:
        client(faults.endpoint).transact_write_items(TransactItems=[add_one(table, "c")], ClientRequestToken=token)
    assert raised.value.response["Error"]["Code"] == "TransactionInProgressException"
    assert stored(dynamodb_endpoint, table, "c") == {**key("c"), "n": {"N": "1"}}
    client(faults.endpoint).transact_write_items(TransactItems=[add_one(table, "c")], ClientRequestToken=token)
    assert stored(dynamodb_endpoint, table, "c") == {**key("c"), "n": {"N": "1"}}  # the replay is not applied


def test_partial_batches_leave_keys_and_writes_unprocessed(
    faults: FaultProxy, dynamodb_endpoint: str, table: str
) -> None:
    direct = client(dynamodb_endpoint)
    for pk in "abcdef":
        direct.put_item(TableName=table, Item=key(pk))
    faults.configure(seed=3, rates={"BatchGetItem": {PARTIAL: 1.0}, "BatchWriteItem": {PARTIAL: 1.0}})
    answer = client(faults.endpoint).batch_get_item(RequestItems={table: {"Keys": [key(pk) for pk in "abcdef"]}})
    read = {i["pk"]["S"] for i in answer["Responses"].get(table, [])}
    left = {k["pk"]["S"] for k in answer["UnprocessedKeys"][table]["Keys"]}
    assert read and left and read | left == set("abcdef") and not read & left
    with pytest.raises(ClientError) as raised:  # one key: nothing to process is a throughput error
        client(faults.endpoint).batch_get_item(RequestItems={table: {"Keys": [key("a")]}})
    assert raised.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"

    writes = [{"PutRequest": {"Item": key(f"w{i}")}} for i in range(5)]
    answer = client(faults.endpoint).batch_write_item(RequestItems={table: writes})
    unwritten = {w["PutRequest"]["Item"]["pk"]["S"] for w in answer["UnprocessedItems"][table]}
    written = {f"w{i}" for i in range(5) if stored(dynamodb_endpoint, table, f"w{i}") is not None}
    assert unwritten and written and unwritten | written == {f"w{i}" for i in range(5)} and not unwritten & written


def test_an_index_lags_behind_a_write(faults: FaultProxy, table: str) -> None:
    faults.configure(gsi_lag=3)
    proxied = client(faults.endpoint)
    proxied.put_item(TableName=table, Item={**key("x"), "g": {"S": "G"}})

    def on_index() -> int:
        count: int = proxied.query(
            TableName=table,
            IndexName="by_g",
            KeyConditionExpression="g = :g",
            ExpressionAttributeValues={":g": {"S": "G"}},
        )["Count"]
        return count

    assert [on_index() for _ in range(4)] == [0, 0, 1, 1]  # visible once 3 more requests passed
    assert proxied.get_item(TableName=table, Key=key("x"))["Item"]  # the base table is consistent


def test_the_same_seed_injects_the_same_faults(faults: FaultProxy, table: str) -> None:
    def run(seed: int) -> list[bool]:
        faults.configure(seed=seed, rates={"TransactWriteItems": {CONFLICT: 0.5}})
        outcomes = []
        for i in range(24):
            try:
                client(faults.endpoint).transact_write_items(TransactItems=[put(table, f"s{seed}-{i}")])
                outcomes.append(True)
            except ClientError:
                outcomes.append(False)
        return outcomes

    first = run(11)
    assert run(11) == first
    assert 4 < first.count(False) < 20  # about half
    assert run(12) != first
