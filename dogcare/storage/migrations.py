"""Data migrations for key changes, written to be run again safely.

``migrate_owner_directory`` moves owner profiles from the single ``OWNERS`` directory
partition of gsi3 to their hash shard (``OWNERS#{n}``, see ``keys.owner_directory_pk``).
Every update is conditional on the item still carrying the old key, so a run that is
interrupted, repeated or racing with owners updating their profile (which writes the new
key itself) changes each item at most once and never overwrites a newer write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dogcare.storage import keys
from dogcare.storage.store import Store, storage_errors


@dataclass(frozen=True)
class MigrationResult:
    scanned: int  # owner profiles read
    migrated: int  # moved to their shard by this run


def migrate_owner_directory(store: Store, page_size: int = 200) -> MigrationResult:
    """Move every owner still under ``OWNERS`` to its directory shard; idempotent."""
    client = store.client
    table = store.layout.table_name("owners")
    kwargs: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": "entity_type = :owner AND gsi3pk = :legacy",
        "ExpressionAttributeValues": {":owner": {"S": "owner"}, ":legacy": {"S": keys.LEGACY_OWNER_DIRECTORY_PK}},
        "ProjectionExpression": "pk, sk, id",
        "Limit": page_size,
    }
    scanned = migrated = 0
    while True:
        with storage_errors():
            response = client.scan(**kwargs)
        for item in response.get("Items", []):
            scanned += 1
            try:
                with storage_errors():
                    client.update_item(
                        TableName=table,
                        Key={"pk": item["pk"], "sk": item["sk"]},
                        UpdateExpression="SET gsi3pk = :shard",
                        ConditionExpression="gsi3pk = :legacy",
                        ExpressionAttributeValues={
                            ":shard": {"S": keys.owner_directory_pk(item["id"]["S"])},
                            ":legacy": {"S": keys.LEGACY_OWNER_DIRECTORY_PK},
                        },
                    )
                migrated += 1
            except client.exceptions.ConditionalCheckFailedException:
                pass  # moved meanwhile (by another run or the owner's own update)
        if "LastEvaluatedKey" not in response:
            return MigrationResult(scanned, migrated)
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
